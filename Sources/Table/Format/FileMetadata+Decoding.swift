// Thrift compact decoding of file and page metadata. Unknown fields are skipped; required fields are
// checked after each struct, so a footer of garbage fails with the offset of the missing piece.

extension FileMetadata {
    init(decoding decoder: inout CompactDecoder) throws {
        try decoder.readStruct("FileMetaData", required: [1: "version", 2: "schema", 3: "num_rows", 4: "row_groups"]) { decoder, id, type in
            switch id {
            case 1: version = try decoder.i32(type)
            case 2: schema = try decoder.structList(type) { try SchemaElement(decoding: &$0) }
            case 3: numRows = try decoder.i64(type)
            case 4: rowGroups = try decoder.structList(type) { try RowGroupMetadata(decoding: &$0) }
            case 5: keyValueMetadata = try decoder.structList(type) { try KeyValue(decoding: &$0) }
            case 6: createdBy = try decoder.string(type)
            case 7: columnOrderCount = try decoder.structList(type) { decoder in
                try decoder.readStruct { decoder, _, type in try decoder.skip(type) }
            }.count
            default: try decoder.skip(type)
            }
        }
    }
}

extension KeyValue {
    init(decoding decoder: inout CompactDecoder) throws {
        let start = decoder.position
        var key: String?
        var value: String?
        try decoder.readStruct { decoder, id, type in
            switch id {
            case 1: key = try decoder.string(type)
            case 2: value = try decoder.string(type)
            default: try decoder.skip(type)
            }
        }
        guard let key else { throw DecodeFailure(offset: start, detail: "KeyValue lacks its required field 1 (key)") }
        self.init(key: key, value: value ?? "")
    }
}

extension SchemaElement {
    init(decoding decoder: inout CompactDecoder) throws {
        try decoder.readStruct("SchemaElement", required: [4: "name"]) { decoder, id, type in
            switch id {
            case 1: self.type = PhysicalType(rawValue: try decoder.i32(type))
            case 2: typeLength = try decoder.i32(type)
            case 3: repetition = Repetition(rawValue: try decoder.i32(type))
            case 4: name = try decoder.string(type)
            case 5: numChildren = try decoder.i32(type)
            case 6: convertedType = try decoder.i32(type)
            case 10: logicalType = try LogicalType(decoding: &decoder, type)
            default: try decoder.skip(type)
            }
        }
    }
}

extension LogicalType {
    init(decoding decoder: inout CompactDecoder, _ type: CompactType) throws {
        guard type == .structure else { throw decoder.mismatch(expected: "struct", found: type) }
        var member: LogicalType?
        try decoder.readStruct { decoder, id, type in
            switch id {
            case 1: member = .string; try decoder.skip(type)
            case 4: member = .enumeration; try decoder.skip(type)
            case 12: member = .json; try decoder.skip(type)
            case 8: member = try LogicalType.decodeTimestamp(&decoder, type)
            case 10: member = try LogicalType.decodeInteger(&decoder, type)
            default: member = .other(fieldID: id); try decoder.skip(type)
            }
        }
        guard let member else { throw decoder.failure("LogicalType union has no member set") }
        self = member
    }

    private static func decodeTimestamp(_ decoder: inout CompactDecoder, _ type: CompactType) throws -> LogicalType {
        guard type == .structure else { throw decoder.mismatch(expected: "struct", found: type) }
        var utc = false
        var unit: TimeUnit?
        try decoder.readStruct { decoder, id, type in
            switch id {
            case 1: utc = try decoder.bool(type)
            case 2:
                guard type == .structure else { throw decoder.mismatch(expected: "struct", found: type) }
                try decoder.readStruct { decoder, unitID, type in
                    switch unitID {
                    case 1: unit = .millis
                    case 2: unit = .micros
                    case 3: unit = .nanos
                    default: break
                    }
                    try decoder.skip(type)
                }
            default: try decoder.skip(type)
            }
        }
        guard let unit else { throw decoder.failure("TIMESTAMP logical type without a known time unit") }
        return .timestamp(isAdjustedToUTC: utc, unit: unit)
    }

    private static func decodeInteger(_ decoder: inout CompactDecoder, _ type: CompactType) throws -> LogicalType {
        guard type == .structure else { throw decoder.mismatch(expected: "struct", found: type) }
        var bitWidth: Int8 = 0
        var signed = true
        try decoder.readStruct { decoder, id, type in
            switch id {
            case 1: bitWidth = try decoder.i8(type)
            case 2: signed = try decoder.bool(type)
            default: try decoder.skip(type)
            }
        }
        return .integer(bitWidth: bitWidth, isSigned: signed)
    }
}

extension RowGroupMetadata {
    init(decoding decoder: inout CompactDecoder) throws {
        try decoder.readStruct("RowGroup", required: [1: "columns", 2: "total_byte_size", 3: "num_rows"]) { decoder, id, type in
            switch id {
            case 1: columns = try decoder.structList(type) { try ColumnChunkMetadata(decoding: &$0) }
            case 2: totalByteSize = try decoder.i64(type)
            case 3: numRows = try decoder.i64(type)
            case 5: fileOffset = try decoder.i64(type)
            case 6: totalCompressedSize = try decoder.i64(type)
            case 7: ordinal = Int16(truncatingIfNeeded: try decoder.i32(type))
            default: try decoder.skip(type)
            }
        }
    }
}

extension ColumnChunkMetadata {
    /// Decodes a `ColumnChunk`, flattening its `ColumnMetaData` (field 3) into this value.
    init(decoding decoder: inout CompactDecoder) throws {
        try decoder.readStruct { decoder, id, type in
            switch id {
            case 1: filePath = try decoder.string(type)
            case 3:
                guard type == .structure else { throw decoder.mismatch(expected: "struct", found: type) }
                try decodeColumnMetaData(&decoder)
                hasMetadata = true
            default: try decoder.skip(type)
            }
        }
    }

    private mutating func decodeColumnMetaData(_ decoder: inout CompactDecoder) throws {
        try decoder.readStruct("ColumnMetaData", required: [1: "type", 3: "path_in_schema", 4: "codec", 5: "num_values", 7: "total_compressed_size", 9: "data_page_offset"]) { decoder, id, type in
            switch id {
            case 1: self.type = PhysicalType(rawValue: try decoder.i32(type))
            case 2: encodings = try decoder.list(type) { Encoding(rawValue: try $0.i32($1)) }
            case 3: pathInSchema = try decoder.list(type) { try $0.string($1) }
            case 4: codec = CompressionCodec(rawValue: try decoder.i32(type))
            case 5: numValues = try decoder.i64(type)
            case 6: totalUncompressedSize = try decoder.i64(type)
            case 7: totalCompressedSize = try decoder.i64(type)
            case 9: dataPageOffset = try decoder.i64(type)
            case 11: dictionaryPageOffset = try decoder.i64(type)
            case 12:
                guard type == .structure else { throw decoder.mismatch(expected: "struct", found: type) }
                statistics = try StatisticsMetadata(decoding: &decoder)
            default: try decoder.skip(type)
            }
        }
    }
}

extension StatisticsMetadata {
    init(decoding decoder: inout CompactDecoder) throws {
        try decoder.readStruct { decoder, id, type in
            switch id {
            case 3: nullCount = try decoder.i64(type)
            case 5: maxValue = try decoder.binary(type)
            case 6: minValue = try decoder.binary(type)
            default: try decoder.skip(type)
            }
        }
    }
}

extension PageHeader {
    init(decoding decoder: inout CompactDecoder) throws {
        let start = decoder.position
        try decoder.readStruct("PageHeader", required: [1: "type", 2: "uncompressed_page_size", 3: "compressed_page_size"]) { decoder, id, type in
            switch id {
            case 1: self.type = PageType(rawValue: try decoder.i32(type))
            case 2: uncompressedPageSize = try decoder.i32(type)
            case 3: compressedPageSize = try decoder.i32(type)
            case 5:
                guard type == .structure else { throw decoder.mismatch(expected: "struct", found: type) }
                dataPage = try DataPageHeader(decoding: &decoder)
            case 7:
                guard type == .structure else { throw decoder.mismatch(expected: "struct", found: type) }
                dictionaryPage = try DictionaryPageHeader(decoding: &decoder)
            case 8:
                guard type == .structure else { throw decoder.mismatch(expected: "struct", found: type) }
                dataPageV2 = try DataPageHeaderV2(decoding: &decoder)
            default: try decoder.skip(type)
            }
        }
        guard uncompressedPageSize >= 0, compressedPageSize >= 0 else {
            throw DecodeFailure(offset: start, detail: "page header has a negative size")
        }
    }
}

extension DataPageHeader {
    init(decoding decoder: inout CompactDecoder) throws {
        try decoder.readStruct("DataPageHeader", required: [1: "num_values", 2: "encoding"]) { decoder, id, type in
            switch id {
            case 1: numValues = try decoder.i32(type)
            case 2: encoding = Encoding(rawValue: try decoder.i32(type))
            case 3: definitionLevelEncoding = Encoding(rawValue: try decoder.i32(type))
            case 4: repetitionLevelEncoding = Encoding(rawValue: try decoder.i32(type))
            default: try decoder.skip(type)
            }
        }
    }
}

extension DictionaryPageHeader {
    init(decoding decoder: inout CompactDecoder) throws {
        try decoder.readStruct("DictionaryPageHeader", required: [1: "num_values", 2: "encoding"]) { decoder, id, type in
            switch id {
            case 1: numValues = try decoder.i32(type)
            case 2: encoding = Encoding(rawValue: try decoder.i32(type))
            default: try decoder.skip(type)
            }
        }
    }
}

extension DataPageHeaderV2 {
    init(decoding decoder: inout CompactDecoder) throws {
        try decoder.readStruct("DataPageHeaderV2", required: [1: "num_values", 2: "num_nulls", 3: "num_rows", 4: "encoding", 5: "definition_levels_byte_length", 6: "repetition_levels_byte_length"]) { decoder, id, type in
            switch id {
            case 1: numValues = try decoder.i32(type)
            case 2: numNulls = try decoder.i32(type)
            case 3: numRows = try decoder.i32(type)
            case 4: encoding = Encoding(rawValue: try decoder.i32(type))
            case 5: definitionLevelsByteLength = try decoder.i32(type)
            case 6: repetitionLevelsByteLength = try decoder.i32(type)
            case 7: isCompressed = try decoder.bool(type)
            default: try decoder.skip(type)
            }
        }
    }
}
