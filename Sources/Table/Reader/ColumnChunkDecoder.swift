/// Decodes the pages of one column chunk into a `ColumnArray`: data pages v1 and v2, an optional
/// dictionary page, PLAIN, RLE_DICTIONARY / PLAIN_DICTIONARY and (for booleans) RLE values, ZSTD or
/// no compression. Every size is checked against the chunk, the page and the reader's limits.
final class ColumnChunkDecoder {
    private let path: String
    private let name: String
    private let type: ColumnType
    private let scale: ColumnDescriptor.TimestampScale
    private let nullable: Bool
    private let codec: CompressionCodec
    private let rowCount: Int
    private let limits: ReaderLimits
    private let decompressor: ZstdDecompressor

    /// Fixed-width values (bool as one byte each), or the bytes of byte-array values.
    private let values = RawBuffer()
    private var offsets: [Int] = []
    private var validity: [Bool] = []
    private var nullCount = 0
    private var rowsDone = 0

    private var dictionary: DecodedDictionary?
    private let pageScratch = RawBuffer()
    private let valuesScratch = RawBuffer()
    private var levels: [UInt32] = []
    private var indices: [UInt32] = []

    /// `chunkOffset`: where the chunk starts in the file, for error messages.
    private let chunkOffset: Int

    private enum DecodedDictionary {
        case fixed(RawBuffer, count: Int)
        case byteArrays(offsets: [Int], bytes: RawBuffer)

        var count: Int {
            switch self {
            case let .fixed(_, count): count
            case let .byteArrays(offsets, _): offsets.count - 1
            }
        }
    }

    init(path: String, descriptor: ColumnDescriptor, type: ColumnType, scale: ColumnDescriptor.TimestampScale,
         codec: CompressionCodec, rowCount: Int, chunkOffset: Int, limits: ReaderLimits, decompressor: ZstdDecompressor) {
        self.path = path
        self.name = descriptor.name
        self.type = type
        self.scale = scale
        self.nullable = descriptor.nullable
        self.codec = codec
        self.rowCount = rowCount
        self.chunkOffset = chunkOffset
        self.limits = limits
        self.decompressor = decompressor
        // The row count is a claim of the file: reserve for at most a million rows and grow from there.
        let expected = min(rowCount, 1 << 20)
        if type.isByteArray {
            offsets.reserveCapacity(expected + 1)
            offsets.append(0)
        } else {
            values.reserve(additional: expected * type.decodedWidth)
        }
        if nullable { validity.reserveCapacity(expected) }
    }

    // MARK: Pages

    func decode(_ chunk: UnsafeRawBufferPointer) throws -> ColumnArray {
        guard codec == .zstd || codec == .uncompressed else {
            throw TableError.unsupported(path: path, detail: "column '\(name)' is compressed with \(codec); Mimir reads ZSTD and uncompressed Parquet (rewrite it with compression='zstd')")
        }
        var position = 0
        while rowsDone < rowCount {
            let pageOffset = chunkOffset + position
            guard position < chunk.count else {
                throw corrupt(pageOffset, "column '\(name)' ends after \(rowsDone) of its \(rowCount) values")
            }
            var decoder = CompactDecoder(chunk, at: position)
            let header: PageHeader
            do {
                header = try PageHeader(decoding: &decoder)
            } catch let failure as DecodeFailure {
                throw corrupt(chunkOffset + failure.offset, "page header of column '\(name)': \(failure.detail)")
            }
            let bodyStart = decoder.position
            let compressedSize = Int(header.compressedPageSize)
            guard compressedSize <= chunk.count - bodyStart else {
                throw corrupt(pageOffset, "a page of \(compressedSize) bytes runs past the end of column '\(name)' (\(chunk.count - bodyStart) bytes left)")
            }
            guard Int(header.uncompressedPageSize) <= limits.maxPageSize else {
                throw TableError.limitExceeded(path: path, offset: pageOffset,
                                               detail: "a page of column '\(name)' claims \(header.uncompressedPageSize) bytes uncompressed, above the limit of \(limits.maxPageSize)")
            }
            let body = UnsafeRawBufferPointer(rebasing: chunk[bodyStart..<(bodyStart + compressedSize)])
            do {
                switch header.type {
                case .dictionaryPage: try readDictionaryPage(header, body)
                case .dataPage: try readDataPage(header, body)
                case .dataPageV2: try readDataPageV2(header, body)
                default: break  // index pages and page types added later carry no values
                }
            } catch let failure as DecodeFailure {
                throw corrupt(pageOffset, "\(header.type) of column '\(name)', at byte \(failure.offset) of its data: \(failure.detail)")
            }
            position = bodyStart + compressedSize
        }
        return try finish()
    }

    private func readDictionaryPage(_ header: PageHeader, _ body: UnsafeRawBufferPointer) throws {
        guard let dictionaryHeader = header.dictionaryPage else {
            throw DecodeFailure(offset: 0, detail: "DICTIONARY_PAGE without a dictionary_page_header")
        }
        guard dictionary == nil, rowsDone == 0 else {
            throw DecodeFailure(offset: 0, detail: "a second dictionary page, or one after data pages")
        }
        guard dictionaryHeader.encoding == .plain || dictionaryHeader.encoding == .plainDictionary else {
            throw TableError.unsupported(path: path, detail: "column '\(name)' has a dictionary page in the \(dictionaryHeader.encoding) encoding")
        }
        let page = try decompress(body, uncompressedSize: Int(header.uncompressedPageSize))
        let count = Int(dictionaryHeader.numValues)
        guard count >= 0 else { throw DecodeFailure(offset: 0, detail: "negative dictionary size") }
        switch type {
        case .bool:
            throw TableError.unsupported(path: path, detail: "boolean column '\(name)' is dictionary-encoded, which the format does not allow")
        case .string, .binary:
            var dictionaryOffsets = [0]
            dictionaryOffsets.reserveCapacity(min(count, page.count / 4) + 1)
            let bytes = RawBuffer(capacity: page.count)
            var reader = PlainByteArrayReader(page)
            for _ in 0..<count {
                let (start, length) = try reader.next()
                bytes.append(page.baseAddress! + start, count: length)
                dictionaryOffsets.append(bytes.count)
            }
            dictionary = .byteArrays(offsets: dictionaryOffsets, bytes: bytes)
        case .int32, .int64, .double, .timestamp:
            let width = type.decodedWidth
            guard count <= page.count / width else {
                throw DecodeFailure(offset: 0, detail: "dictionary of \(count) values needs \(count * width) bytes, the page has \(page.count)")
            }
            let buffer = RawBuffer(capacity: count * width)
            buffer.append(page.baseAddress!, count: count * width)
            dictionary = .fixed(buffer, count: count)
        }
    }

    private func readDataPage(_ header: PageHeader, _ body: UnsafeRawBufferPointer) throws {
        guard let dataHeader = header.dataPage else {
            throw DecodeFailure(offset: 0, detail: "DATA_PAGE without a data_page_header")
        }
        let rows = try pageRows(dataHeader.numValues)
        let page = try decompress(body, uncompressedSize: Int(header.uncompressedPageSize))
        var cursor = 0
        var present = rows
        if nullable {
            guard dataHeader.definitionLevelEncoding == .rle else {
                throw TableError.unsupported(path: path, detail: "column '\(name)' stores definition levels as \(dataHeader.definitionLevelEncoding); only RLE is supported")
            }
            guard page.count >= 4 else { throw DecodeFailure(offset: 0, detail: "no room for the definition levels' length") }
            let length = Int(UInt32(littleEndian: page.loadUnaligned(as: UInt32.self)))
            guard length <= page.count - 4 else {
                throw DecodeFailure(offset: 0, detail: "definition levels of \(length) bytes exceed the page's \(page.count - 4)")
            }
            present = try decodeLevels(UnsafeRawBufferPointer(rebasing: page[4..<(4 + length)]), rows: rows)
            cursor = 4 + length
        }
        try decodeValues(dataHeader.encoding, UnsafeRawBufferPointer(rebasing: page[cursor...]), rows: rows, present: present)
    }

    private func readDataPageV2(_ header: PageHeader, _ body: UnsafeRawBufferPointer) throws {
        guard let v2 = header.dataPageV2 else {
            throw DecodeFailure(offset: 0, detail: "DATA_PAGE_V2 without a data_page_header_v2")
        }
        let rows = try pageRows(v2.numValues)
        let repetitionLength = Int(v2.repetitionLevelsByteLength), definitionLength = Int(v2.definitionLevelsByteLength)
        guard repetitionLength >= 0, definitionLength >= 0, repetitionLength + definitionLength <= body.count else {
            throw DecodeFailure(offset: 0, detail: "level lengths \(repetitionLength) + \(definitionLength) exceed the page's \(body.count) bytes")
        }
        var present = rows
        if nullable {
            // v2 levels are never compressed and carry no length prefix.
            let levelBytes = UnsafeRawBufferPointer(rebasing: body[repetitionLength..<(repetitionLength + definitionLength)])
            present = try decodeLevels(levelBytes, rows: rows)
        }
        let valuesStart = repetitionLength + definitionLength
        let stored = UnsafeRawBufferPointer(rebasing: body[valuesStart...])
        let valuesSize = Int(header.uncompressedPageSize) - valuesStart
        guard valuesSize >= 0 else { throw DecodeFailure(offset: 0, detail: "uncompressed page size is smaller than its levels") }
        let valueBytes = v2.isCompressed ? try decompress(stored, uncompressedSize: valuesSize) : stored
        try decodeValues(v2.encoding, valueBytes, rows: rows, present: present)
    }

    private func pageRows(_ numValues: Int32) throws -> Int {
        let rows = Int(numValues)
        guard rows >= 0, rows <= rowCount - rowsDone else {
            throw DecodeFailure(offset: 0, detail: "page claims \(numValues) values; \(rowCount - rowsDone) of the row group's \(rowCount) remain")
        }
        return rows
    }

    private func decompress(_ body: UnsafeRawBufferPointer, uncompressedSize: Int) throws -> UnsafeRawBufferPointer {
        if codec == .uncompressed {
            guard body.count == uncompressedSize else {
                throw DecodeFailure(offset: 0, detail: "uncompressed page stores \(body.count) bytes but claims \(uncompressedSize)")
            }
            return body
        }
        pageScratch.removeAll()
        let destination = UnsafeMutableRawBufferPointer(start: pageScratch.tail(reserving: uncompressedSize), count: uncompressedSize)
        if let problem = decompressor.decompress(body, into: destination) {
            throw DecodeFailure(offset: 0, detail: problem)
        }
        return UnsafeRawBufferPointer(destination)
    }

    /// Decodes `rows` definition levels (bit width 1) into `levels`; returns how many rows are not null.
    private func decodeLevels(_ bytes: UnsafeRawBufferPointer, rows: Int) throws -> Int {
        levels.removeAll(keepingCapacity: true)
        levels.append(contentsOf: repeatElement(0, count: rows))
        var decoder = RLEHybridDecoder(bytes, bitWidth: 1)
        try levels.withUnsafeMutableBufferPointer { try decoder.decode(into: $0) }
        var present = 0
        for level in levels { present &+= Int(level) }
        return present
    }

    // MARK: Values

    private func decodeValues(_ encoding: Encoding, _ data: UnsafeRawBufferPointer, rows: Int, present: Int) throws {
        switch encoding {
        case .plain where type == .bool:
            guard present <= data.count * 8 else { throw DecodeFailure(offset: 0, detail: "\(present) booleans need more than the \(data.count) bytes stored") }
            valuesScratch.removeAll()
            let out = valuesScratch.tail(reserving: present)
            for index in 0..<present {
                out.storeBytes(of: (data[index >> 3] >> UInt8(index & 7)) & 1, toByteOffset: index, as: UInt8.self)
            }
            valuesScratch.commit(present)
            emitFixed(UnsafeRawPointer(valuesScratch.base), width: 1, rows: rows, present: present)
        case .plain where type.isByteArray:
            var reader = PlainByteArrayReader(data)
            try emitByteArrays(rows: rows, present: present) {
                let (start, length) = try reader.next()
                return (data.baseAddress! + start, length)
            }
        case .plain:
            let width = type.decodedWidth
            guard present <= data.count / width else {
                throw DecodeFailure(offset: 0, detail: "\(present) values of \(width) bytes need more than the \(data.count) bytes stored")
            }
            emitFixed(data.baseAddress ?? UnsafeRawPointer(values.base), width: width, rows: rows, present: present)
        case .rle where type == .bool:
            guard data.count >= 4 else { throw DecodeFailure(offset: 0, detail: "no room for the RLE booleans' length") }
            let length = Int(UInt32(littleEndian: data.loadUnaligned(as: UInt32.self)))
            guard length <= data.count - 4 else { throw DecodeFailure(offset: 0, detail: "RLE booleans of \(length) bytes exceed the \(data.count - 4) stored") }
            try decodeIndices(UnsafeRawBufferPointer(rebasing: data[4..<(4 + length)]), bitWidth: 1, count: present)
            valuesScratch.removeAll()
            let out = valuesScratch.tail(reserving: present)
            for index in 0..<present { out.storeBytes(of: UInt8(indices[index]), toByteOffset: index, as: UInt8.self) }
            valuesScratch.commit(present)
            emitFixed(UnsafeRawPointer(valuesScratch.base), width: 1, rows: rows, present: present)
        case let dictionaryEncoding where dictionaryEncoding.isDictionaryIndices:
            guard let dictionary else { throw DecodeFailure(offset: 0, detail: "dictionary-encoded values but no dictionary page") }
            guard let bitWidth = data.first, bitWidth <= 32 else {
                throw DecodeFailure(offset: 0, detail: "dictionary index bit width missing or above 32")
            }
            try decodeIndices(UnsafeRawBufferPointer(rebasing: data[1...]), bitWidth: Int(bitWidth), count: present)
            try gather(from: dictionary, rows: rows, present: present)
        default:
            throw TableError.unsupported(path: path, detail: "column '\(name)' uses the \(encoding) encoding; this reader supports PLAIN, RLE_DICTIONARY, PLAIN_DICTIONARY and RLE booleans (rewrite it with pyarrow's default encodings)")
        }
    }

    private func decodeIndices(_ data: UnsafeRawBufferPointer, bitWidth: Int, count: Int) throws {
        indices.removeAll(keepingCapacity: true)
        indices.append(contentsOf: repeatElement(0, count: count))
        var decoder = RLEHybridDecoder(data, bitWidth: bitWidth)
        try indices.withUnsafeMutableBufferPointer { try decoder.decode(into: $0) }
    }

    private func gather(from dictionary: DecodedDictionary, rows: Int, present: Int) throws {
        let size = dictionary.count
        if let bad = indices.first(where: { Int($0) >= size }) {
            throw DecodeFailure(offset: 1, detail: "dictionary index \(bad) is past the dictionary's \(size) entries")
        }
        switch dictionary {
        case let .fixed(entries, _):
            let width = type.decodedWidth
            valuesScratch.removeAll()
            let out = valuesScratch.tail(reserving: present * width)
            for (slot, index) in indices.enumerated() {
                (out + slot * width).copyMemory(from: entries.base + Int(index) * width, byteCount: width)
            }
            valuesScratch.commit(present * width)
            emitFixed(UnsafeRawPointer(valuesScratch.base), width: width, rows: rows, present: present)
        case let .byteArrays(entryOffsets, bytes):
            var next = 0
            try emitByteArrays(rows: rows, present: present) {
                let index = Int(indices[next])
                next += 1
                return (UnsafeRawPointer(bytes.base + entryOffsets[index]), entryOffsets[index + 1] - entryOffsets[index])
            }
        }
    }

    /// Appends `rows` rows from `present` packed values of `width` bytes, spreading them over the
    /// non-null rows as the definition levels say.
    private func emitFixed(_ packed: UnsafeRawPointer, width: Int, rows: Int, present: Int) {
        if present == rows {
            values.append(packed, count: rows * width)
        } else {
            let out = values.tail(reserving: rows * width)
            var next = 0
            for row in 0..<rows {
                if levels[row] != 0 {
                    (out + row * width).copyMemory(from: packed + next * width, byteCount: width)
                    next += 1
                } else {
                    (out + row * width).initializeMemory(as: UInt8.self, repeating: 0, count: width)
                }
            }
            values.commit(rows * width)
        }
        recordValidity(rows: rows, present: present)
    }

    private func emitByteArrays(rows: Int, present: Int, _ nextValue: () throws -> (UnsafeRawPointer, Int)) throws {
        let allPresent = present == rows
        for row in 0..<rows {
            if allPresent || levels[row] != 0 {
                let (start, length) = try nextValue()
                values.append(start, count: length)
            }
            offsets.append(values.count)
        }
        recordValidity(rows: rows, present: present)
    }

    private func recordValidity(rows: Int, present: Int) {
        if nullable {
            if present == rows {
                validity.append(contentsOf: repeatElement(true, count: rows))
            } else {
                validity.append(contentsOf: levels.prefix(rows).lazy.map { $0 != 0 })
            }
            nullCount += rows - present
        }
        rowsDone += rows
    }

    // MARK: Result

    private func finish() throws -> ColumnArray {
        let columnValues: ColumnValues
        switch type {
        case .bool: columnValues = .bool(values.array(of: Bool.self))
        case .int32: columnValues = .int32(values.array(of: Int32.self))
        case .double: columnValues = .double(values.array(of: Double.self))
        case .int64, .timestamp: columnValues = .int64(try rescaledTimestamps(values.array(of: Int64.self)))
        case .string, .binary:
            let bytes = [UInt8](values.bytes)
            columnValues = .byteArray(ByteArrayColumn(offsets: offsets, bytes: bytes))
        }
        return ColumnArray(columnValues, validity: nullCount > 0 ? validity : nil)
    }

    /// Timestamps in milliseconds or nanoseconds become microseconds (nanoseconds round toward the past).
    private func rescaledTimestamps(_ raw: [Int64]) throws -> [Int64] {
        switch scale {
        case .none:
            return raw
        case .fromMillis:
            return try raw.map { millis in
                let (micros, overflow) = millis.multipliedReportingOverflow(by: 1000)
                guard !overflow else {
                    throw TableError.unsupported(path: path, detail: "column '\(name)' holds a timestamp of \(millis) ms, outside the microsecond range")
                }
                return micros
            }
        case .fromNanos:
            return raw.map { $0 / 1000 - ($0 % 1000 < 0 ? 1 : 0) }
        }
    }

    private func corrupt(_ offset: Int, _ detail: String) -> TableError {
        .corrupt(path: path, offset: offset, detail: detail)
    }
}

/// Walks PLAIN byte arrays: a 4-byte little-endian length, then that many bytes, repeated.
struct PlainByteArrayReader {
    private let data: UnsafeRawBufferPointer
    private var position = 0

    init(_ data: UnsafeRawBufferPointer) {
        self.data = data
    }

    /// The next value's start offset in `data` and its length.
    mutating func next() throws -> (Int, Int) {
        guard data.count - position >= 4 else { throw DecodeFailure(offset: position, detail: "byte array length runs past the page") }
        let length = Int(UInt32(littleEndian: data.loadUnaligned(fromByteOffset: position, as: UInt32.self)))
        guard length <= data.count - position - 4 else {
            throw DecodeFailure(offset: position, detail: "byte array of \(length) bytes runs past the page (\(data.count - position - 4) left)")
        }
        defer { position += 4 + length }
        return (position + 4, length)
    }
}

extension ColumnType {
    var isByteArray: Bool { self == .string || self == .binary }

    /// Bytes per value in decoded fixed-width storage (bool: one byte, as Swift stores `Bool`).
    var decodedWidth: Int {
        switch self {
        case .bool: 1
        case .int32: 4
        case .int64, .timestamp, .double: 8
        case .string, .binary: 0
        }
    }
}
