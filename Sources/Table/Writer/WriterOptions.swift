/// How a `TableWriter` lays out and compresses a file. The defaults suit every Mimir stage.
public struct WriterOptions: Sendable, Hashable {
    /// ZSTD compression level (1 fastest ... 19 smallest; negative levels are faster still).
    public var compressionLevel: Int32
    /// Target uncompressed size of a data page in bytes; a page ends at the first value past it.
    public var pageSize: Int
    /// Most rows in one row group.
    public var rowGroupRows: Int
    /// Target uncompressed size of a row group in bytes. The writer holds one row group's compressed
    /// pages in memory, so this (with `rowGroupRows`) bounds its memory whatever the table's length.
    public var rowGroupBytes: Int

    /// Options with these values; `validate` checks them.
    public init(compressionLevel: Int32 = 3, pageSize: Int = 1 << 20, rowGroupRows: Int = 1 << 20,
                rowGroupBytes: Int = 128 << 20) {
        self.compressionLevel = compressionLevel
        self.pageSize = pageSize
        self.rowGroupRows = rowGroupRows
        self.rowGroupBytes = rowGroupBytes
    }

    func validate() throws {
        guard pageSize >= 1024 && pageSize <= 256 << 20 else {
            throw TableError.invalidInput("page size \(pageSize) is outside 1 KiB...256 MiB")
        }
        guard rowGroupRows >= 1 && rowGroupRows <= Int(Int32.max) else {
            throw TableError.invalidInput("row group rows \(rowGroupRows) is outside 1...\(Int32.max)")
        }
        guard rowGroupBytes >= pageSize else {
            throw TableError.invalidInput("row group size \(rowGroupBytes) is smaller than the page size \(pageSize)")
        }
    }
}
