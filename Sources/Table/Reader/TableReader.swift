import SystemSupport

/// Reads Apache Parquet files: every file `TableWriter` writes, and flat files from pyarrow, DuckDB,
/// polars or Spark with ZSTD or no compression (PLAIN or dictionary encodings, data pages v1 or v2).
/// Columns are read selectively, one row group at a time, so memory is bounded by a row group.
///
/// ```swift
/// let reader = try TableReader(path: "pairs.parquet")
/// for group in 0..<reader.rowGroupCount {
///     let batch = try reader.readRowGroup(group, columns: ["window_index", "bytes"])
///     ...
/// }
/// ```
///
/// Anything wrong with the file is a `TableError` (a `FileError` where the system fails) naming it
/// and the byte offset; nothing in the file can make the reader trap or allocate beyond `ReaderLimits`.
public final class TableReader {
    /// The file read.
    public let path: String
    /// The columns Mimir can read, in file order (columns of other types are in `unsupportedColumns`).
    public let schema: Schema
    /// The file's `key_value_metadata`, in file order.
    public let metadata: [KeyValue]
    /// Columns whose type Mimir tables cannot hold, with the reason; reading one is an error.
    public let unsupportedColumns: [(name: String, reason: String)]
    /// The number of rows in the file.
    public let rowCount: Int

    private let file: PositionedInputFile
    private let limits: ReaderLimits
    private let descriptors: [ColumnDescriptor]
    private let rowGroups: [RowGroupMetadata]
    private let scratch = DecodingScratch()
    /// Where the column chunks may lie: between the leading magic and the footer.
    private let dataEnd: Int

    /// Opens `path` and reads its footer.
    /// - Throws: `TableError.io` if the file cannot be read; `.corrupt` if it is not valid Parquet;
    ///   `.unsupported` for nested schemas; `.limitExceeded` for a footer above `limits`.
    public init(path: String, limits: ReaderLimits = ReaderLimits()) throws {
        self.path = path
        self.limits = limits
        file = try PositionedInputFile(path: path)
        let size = file.size
        guard size >= 12 else {
            throw TableError.corrupt(path: path, offset: 0, detail: "a Parquet file has at least 12 bytes, this one \(size)")
        }
        guard try file.read(at: 0, count: 4) == TableWriter.magic else {
            throw TableError.corrupt(path: path, offset: 0, detail: "expected the magic bytes PAR1 at the start")
        }
        let tail = try file.read(at: size - 8, count: 8)
        guard Array(tail[4...]) == TableWriter.magic else {
            throw TableError.corrupt(path: path, offset: size - 4, detail: "expected the magic bytes PAR1 at the end (a truncated or unfinished file?)")
        }
        let footerLength = Int(UInt32(tail[0]) | UInt32(tail[1]) << 8 | UInt32(tail[2]) << 16 | UInt32(tail[3]) << 24)
        guard footerLength <= size - 12 else {
            throw TableError.corrupt(path: path, offset: size - 8, detail: "footer length \(footerLength) exceeds the \(size - 12) bytes before it")
        }
        guard footerLength <= limits.maxFooterSize else {
            throw TableError.limitExceeded(path: path, offset: size - 8, detail: "footer of \(footerLength) bytes is above the limit of \(limits.maxFooterSize)")
        }
        let footerStart = size - 8 - footerLength
        dataEnd = footerStart
        let footerBytes = try file.read(at: footerStart, count: footerLength)
        let footer: FileMetadata
        do {
            footer = try footerBytes.withUnsafeBytes { bytes in
                var decoder = CompactDecoder(bytes)
                return try FileMetadata(decoding: &decoder)
            }
        } catch let failure as DecodeFailure {
            throw TableError.corrupt(path: path, offset: footerStart + failure.offset, detail: "file metadata: \(failure.detail)")
        }
        (descriptors, schema, unsupportedColumns) = try Self.columns(of: footer.schema, path: path, footerStart: footerStart)
        metadata = footer.keyValueMetadata
        rowGroups = footer.rowGroups
        rowCount = try Self.checkRowGroups(footer, columnCount: descriptors.count, path: path, footerStart: footerStart,
                                           limits: limits)
    }

    /// The number of row groups.
    public var rowGroupCount: Int { rowGroups.count }

    /// The number of rows of row group `index`.
    public func rowCount(ofRowGroup index: Int) -> Int {
        Int(rowGroups[index].numRows)
    }

    /// Reads row group `index`, only the named columns (all columns when `columns` is nil), in the
    /// order asked for.
    public func readRowGroup(_ index: Int, columns names: [String]? = nil) throws -> TableBatch {
        precondition(rowGroups.indices.contains(index), "row group \(index) of \(rowGroups.count)")
        let selected = try select(names)
        let group = rowGroups[index]
        var arrays: [ColumnArray] = []
        for leaf in selected {
            arrays.append(try readChunk(group.columns[leaf], of: descriptors[leaf], rows: Int(group.numRows)))
        }
        return try TableBatch(schema: try Schema(selected.map { descriptors[$0].field! }), columns: arrays)
    }

    /// Reads every row group and concatenates them. Memory grows with the table: stages that may read
    /// large tables iterate with `readRowGroup` instead.
    public func readAll(columns names: [String]? = nil) throws -> TableBatch {
        let selected = try select(names)
        let resultSchema = try Schema(selected.map { descriptors[$0].field! })
        var parts = Array(repeating: [ColumnArray](), count: selected.count)
        for group in 0..<rowGroupCount {
            let batch = try readRowGroup(group, columns: resultSchema.names)
            for (column, array) in batch.columns.enumerated() { parts[column].append(array) }
        }
        let columns = zip(resultSchema.fields, parts).map { ColumnArray(concatenating: $1, type: $0.type) }
        return try TableBatch(schema: resultSchema, columns: columns)
    }

    // MARK: Internals

    private func select(_ names: [String]?) throws -> [Int] {
        let wanted = names ?? descriptors.map(\.name)
        return try wanted.map { name in
            guard let leaf = descriptors.firstIndex(where: { $0.name == name }) else {
                throw TableError.noSuchColumn(path: path, name: name, available: descriptors.map(\.name))
            }
            if case let .failure(unsupported) = descriptors[leaf].mapping {
                throw TableError.unsupported(path: path, detail: unsupported.reason)
            }
            return leaf
        }
    }

    private func readChunk(_ chunk: ColumnChunkMetadata, of descriptor: ColumnDescriptor, rows: Int) throws -> ColumnArray {
        guard case let .success((type, scale)) = descriptor.mapping else { preconditionFailure("selected an unsupported column") }
        var start = Int(chunk.dataPageOffset)
        if let dictionaryOffset = chunk.dictionaryPageOffset, dictionaryOffset > 0, dictionaryOffset < start {
            start = Int(dictionaryOffset)
        }
        let length = Int(chunk.totalCompressedSize)
        guard start >= 4, length >= 0, start <= dataEnd, length <= dataEnd - start else {
            throw TableError.corrupt(path: path, offset: start, detail: "column '\(descriptor.name)' claims \(length) bytes at offset \(start), outside the data section 4..<\(dataEnd)")
        }
        scratch.chunk.removeAll()
        try file.read(at: start, count: length, into: scratch.chunk.tail(reserving: length))
        scratch.chunk.commit(length)
        let decoder = ColumnChunkDecoder(path: path, descriptor: descriptor, type: type, scale: scale, codec: chunk.codec,
                                         rowCount: rows, chunkOffset: start, limits: limits, scratch: scratch)
        return try decoder.decode(scratch.chunk.bytes)
    }

    private static func columns(of elements: [SchemaElement], path: String, footerStart: Int)
        throws -> ([ColumnDescriptor], Schema, [(name: String, reason: String)]) {
        guard let root = elements.first else {
            throw TableError.corrupt(path: path, offset: footerStart, detail: "the schema is empty")
        }
        let leaves = elements.dropFirst()
        guard Int(root.numChildren ?? 0) == leaves.count else {
            throw TableError.unsupported(path: path, detail: "the schema is nested (root has \(root.numChildren ?? 0) children among \(leaves.count) elements); Mimir tables are flat")
        }
        for element in leaves {
            if (element.numChildren ?? 0) > 0 || element.type == nil {
                throw TableError.unsupported(path: path, detail: "column '\(element.name)' is a group; Mimir tables are flat")
            }
            if element.repetition == .repeated {
                throw TableError.unsupported(path: path, detail: "column '\(element.name)' is repeated (a list); Mimir tables are flat")
            }
        }
        let descriptors = leaves.map(ColumnDescriptor.init)
        var seen = Set<String>()
        for descriptor in descriptors where !seen.insert(descriptor.name).inserted {
            throw TableError.corrupt(path: path, offset: footerStart, detail: "two columns are named '\(descriptor.name)'")
        }
        let fields = descriptors.compactMap(\.field)
        let unsupported = descriptors.compactMap { descriptor -> (name: String, reason: String)? in
            if case let .failure(problem) = descriptor.mapping { return (descriptor.name, problem.reason) }
            return nil
        }
        // A schema needs a column; a file whose columns are all unsupported still opens, with none.
        let schema = fields.isEmpty ? Schema.none : try Schema(fields)
        return (descriptors, schema, unsupported)
    }

    private static func checkRowGroups(_ footer: FileMetadata, columnCount: Int, path: String, footerStart: Int,
                                       limits: ReaderLimits) throws -> Int {
        var total = 0
        for (index, group) in footer.rowGroups.enumerated() {
            guard group.columns.count == columnCount else {
                throw TableError.corrupt(path: path, offset: footerStart, detail: "row group \(index) has \(group.columns.count) column chunks for \(columnCount) columns")
            }
            guard group.numRows >= 0, group.numRows <= limits.maxRowGroupRows else {
                throw TableError.limitExceeded(path: path, offset: footerStart, detail: "row group \(index) claims \(group.numRows) rows; the limit is \(limits.maxRowGroupRows)")
            }
            for chunk in group.columns {
                guard chunk.hasMetadata else {
                    throw TableError.unsupported(path: path, detail: "row group \(index) keeps column metadata outside the footer (file_path \(chunk.filePath ?? "")), which is not supported")
                }
                if chunk.filePath != nil {
                    throw TableError.unsupported(path: path, detail: "row group \(index) refers to column data in another file (\(chunk.filePath!))")
                }
                guard chunk.numValues == group.numRows else {
                    throw TableError.corrupt(path: path, offset: footerStart, detail: "column '\(chunk.pathInSchema.joined(separator: "."))' of row group \(index) has \(chunk.numValues) values for \(group.numRows) rows")
                }
            }
            total += Int(group.numRows)
        }
        guard total == Int(footer.numRows) else {
            throw TableError.corrupt(path: path, offset: footerStart, detail: "the file claims \(footer.numRows) rows, its row groups hold \(total)")
        }
        return total
    }
}

extension Schema {
    /// The empty schema, only for files that have no readable column.
    fileprivate static let none = Schema(unchecked: [])
}

extension ColumnArray {
    /// The rows of `parts` one after another; all hold values of `type`.
    init(concatenating parts: [ColumnArray], type: ColumnType) {
        let validity: [Bool]? = parts.allSatisfy { $0.validity == nil } ? nil
            : parts.flatMap { $0.validity ?? Array(repeating: true, count: $0.count) }
        switch type {
        case .bool: self.init(.bool(parts.flatMap(\.bools)), validity: validity)
        case .int32: self.init(.int32(parts.flatMap(\.int32s)), validity: validity)
        case .int64, .timestamp: self.init(.int64(parts.flatMap(\.int64s)), validity: validity)
        case .double: self.init(.double(parts.flatMap(\.doubles)), validity: validity)
        case .string, .binary:
            var joined = ByteArrayColumn()
            for part in parts { joined.append(contentsOf: part.byteArrays) }
            self.init(.byteArray(joined), validity: validity)
        }
    }
}
