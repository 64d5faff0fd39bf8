import SystemSupport

/// Builds one column chunk of the current row group: PLAIN values and RLE definition levels go into a
/// page buffer; at about `pageSize` bytes the page is compressed and appended, with its header, to the
/// chunk's bytes, which stay in memory until the row group is written.
final class ColumnChunkWriter {
    let field: Field
    let physicalType: PhysicalType
    private let pageSize: Int
    private let compressor: ZstdCompressor

    // The open page.
    private var values: [UInt8] = []
    private var levels: [UInt32] = []
    private var pageRows = 0
    /// Bits used in the open page by PLAIN booleans, which are bit-packed across the page, LSB first.
    private var boolBits = 0

    // The chunk so far.
    private(set) var chunk: [UInt8] = []
    private(set) var uncompressedSize = 0
    private(set) var rows = 0
    private var statistics: ColumnStatistics

    init(field: Field, pageSize: Int, compressor: ZstdCompressor) {
        self.field = field
        self.physicalType = field.type.physicalType
        self.pageSize = pageSize
        self.compressor = compressor
        self.statistics = ColumnStatistics(type: field.type, tracksRange: field.sortKey)
        values.reserveCapacity(pageSize + pageSize / 8)
    }

    /// Bytes this chunk will take uncompressed, including the open page.
    var bufferedSize: Int { uncompressedSize + values.count + levels.count / 8 }

    /// Appends rows `range` of `column`, which the batch has already checked against the field.
    func append(_ column: ColumnArray, rows range: Range<Int>) {
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(range.upperBound, start + rowsThatFit(column.values))
            appendSlice(column, start..<end)
            if values.count >= pageSize { flushPage() }
            start = end
        }
    }

    /// How many more rows of fixed-width values fit in the open page (at least one).
    private func rowsThatFit(_ values: ColumnValues) -> Int {
        let room = max(pageSize - self.values.count, 1)
        switch values {
        case .bool: return room * 8
        case .int32: return (room + 3) / 4
        case .int64, .double: return (room + 7) / 8
        case .byteArray: return 4096  // checked again after each slice: a page overshoots by at most one slice
        }
    }

    private func appendSlice(_ column: ColumnArray, _ range: Range<Int>) {
        if field.nullable {
            if let validity = column.validity {
                var nulls = 0
                for row in range {
                    levels.append(validity[row] ? 1 : 0)
                    if !validity[row] { nulls += 1 }
                }
                statistics.addNulls(nulls)
            } else {
                levels.append(contentsOf: repeatElement(1, count: range.count))
            }
        }
        let validity = column.validity
        switch column.values {
        case let .bool(source):
            appendBools(source, range, validity)
        case let .int32(source):
            appendFixedWidth(source, range, validity) { statistics.add(int: Int64($0)) }
        case let .int64(source):
            appendFixedWidth(source, range, validity) { statistics.add(int: $0) }
        case let .double(source):
            appendFixedWidth(source, range, validity) { statistics.add(double: $0) }
        case let .byteArray(source):
            appendByteArrays(source, range, validity)
        }
        pageRows += range.count
        rows += range.count
    }

    /// Little-endian raw copies: on the little-endian machines Swift runs on, PLAIN is the memory layout.
    private func appendFixedWidth<T>(_ source: [T], _ range: Range<Int>, _ validity: [Bool]?, _ track: (T) -> Void) {
        if field.sortKey {
            for row in range where validity?[row] ?? true { track(source[row]) }
        }
        source.withUnsafeBufferPointer { buffer in
            if let validity {
                for row in range where validity[row] {
                    withUnsafeBytes(of: buffer[row]) { values.append(contentsOf: $0) }
                }
            } else {
                values.append(contentsOf: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: buffer[range])))
            }
        }
    }

    private func appendBools(_ source: [Bool], _ range: Range<Int>, _ validity: [Bool]?) {
        for row in range where validity?[row] ?? true {
            let bit = source[row]
            if field.sortKey { statistics.add(int: bit ? 1 : 0) }
            if boolBits % 8 == 0 { values.append(0) }
            if bit { values[values.count - 1] |= UInt8(1) << UInt8(boolBits % 8) }
            boolBits += 1
        }
    }

    /// Each value as PLAIN has it: a little-endian 32-bit length, then the bytes. The page grows once
    /// per slice and is filled in place (an append per value cost a twentieth of the flow stage).
    private func appendByteArrays(_ source: ByteArrayColumn, _ range: Range<Int>, _ validity: [Bool]?) {
        let present = validity.map { validity in range.filter { validity[$0] } } ?? Array(range)
        let size = present.reduce(0) { $0 + 4 + source.offsets[$1 + 1] - source.offsets[$1] }
        var at = values.count
        values.append(contentsOf: repeatElement(0, count: size))
        source.bytes.withUnsafeBytes { bytes in
            source.offsets.withUnsafeBufferPointer { offsets in
                values.withUnsafeMutableBytes { page in
                    for row in present {
                        let start = offsets[row], length = offsets[row + 1] - start
                        page.storeBytes(of: UInt32(length).littleEndian, toByteOffset: at, as: UInt32.self)
                        let value = UnsafeRawBufferPointer(rebasing: bytes[start..<start + length])
                        if length > 0 { (page.baseAddress! + at + 4).copyMemory(from: value.baseAddress!, byteCount: length) }
                        at += 4 + length
                        if field.sortKey { statistics.add(bytes: value) }
                    }
                }
            }
        }
    }

    /// Compresses the open page and appends it to the chunk.
    func flushPage() {
        guard pageRows > 0 else { return }
        var body: [UInt8] = []
        if field.nullable {
            var encoder = RLEHybridEncoder(bitWidth: 1)
            levels.withUnsafeBufferPointer { encoder.encode($0) }
            body.reserveCapacity(4 + encoder.bytes.count + values.count)
            body.append(contentsOf: littleEndianBytes(UInt32(encoder.bytes.count)))
            body.append(contentsOf: encoder.bytes)
            body.append(contentsOf: values)
        }
        var compressed: [UInt8] = []
        (field.nullable ? body : values).withUnsafeBytes { compressor.compress($0, appendingTo: &compressed) }
        let uncompressed = field.nullable ? body.count : values.count
        let header = PageHeader(type: .dataPage, uncompressedPageSize: Int32(uncompressed),
                                compressedPageSize: Int32(compressed.count),
                                dataPage: DataPageHeader(numValues: Int32(pageRows), encoding: .plain)).encoded()
        chunk.append(contentsOf: header)
        chunk.append(contentsOf: compressed)
        uncompressedSize += header.count + uncompressed
        values.removeAll(keepingCapacity: true)
        levels.removeAll(keepingCapacity: true)
        pageRows = 0
        boolBits = 0
    }

    /// Ends the chunk: the metadata for a chunk written at `fileOffset`. The chunk's bytes are then
    /// written by the caller, and `reset` starts the next row group.
    func finish(at fileOffset: Int) -> ColumnChunkMetadata {
        flushPage()
        return ColumnChunkMetadata(
            type: physicalType,
            encodings: field.nullable ? [.plain, .rle] : [.plain],
            pathInSchema: [field.name],
            codec: .zstd,
            numValues: Int64(rows),
            totalUncompressedSize: Int64(uncompressedSize),
            totalCompressedSize: Int64(chunk.count),
            dataPageOffset: Int64(fileOffset),
            statistics: statistics.encoded,
            hasMetadata: true)
    }

    func reset() {
        chunk.removeAll(keepingCapacity: true)
        uncompressedSize = 0
        rows = 0
        statistics = ColumnStatistics(type: field.type, tracksRange: field.sortKey)
    }
}

extension ColumnType {
    var physicalType: PhysicalType {
        switch self {
        case .bool: .boolean
        case .int32: .int32
        case .int64, .timestamp: .int64
        case .double: .double
        case .string, .binary: .byteArray
        }
    }
}
