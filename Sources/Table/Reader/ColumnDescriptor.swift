/// How a leaf column of a Parquet file maps to a Mimir column type, decided from its physical type and
/// annotations. Columns Mimir cannot represent keep the reason, which is reported if they are read.
struct ColumnDescriptor {
    enum TimestampScale {
        case none, fromMillis, fromNanos
    }

    let name: String
    let physicalType: PhysicalType
    let nullable: Bool
    let mapping: Result<(ColumnType, TimestampScale), Unsupported>

    struct Unsupported: Error {
        let reason: String
    }

    init(_ element: SchemaElement) {
        name = element.name
        physicalType = element.type ?? .boolean
        nullable = element.repetition != .required
        mapping = Self.map(element)
    }

    var field: Field? {
        guard case let .success((type, _)) = mapping else { return nil }
        return Field(name, type, nullable: nullable)
    }

    private static func map(_ element: SchemaElement) -> Result<(ColumnType, TimestampScale), Unsupported> {
        let converted = element.convertedType
        let logical = element.logicalType
        func unsupported(_ what: String) -> Result<(ColumnType, TimestampScale), Unsupported> {
            .failure(Unsupported(reason: "column '\(element.name)' is \(what), which Mimir tables do not hold"))
        }
        switch element.type {
        case .boolean?:
            return .success((.bool, .none))
        case .int32?:
            switch logical {
            case nil where converted == nil || [ConvertedType.int8, ConvertedType.int16, ConvertedType.int32,
                                                ConvertedType.uint8, ConvertedType.uint16].contains(converted!):
                return .success((.int32, .none))
            case let .integer(width, signed)? where signed || width <= 16:
                return .success((.int32, .none))
            default:
                return unsupported("INT32 with annotation \(logical.map { "\($0)" } ?? "converted type \(converted ?? -1)")")
            }
        case .int64?:
            switch logical {
            case nil where converted == nil || converted == ConvertedType.int64:
                return .success((.int64, .none))
            case nil where converted == ConvertedType.timestampMicros:
                return .success((.timestamp, .none))
            case nil where converted == ConvertedType.timestampMillis:
                return .success((.timestamp, .fromMillis))
            case .integer(64, true)?:
                return .success((.int64, .none))
            case let .timestamp(_, unit)?:
                switch unit {
                case .micros: return .success((.timestamp, .none))
                case .millis: return .success((.timestamp, .fromMillis))
                case .nanos: return .success((.timestamp, .fromNanos))
                }
            default:
                return unsupported("INT64 with annotation \(logical.map { "\($0)" } ?? "converted type \(converted ?? -1)") (unsigned 64-bit integers, times and decimals are not supported)")
            }
        case .double?:
            return .success((.double, .none))
        case .byteArray?:
            switch logical {
            case .string?, .enumeration?, .json?:
                return .success((.string, .none))
            case nil where converted == ConvertedType.utf8 || converted == ConvertedType.enumeration
                || converted == ConvertedType.json:
                return .success((.string, .none))
            case nil where converted == nil:
                return .success((.binary, .none))
            default:
                return unsupported("BYTE_ARRAY with annotation \(logical.map { "\($0)" } ?? "converted type \(converted ?? -1)")")
            }
        case let type?:
            return unsupported("\(type) (FLOAT, INT96 and FIXED_LEN_BYTE_ARRAY are not supported)")
        case nil:
            return unsupported("a group (nested schemas are not supported)")
        }
    }
}
