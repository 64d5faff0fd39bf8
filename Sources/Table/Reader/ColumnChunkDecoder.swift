import SystemSupport

/// Decodes the pages of one column chunk into a `ColumnArray`: data pages v1 and v2, an optional
/// dictionary page, PLAIN, RLE_DICTIONARY / PLAIN_DICTIONARY and (for booleans) RLE values, ZSTD or
/// no compression.
///
/// Two passes. The first walks the page headers only, checking every size against the chunk and the
/// reader's limits and that the data pages' value counts add up to the row group's rows. Only then is
/// output allocated, at its exact size, and the second pass decodes into it in place.
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
    /// Where the chunk starts in the file, for error messages.
    private let chunkOffset: Int

    private var dictionary: DecodedDictionary?
    /// Buffers reused across chunks, so reading row group after row group allocates no new scratch.
    private let scratch: DecodingScratch
    private var pageScratch: RawBuffer { scratch.page }
    private var valuesScratch: RawBuffer { scratch.values }

    /// The output being filled by the second pass.
    private struct Output {
        /// Fixed-width values (bool as one byte each): `rowCount * width` bytes.
        var fixed: UnsafeMutableRawPointer?
        /// Byte arrays: `rowCount + 1` end offsets, and the bytes.
        var offsets: UnsafeMutablePointer<Int>?
        var bytes: RawBuffer?
        /// One flag per row, for nullable columns.
        var validity: UnsafeMutablePointer<Bool>?
        var rowsDone = 0
        var nullCount = 0
    }

    private var output = Output()

    private struct Page {
        var header: PageHeader
        var offset: Int
        var body: Range<Int>
    }

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
         codec: CompressionCodec, rowCount: Int, chunkOffset: Int, limits: ReaderLimits, scratch: DecodingScratch) {
        self.path = path
        self.name = descriptor.name
        self.type = type
        self.scale = scale
        self.nullable = descriptor.nullable
        self.codec = codec
        self.rowCount = rowCount
        self.chunkOffset = chunkOffset
        self.limits = limits
        self.scratch = scratch
        self.decompressor = scratch.decompressor
    }

    func decode(_ chunk: UnsafeRawBufferPointer) throws -> ColumnArray {
        guard codec == .zstd || codec == .uncompressed else {
            throw TableError.unsupported(path: path, detail: "column '\(name)' is compressed with \(codec); Mimir reads ZSTD and uncompressed Parquet (rewrite it with compression='zstd')")
        }
        let pages = try scanPages(chunk)
        var validity: [Bool]?
        let values: ColumnValues
        if type.isByteArray {
            let bytes = RawBuffer()
            let offsets = try [Int](unsafeUninitializedCapacity: rowCount + 1) { buffer, initialized in
                buffer[0] = 0
                output.offsets = buffer.baseAddress! + 1
                output.bytes = bytes
                validity = try decodeAll(pages, chunk)
                initialized = rowCount + 1
            }
            values = .byteArray(ByteArrayColumn(offsets: offsets, bytes: [UInt8](bytes.bytes)))
        } else {
            let width = type.decodedWidth
            func filled<T>(_: T.Type) throws -> [T] {
                try [T](unsafeUninitializedCapacity: rowCount) { buffer, initialized in
                    output.fixed = UnsafeMutableRawPointer(buffer.baseAddress)
                    validity = try decodeAll(pages, chunk)
                    initialized = rowCount
                }
            }
            precondition(width == MemoryLayout<Bool>.size || width == 4 || width == 8)
            switch type {
            case .bool: values = .bool(try filled(Bool.self))
            case .int32: values = .int32(try filled(Int32.self))
            case .double: values = .double(try filled(Double.self))
            default: values = .int64(try rescaledTimestamps(try filled(Int64.self)))
            }
        }
        return ColumnArray(values, validity: validity)
    }

    /// Decodes every page into `output`; returns the validity flags when there is a null.
    private func decodeAll(_ pages: [Page], _ chunk: UnsafeRawBufferPointer) throws -> [Bool]? {
        guard nullable else {
            try decodePages(pages, chunk)
            return nil
        }
        let validity = try [Bool](unsafeUninitializedCapacity: rowCount) { buffer, initialized in
            output.validity = buffer.baseAddress
            try decodePages(pages, chunk)
            initialized = rowCount
        }
        return output.nullCount > 0 ? validity : nil
    }

    // MARK: Pass 1: page headers

    private func scanPages(_ chunk: UnsafeRawBufferPointer) throws -> [Page] {
        var pages: [Page] = []
        var position = 0
        var values = 0
        while values < rowCount {
            let pageOffset = chunkOffset + position
            guard position < chunk.count else {
                throw corrupt(pageOffset, "column '\(name)' ends after \(values) of its \(rowCount) values")
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
            let pageValues: Int32?
            switch header.type {
            case .dataPage: pageValues = header.dataPage?.numValues
            case .dataPageV2: pageValues = header.dataPageV2?.numValues
            case .dictionaryPage: pageValues = 0
            default: pageValues = nil  // index pages and page types added later carry no values
            }
            if let pageValues {
                guard pageValues >= 0, Int(pageValues) <= rowCount - values else {
                    throw corrupt(pageOffset, "\(header.type) of column '\(name)' claims \(pageValues) values; \(rowCount - values) of the row group's \(rowCount) remain")
                }
                values += Int(pageValues)
                pages.append(Page(header: header, offset: pageOffset, body: bodyStart..<(bodyStart + compressedSize)))
            }
            position = bodyStart + compressedSize
        }
        return pages
    }

    // MARK: Pass 2: page contents

    private func decodePages(_ pages: [Page], _ chunk: UnsafeRawBufferPointer) throws {
        for page in pages {
            let body = UnsafeRawBufferPointer(rebasing: chunk[page.body])
            do {
                switch page.header.type {
                case .dictionaryPage: try readDictionaryPage(page.header, body)
                case .dataPage: try readDataPage(page.header, body)
                default: try readDataPageV2(page.header, body)
                }
            } catch let failure as DecodeFailure {
                throw corrupt(page.offset, "\(page.header.type) of column '\(name)', at byte \(failure.offset) of its data: \(failure.detail)")
            }
        }
    }

    private func readDictionaryPage(_ header: PageHeader, _ body: UnsafeRawBufferPointer) throws {
        guard let dictionaryHeader = header.dictionaryPage else {
            throw DecodeFailure(offset: 0, detail: "DICTIONARY_PAGE without a dictionary_page_header")
        }
        guard dictionary == nil, output.rowsDone == 0 else {
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
            guard count <= page.count / 4 else {
                throw DecodeFailure(offset: 0, detail: "dictionary of \(count) byte arrays needs more than the page's \(page.count) bytes")
            }
            var dictionaryOffsets = [0]
            dictionaryOffsets.reserveCapacity(count + 1)
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
        let rows = Int(dataHeader.numValues)
        let size = Int(header.uncompressedPageSize)
        // A required fixed-width PLAIN page is exactly its values: decompress straight into the output.
        if !nullable, dataHeader.encoding == .plain, let fixed = output.fixed, type != .bool, codec == .zstd {
            let width = type.decodedWidth
            guard size == rows * width else {
                throw DecodeFailure(offset: 0, detail: "\(rows) values of \(width) bytes need \(rows * width) bytes, the page holds \(size)")
            }
            let destination = UnsafeMutableRawBufferPointer(start: fixed + output.rowsDone * width, count: size)
            if let problem = decompressor.decompress(body, into: destination) { throw DecodeFailure(offset: 0, detail: problem) }
            output.rowsDone += rows
            return
        }
        let page = try decompress(body, uncompressedSize: size)
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
        let rows = Int(v2.numValues)
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
        scratch.levels.removeAll(keepingCapacity: true)
        scratch.levels.append(contentsOf: repeatElement(0, count: rows))
        var decoder = RLEHybridDecoder(bytes, bitWidth: 1)
        try scratch.levels.withUnsafeMutableBufferPointer { try decoder.decode(into: $0) }
        var present = 0
        for level in scratch.levels { present &+= Int(level) }
        return present
    }

    // MARK: Values

    private func decodeValues(_ encoding: Encoding, _ data: UnsafeRawBufferPointer, rows: Int, present: Int) throws {
        switch encoding {
        case .plain where type == .bool:
            guard present <= data.count * 8 else { throw DecodeFailure(offset: 0, detail: "\(present) booleans need more than the \(data.count) bytes stored") }
            let packed = valuesScratch.tail(reserving: present)
            for index in 0..<present {
                packed.storeBytes(of: (data[index >> 3] >> UInt8(index & 7)) & 1, toByteOffset: index, as: UInt8.self)
            }
            emitFixed(UnsafeRawPointer(packed), width: 1, rows: rows, present: present)
        case .plain where type.isByteArray:
            // At most the page's bytes; one reservation, then a loop on local pointers.
            let bytes = output.bytes!
            let destination = bytes.tail(reserving: data.count)
            var written = 0
            var reader = PlainByteArrayReader(data)
            try emitByteArrays(rows: rows, present: present, base: bytes.count) {
                let (start, length) = try reader.next()
                (destination + written).copyMemory(from: data.baseAddress! + start, byteCount: length)
                written += length
                return written
            }
            bytes.commit(written)
        case .plain:
            let width = type.decodedWidth
            guard present <= data.count / width else {
                throw DecodeFailure(offset: 0, detail: "\(present) values of \(width) bytes need more than the \(data.count) bytes stored")
            }
            if present == 0 {
                emitFixed(UnsafeRawPointer(valuesScratch.base), width: width, rows: rows, present: 0)
            } else {
                emitFixed(data.baseAddress!, width: width, rows: rows, present: present)
            }
        case .rle where type == .bool:
            guard data.count >= 4 else { throw DecodeFailure(offset: 0, detail: "no room for the RLE booleans' length") }
            let length = Int(UInt32(littleEndian: data.loadUnaligned(as: UInt32.self)))
            guard length <= data.count - 4 else { throw DecodeFailure(offset: 0, detail: "RLE booleans of \(length) bytes exceed the \(data.count - 4) stored") }
            try decodeIndices(UnsafeRawBufferPointer(rebasing: data[4..<(4 + length)]), bitWidth: 1, count: present)
            let packed = valuesScratch.tail(reserving: present)
            scratch.indices.withUnsafeBufferPointer { values in
                for index in 0..<present { packed.storeBytes(of: UInt8(values[index]), toByteOffset: index, as: UInt8.self) }
            }
            emitFixed(UnsafeRawPointer(packed), width: 1, rows: rows, present: present)
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
        scratch.indices.removeAll(keepingCapacity: true)
        scratch.indices.append(contentsOf: repeatElement(0, count: count))
        var decoder = RLEHybridDecoder(data, bitWidth: bitWidth)
        try scratch.indices.withUnsafeMutableBufferPointer { try decoder.decode(into: $0) }
    }

    private var levels: [UInt32] { scratch.levels }
    private var indices: [UInt32] { scratch.indices }

    private func gather(from dictionary: DecodedDictionary, rows: Int, present: Int) throws {
        let size = dictionary.count
        if let bad = indices.first(where: { Int($0) >= size }) {
            throw DecodeFailure(offset: 1, detail: "dictionary index \(bad) is past the dictionary's \(size) entries")
        }
        switch dictionary {
        case let .fixed(entries, _):
            let width = type.decodedWidth
            let packed = valuesScratch.tail(reserving: present * width)
            let source = UnsafeRawPointer(entries.base)
            indices.withUnsafeBufferPointer { indices in
                for slot in 0..<present {
                    (packed + slot * width).copyMemory(from: source + Int(indices[slot]) * width, byteCount: width)
                }
            }
            emitFixed(UnsafeRawPointer(packed), width: width, rows: rows, present: present)
        case let .byteArrays(entryOffsets, entries):
            var total = 0
            for index in indices { total += entryOffsets[Int(index) + 1] - entryOffsets[Int(index)] }
            let bytes = output.bytes!
            let destination = bytes.tail(reserving: total)
            let source = UnsafeRawPointer(entries.base)
            var written = 0
            var next = 0
            try indices.withUnsafeBufferPointer { indices in
                try entryOffsets.withUnsafeBufferPointer { entryOffsets in
                    try emitByteArrays(rows: rows, present: present, base: bytes.count) {
                        let index = Int(indices[next])
                        next += 1
                        let start = entryOffsets[index], length = entryOffsets[index + 1] - start
                        (destination + written).copyMemory(from: source + start, byteCount: length)
                        written += length
                        return written
                    }
                }
            }
            bytes.commit(written)
        }
    }

    /// Writes `rows` rows from `present` packed values of `width` bytes, spreading them over the
    /// non-null rows as the definition levels say (null slots are zero).
    private func emitFixed(_ packed: UnsafeRawPointer, width: Int, rows: Int, present: Int) {
        let out = output.fixed! + output.rowsDone * width
        if present == rows {
            out.copyMemory(from: packed, byteCount: rows * width)
        } else {
            levels.withUnsafeBufferPointer { levels in
                var next = 0
                for row in 0..<rows {
                    if levels[row] != 0 {
                        (out + row * width).copyMemory(from: packed + next * width, byteCount: width)
                        next += 1
                    } else {
                        (out + row * width).initializeMemory(as: UInt8.self, repeating: 0, count: width)
                    }
                }
            }
        }
        recordValidity(rows: rows, present: present)
    }

    /// Writes the end offsets of `rows` rows; `copyNext` copies the next present value into the
    /// bytes and returns how many bytes the page has written so far, counted from `base`.
    private func emitByteArrays(rows: Int, present: Int, base: Int, _ copyNext: () throws -> Int) throws {
        let offsets = output.offsets! + output.rowsDone
        var end = base
        if present == rows {
            for row in 0..<rows {
                end = base + (try copyNext())
                offsets[row] = end
            }
        } else {
            try levels.withUnsafeBufferPointer { levels in
                for row in 0..<rows {
                    if levels[row] != 0 { end = base + (try copyNext()) }
                    offsets[row] = end
                }
            }
        }
        recordValidity(rows: rows, present: present)
    }

    private func recordValidity(rows: Int, present: Int) {
        if let validity = output.validity {
            let out = validity + output.rowsDone
            if present == rows {
                out.initialize(repeating: true, count: rows)
            } else {
                levels.withUnsafeBufferPointer { levels in
                    for row in 0..<rows { out[row] = levels[row] != 0 }
                }
            }
            output.nullCount += rows - present
        }
        output.rowsDone += rows
    }

    // MARK: Result

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

/// Scratch buffers and the decompression context, shared by the chunks a reader decodes one after another.
final class DecodingScratch {
    let decompressor = ZstdDecompressor()
    /// A column chunk's bytes as read from the file.
    let chunk = RawBuffer()
    /// A decompressed page.
    let page = RawBuffer()
    /// Values gathered from a dictionary or unpacked booleans, before nulls are spread in.
    let values = RawBuffer()
    var levels: [UInt32] = []
    var indices: [UInt32] = []
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
