import Table

/// The schema of `shards.parquet` (schema version 1).
public enum SplitTable {
    /// The stage that writes it.
    public static let stage = "split"
    /// Its schema version.
    public static let schemaVersion = 1
    /// One row per shard: its file, the windows' origin, its window (with --interval), first and last
    /// packet, packets, bytes, and whether the capture's start or end cuts it. The runner fans out over
    /// its rows (`shard_table` in stages/split.yaml).
    public static let schema = try! Schema([
        Field("shard", .int32, sortKey: true), Field("file_name", .string),
        Field("origin", .timestamp), Field(Column.windowIndex, .int64, nullable: true, sortKey: true),
        Field(Column.windowStart, .timestamp, nullable: true), Field("window_end", .timestamp, nullable: true),
        Field("first_packet", .timestamp, nullable: true), Field("last_packet", .timestamp, nullable: true),
        Field(Column.packets, .int64), Field(Column.bytes, .int64), Field(Column.partial, .bool),
    ])
}
