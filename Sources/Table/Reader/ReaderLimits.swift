/// Bounds on what a file may make the reader allocate. Every size in a Parquet file is untrusted; a
/// claim above these limits is refused with `TableError.limitExceeded` before any memory is reserved.
/// The defaults are far above what pyarrow, DuckDB, polars, Spark or Mimir write.
public struct ReaderLimits: Sendable, Hashable {
    /// Largest footer (file metadata) in bytes.
    public var maxFooterSize: Int
    /// Largest page, compressed or not, in bytes.
    public var maxPageSize: Int
    /// Most rows in one row group (the reader allocates a row group's columns at once).
    public var maxRowGroupRows: Int

    /// Limits of these sizes (the defaults suit every Mimir table).
    public init(maxFooterSize: Int = 256 << 20, maxPageSize: Int = 1 << 30, maxRowGroupRows: Int = 1 << 28) {
        self.maxFooterSize = maxFooterSize
        self.maxPageSize = maxPageSize
        self.maxRowGroupRows = maxRowGroupRows
    }
}
