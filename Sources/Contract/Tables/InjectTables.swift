import Table

/// The schemas of mimir-inject's own tables (its edge tables have graph's schemas): labels.parquet
/// (schema 2: with event_id) and paths.parquet.
public enum InjectTables {
    /// The stage that writes these tables.
    public static let stage = "inject"
    /// labels.parquet's schema version (2: with event_id).
    public static let labelsSchemaVersion = 2
    /// The entry of an injected pod-edge table's metadata that holds the rate in MB per minute (graph's
    /// own tables have none), which features passes on.
    public static let rateKey = "mimir.rate"

    /// labels.parquet: per window, whether it holds an attack, of what kind, on which path, and whether it is a test window.
    public static let labels = try! Schema(WindowColumns.fields.filter { $0.name != Column.partial } + [
        Field(Column.rate, .double), Field(Column.label, .bool), Field(Column.kind, .string), Field(Column.pathID, .int32),
        Field(Column.bytes, .int64), Field(Column.packets, .int64), Field(Column.isTest, .bool), Field(Column.eventID, .int32),
    ])

    /// paths.parquet's counts of attacks on each path, in training and in test.
    public static let trainAttacks = "train_attacks", testAttacks = "test_attacks"
    /// paths.parquet: the attack paths and how often each was used.
    public static let paths = try! Schema([
        Field(Column.pathID, .int32, sortKey: true), Field(Column.kind, .string), Field(Column.path, .string),
        Field(trainAttacks, .int32), Field(testAttacks, .int32),
    ])
}
