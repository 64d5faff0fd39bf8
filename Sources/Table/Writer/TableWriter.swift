import SystemSupport

/// Writes a table as an Apache Parquet file with ZSTD-compressed PLAIN data pages (v1), streaming:
/// rows are cut into row groups of bounded size as they arrive, so a table of any length is written
/// in bounded memory. The file appears under its final name only when `close()` succeeds.
///
/// ```swift
/// let writer = try TableWriter(path: "out/pairs.parquet", schema: schema, metadata: provenance.keyValues)
/// try writer.write(batch)      // as often as needed
/// try writer.close()           // publishes the file
/// ```
///
/// A writer dropped without `close()` (an error, a crash of the stage) leaves no file behind except,
/// after a crash, a hidden `.NAME.tmp-XXXXXX` that no reader takes for the table.
public final class TableWriter {
    /// The columns the writer takes.
    public let schema: Schema
    /// The file's final name (written under a temporary name until `close`).
    public let path: String
    private let options: WriterOptions
    private let metadata: [KeyValue]
    private let file: AtomicOutputFile
    private let columns: [ColumnChunkWriter]
    private var rowGroups: [RowGroupMetadata] = []
    private var rowsInGroup = 0
    private var totalRows: Int64 = 0
    private var closed = false

    /// Magic bytes at both ends of every Parquet file.
    static let magic: [UInt8] = Array("PAR1".utf8)
    /// `created_by`: fixed, so that files do not change between builds.
    static let createdBy = "mimir"

    /// Opens a temporary file beside `path`.
    /// - Parameters:
    ///   - metadata: the file's `key_value_metadata`, in this order (see `Provenance`).
    /// - Throws: `FileError.io` if the temporary file cannot be created; `.invalidInput` for bad options.
    public init(path: String, schema: Schema, metadata: [KeyValue] = [], options: WriterOptions = WriterOptions()) throws {
        try options.validate()
        let compressor: ZstdCompressor
        do {
            compressor = try ZstdCompressor(level: options.compressionLevel)
        } catch {
            throw TableError.invalidInput(error.message)
        }
        self.schema = schema
        self.path = path
        self.options = options
        self.metadata = metadata
        self.columns = schema.fields.map { ColumnChunkWriter(field: $0, pageSize: options.pageSize, compressor: compressor) }
        self.file = try AtomicOutputFile(path: path)
        try file.write(Self.magic)
    }

    /// Appends the rows of `batch`, whose schema must equal the writer's.
    public func write(_ batch: TableBatch) throws {
        precondition(!closed, "TableWriter.write after close")
        guard batch.schema == schema else {
            throw TableError.invalidInput("\(path): the batch's schema (\(batch.schema.names)) is not the writer's (\(schema.names))")
        }
        var start = 0
        while start < batch.rowCount {
            // Slices are small enough that the row group's byte budget is checked often.
            let end = min(batch.rowCount, start + min(options.rowGroupRows - rowsInGroup, 65_536))
            for (writer, column) in zip(columns, batch.columns) {
                writer.append(column, rows: start..<end)
            }
            rowsInGroup += end - start
            start = end
            if rowsInGroup >= options.rowGroupRows || columns.reduce(0, { $0 + $1.bufferedSize }) >= options.rowGroupBytes {
                try flushRowGroup()
            }
        }
    }

    /// Writes the last row group and the footer, then publishes the file under its final name.
    public func close() throws {
        precondition(!closed, "TableWriter.close called twice")
        closed = true
        try flushRowGroup()
        let footer = FileMetadata(
            version: 1,
            schema: schemaElements(),
            numRows: totalRows,
            rowGroups: rowGroups,
            keyValueMetadata: metadata,
            createdBy: Self.createdBy,
            columnOrderCount: schema.fields.count
        ).encoded()
        try file.write(footer)
        try file.write(littleEndianBytes(UInt32(footer.count)))
        try file.write(Self.magic)
        try file.publish()
    }

    private func flushRowGroup() throws {
        guard rowsInGroup > 0 else { return }
        let groupStart = file.bytesWritten
        var chunks: [ColumnChunkMetadata] = []
        for column in columns {
            chunks.append(column.finish(at: file.bytesWritten))
            try file.write(column.chunk)
            column.reset()
        }
        rowGroups.append(RowGroupMetadata(
            columns: chunks,
            totalByteSize: chunks.reduce(0) { $0 + $1.totalUncompressedSize },
            numRows: Int64(rowsInGroup),
            fileOffset: Int64(groupStart),
            totalCompressedSize: chunks.reduce(0) { $0 + $1.totalCompressedSize },
            ordinal: rowGroups.count < Int(Int16.max) ? Int16(rowGroups.count) : nil))
        totalRows += Int64(rowsInGroup)
        rowsInGroup = 0
    }

    private func schemaElements() -> [SchemaElement] {
        var elements = [SchemaElement(name: "schema", numChildren: Int32(schema.fields.count))]
        for field in schema.fields {
            var element = SchemaElement(type: field.type.physicalType,
                                        repetition: field.nullable ? .optional : .required,
                                        name: field.name)
            switch field.type {
            case .string:
                element.convertedType = ConvertedType.utf8
                element.logicalType = .string
            case .timestamp:
                element.convertedType = ConvertedType.timestampMicros
                element.logicalType = .timestamp(isAdjustedToUTC: true, unit: .micros)
            case .bool, .int32, .int64, .double, .binary:
                break
            }
            elements.append(element)
        }
        return elements
    }
}
