import Contract
import Table

/// train_scores.parquet: every training capture window's score under the fitted model.
public enum TrainingScores {
    public static let schema = try! Schema([
        Field(Column.rate, .double), Field(Column.model, .string), Field(Column.windowLength, .int32, sortKey: true),
        Field(Column.windowIndex, .int64, sortKey: true), Field(Column.windowStart, .timestamp), Field(Column.score, .double),
        Field(Column.label, .bool), Field(Column.isTest, .bool),
    ])

    public static func write(_ scores: [TrainingScore], path: String, provenance: Provenance) throws {
        let writer = try TableWriter(path: path, schema: schema, metadata: provenance.keyValues)
        try writer.write(TableBatch(schema: schema, columns: [
            ColumnArray(scores.map(\.rate)), ColumnArray(scores.map(\.model)), ColumnArray(scores.map(\.length)),
            ColumnArray(scores.map(\.index)), ColumnArray(.int64(scores.map(\.start))), ColumnArray(scores.map(\.score)),
            ColumnArray(scores.map(\.label)), ColumnArray(scores.map(\.isTest)),
        ]))
        try writer.close()
    }
}
