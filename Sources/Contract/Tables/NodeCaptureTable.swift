import Table

/// The schema of `captures.parquet` (schema version 1): one capture per node of a cluster, as
/// mimir-simulate writes them with `--every-node`. The runner fans out over its rows (`shard_table`
/// in stages/simulate.yaml), one mimir-split per node.
public enum NodeCaptureTable {
    /// The table's file name.
    public static let fileName = "captures.parquet"
    /// Its schema version.
    public static let schemaVersion = 1
    /// One row per node: its position, its name, its capture's file name, and how far its clock was
    /// set off the entity log's (nanoseconds; the simulator knows it, a real cluster would not).
    public static let schema = try! Schema([
        Field("shard", .int32, sortKey: true), Field("node", .string), Field("file_name", .string), Field("clock_skew_ns", .int64),
    ])

    /// A node's capture file name: `capture-<node>.<extension>`.
    public static func captureName(node: String, fileExtension: String) -> String { "capture-\(node).\(fileExtension)" }
}
