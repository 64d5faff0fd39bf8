// Thrift compact encoding of the metadata this library writes (field ids from parquet.thrift).

extension FileMetadata {
    func encoded() -> [UInt8] {
        var encoder = CompactEncoder(reservingCapacity: 4096)
        encoder.field(1, i32: version)
        encoder.field(2, structList: schema.count) { schema[$1].encode(into: &$0) }
        encoder.field(3, i64: numRows)
        encoder.field(4, structList: rowGroups.count) { rowGroups[$1].encode(into: &$0) }
        if !keyValueMetadata.isEmpty {
            encoder.field(5, structList: keyValueMetadata.count) { encoder, index in
                encoder.field(1, string: keyValueMetadata[index].key)
                encoder.field(2, string: keyValueMetadata[index].value)
            }
        }
        if let createdBy { encoder.field(6, string: createdBy) }
        if columnOrderCount > 0 {
            // ColumnOrder is a union; member 1 is TypeDefinedOrder, an empty struct.
            encoder.field(7, structList: columnOrderCount) { encoder, _ in encoder.field(1, struct: { _ in }) }
        }
        return encoder.finish()
    }
}

extension SchemaElement {
    func encode(into encoder: inout CompactEncoder) {
        if let type { encoder.field(1, i32: type.rawValue) }
        if let repetition { encoder.field(3, i32: repetition.rawValue) }
        encoder.field(4, string: name)
        if let numChildren { encoder.field(5, i32: numChildren) }
        if let convertedType { encoder.field(6, i32: convertedType) }
        if let logicalType { encoder.field(10, struct: { logicalType.encode(into: &$0) }) }
    }
}

extension LogicalType {
    func encode(into encoder: inout CompactEncoder) {
        switch self {
        case .string:
            encoder.field(1, struct: { _ in })
        case .enumeration:
            encoder.field(4, struct: { _ in })
        case .json:
            encoder.field(12, struct: { _ in })
        case let .timestamp(isAdjustedToUTC, unit):
            encoder.field(8) { timestamp in
                timestamp.field(1, bool: isAdjustedToUTC)
                // TimeUnit is a union of empty structs: 1 MILLIS, 2 MICROS, 3 NANOS.
                let unitID: Int16 = switch unit { case .millis: 1; case .micros: 2; case .nanos: 3 }
                timestamp.field(2) { $0.field(unitID, struct: { _ in }) }
            }
        case let .integer(bitWidth, isSigned):
            encoder.field(10) { integer in
                integer.field(1, i8: bitWidth)
                integer.field(2, bool: isSigned)
            }
        case let .other(fieldID):
            encoder.field(fieldID, struct: { _ in })
        }
    }
}

extension RowGroupMetadata {
    func encode(into encoder: inout CompactEncoder) {
        encoder.field(1, structList: columns.count) { columns[$1].encode(into: &$0) }
        encoder.field(2, i64: totalByteSize)
        encoder.field(3, i64: numRows)
        if let fileOffset { encoder.field(5, i64: fileOffset) }
        if let totalCompressedSize { encoder.field(6, i64: totalCompressedSize) }
        if let ordinal { encoder.field(7, i32: Int32(ordinal)) }
    }
}

extension ColumnChunkMetadata {
    /// A `ColumnChunk` with its `ColumnMetaData` (field 3); `file_offset` is written as 0 (deprecated).
    func encode(into encoder: inout CompactEncoder) {
        encoder.field(2, i64: 0)
        encoder.field(3) { meta in
            meta.field(1, i32: type.rawValue)
            meta.field(2, i32List: encodings.map(\.rawValue))
            meta.field(3, stringList: pathInSchema)
            meta.field(4, i32: codec.rawValue)
            meta.field(5, i64: numValues)
            meta.field(6, i64: totalUncompressedSize)
            meta.field(7, i64: totalCompressedSize)
            meta.field(9, i64: dataPageOffset)
            if let dictionaryPageOffset { meta.field(11, i64: dictionaryPageOffset) }
            if let statistics { meta.field(12, struct: { statistics.encode(into: &$0) }) }
        }
    }
}

extension StatisticsMetadata {
    func encode(into encoder: inout CompactEncoder) {
        if let nullCount { encoder.field(3, i64: nullCount) }
        if let maxValue { encoder.field(5, binary: maxValue) }
        if let minValue { encoder.field(6, binary: minValue) }
    }
}

extension PageHeader {
    func encoded() -> [UInt8] {
        var encoder = CompactEncoder(reservingCapacity: 48)
        encoder.field(1, i32: type.rawValue)
        encoder.field(2, i32: uncompressedPageSize)
        encoder.field(3, i32: compressedPageSize)
        if let dataPage {
            encoder.field(5) { page in
                page.field(1, i32: dataPage.numValues)
                page.field(2, i32: dataPage.encoding.rawValue)
                page.field(3, i32: dataPage.definitionLevelEncoding.rawValue)
                page.field(4, i32: dataPage.repetitionLevelEncoding.rawValue)
            }
        }
        if let dictionaryPage {
            encoder.field(7) { page in
                page.field(1, i32: dictionaryPage.numValues)
                page.field(2, i32: dictionaryPage.encoding.rawValue)
            }
        }
        return encoder.finish()
    }
}
