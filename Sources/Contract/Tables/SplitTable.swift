import Table

/// The schema of `shards.parquet` (schema version 2).
public enum SplitTable {
    /// The stage that writes it.
    public static let stage = "split"
    /// Its schema version: 2 added the index's `offset`, `length` and `header`, and made `file_name`
    /// nullable.
    public static let schemaVersion = 2
    /// The metadata entries of an index: its input, as a path from the index's directory, and the
    /// input's size in bytes when it was cut.
    public static let inputKey = "mimir.input", inputSizeKey = "mimir.input_size"
    /// One row per shard: its file, or in an index (`mimir-split --index`) the input's bytes it is
    /// (`offset` and `length` of its records, `header` the ranges of the header blocks before them,
    /// `OFFSET+LENGTH,...`); the windows' origin, its window (with --interval), first and last packet,
    /// packets, bytes, and whether the capture's start or end cuts it. The runner fans out over its
    /// rows (`shard_table` in stages/split.yaml).
    public static let schema = try! Schema([
        Field("shard", .int32, sortKey: true), Field("file_name", .string, nullable: true),
        Field("origin", .timestamp), Field(Column.windowIndex, .int64, nullable: true, sortKey: true),
        Field(Column.windowStart, .timestamp, nullable: true), Field("window_end", .timestamp, nullable: true),
        Field("first_packet", .timestamp, nullable: true), Field("last_packet", .timestamp, nullable: true),
        Field(Column.packets, .int64), Field(Column.bytes, .int64), Field(Column.partial, .bool),
        Field("offset", .int64, nullable: true), Field("length", .int64, nullable: true), Field("header", .string, nullable: true),
    ])
}
