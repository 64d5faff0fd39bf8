// The numbers parquet.thrift assigns, as open structs: a number this library does not know is still a
// value (it shows in error messages as its name or number), never a crash.

/// `Type`: how values are stored.
struct PhysicalType: RawRepresentable, Hashable, CustomStringConvertible {
    var rawValue: Int32
    static let boolean = PhysicalType(rawValue: 0)
    static let int32 = PhysicalType(rawValue: 1)
    static let int64 = PhysicalType(rawValue: 2)
    static let int96 = PhysicalType(rawValue: 3)
    static let float = PhysicalType(rawValue: 4)
    static let double = PhysicalType(rawValue: 5)
    static let byteArray = PhysicalType(rawValue: 6)
    static let fixedLenByteArray = PhysicalType(rawValue: 7)

    var description: String {
        let names = ["BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"]
        return names.indices.contains(Int(rawValue)) ? names[Int(rawValue)] : "physical type \(rawValue)"
    }
}

/// `FieldRepetitionType`.
struct Repetition: RawRepresentable, Hashable {
    var rawValue: Int32
    static let required = Repetition(rawValue: 0)
    static let optional = Repetition(rawValue: 1)
    static let repeated = Repetition(rawValue: 2)
}

/// `Encoding`.
struct Encoding: RawRepresentable, Hashable, CustomStringConvertible {
    var rawValue: Int32
    static let plain = Encoding(rawValue: 0)
    static let plainDictionary = Encoding(rawValue: 2)
    static let rle = Encoding(rawValue: 3)
    static let bitPacked = Encoding(rawValue: 4)
    static let deltaBinaryPacked = Encoding(rawValue: 5)
    static let deltaLengthByteArray = Encoding(rawValue: 6)
    static let deltaByteArray = Encoding(rawValue: 7)
    static let rleDictionary = Encoding(rawValue: 8)
    static let byteStreamSplit = Encoding(rawValue: 9)

    var description: String {
        let names = [0: "PLAIN", 2: "PLAIN_DICTIONARY", 3: "RLE", 4: "BIT_PACKED", 5: "DELTA_BINARY_PACKED",
                     6: "DELTA_LENGTH_BYTE_ARRAY", 7: "DELTA_BYTE_ARRAY", 8: "RLE_DICTIONARY", 9: "BYTE_STREAM_SPLIT",
                     10: "ALP"]
        return names[Int(rawValue)] ?? "encoding \(rawValue)"
    }

    /// Dictionary indices: PLAIN_DICTIONARY (the deprecated name, still written by DuckDB) and
    /// RLE_DICTIONARY mean the same thing in data pages.
    var isDictionaryIndices: Bool { self == .plainDictionary || self == .rleDictionary }
}

/// `CompressionCodec`.
struct CompressionCodec: RawRepresentable, Hashable, CustomStringConvertible {
    var rawValue: Int32
    static let uncompressed = CompressionCodec(rawValue: 0)
    static let snappy = CompressionCodec(rawValue: 1)
    static let zstd = CompressionCodec(rawValue: 6)

    var description: String {
        let names = ["UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"]
        return names.indices.contains(Int(rawValue)) ? names[Int(rawValue)] : "codec \(rawValue)"
    }
}

/// `PageType`.
struct PageType: RawRepresentable, Hashable, CustomStringConvertible {
    var rawValue: Int32
    static let dataPage = PageType(rawValue: 0)
    static let indexPage = PageType(rawValue: 1)
    static let dictionaryPage = PageType(rawValue: 2)
    static let dataPageV2 = PageType(rawValue: 3)

    var description: String {
        let names = ["DATA_PAGE", "INDEX_PAGE", "DICTIONARY_PAGE", "DATA_PAGE_V2"]
        return names.indices.contains(Int(rawValue)) ? names[Int(rawValue)] : "page type \(rawValue)"
    }
}

/// `ConvertedType` values this library writes or interprets (the legacy annotations).
enum ConvertedType {
    static let utf8: Int32 = 0
    static let enumeration: Int32 = 4
    static let timestampMillis: Int32 = 9
    static let timestampMicros: Int32 = 10
    static let uint8: Int32 = 11
    static let uint16: Int32 = 12
    static let int8: Int32 = 15
    static let int16: Int32 = 16
    static let int32: Int32 = 17
    static let int64: Int32 = 18
    static let json: Int32 = 19
}

/// `TimeUnit` of a TIMESTAMP logical type.
enum TimeUnit: Hashable {
    case millis, micros, nanos
}

/// The `LogicalType` union, as far as this library interprets it; any other member is `.other(fieldID)`.
enum LogicalType: Hashable {
    case string
    case enumeration
    case json
    case integer(bitWidth: Int8, isSigned: Bool)
    case timestamp(isAdjustedToUTC: Bool, unit: TimeUnit)
    case other(fieldID: Int16)
}
