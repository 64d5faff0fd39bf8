import Table

/// The schemas of mimir-inject's own tables (its edge tables have graph's schemas): labels.parquet
/// (schema 2: with event_id) and paths.parquet.
public enum InjectTables {
    public static let stage = "inject"
    public static let labelsSchemaVersion = 2
    /// The entry of an injected pod-edge table's metadata that holds the rate in MB per minute (graph's
    /// own tables have none), which features passes on.
    public static let rateKey = "mimir.rate"

    public static let labels = try! Schema(WindowColumns.fields.filter { $0.name != Column.partial } + [
        Field(Column.rate, .double), Field(Column.label, .bool), Field(Column.kind, .string), Field(Column.pathID, .int32),
        Field(Column.bytes, .int64), Field(Column.packets, .int64), Field(Column.isTest, .bool), Field(Column.eventID, .int32),
    ])

    public static let trainAttacks = "train_attacks", testAttacks = "test_attacks"
    public static let paths = try! Schema([
        Field(Column.pathID, .int32, sortKey: true), Field(Column.kind, .string), Field(Column.path, .string),
        Field(trainAttacks, .int32), Field(testAttacks, .int32),
    ])
}
