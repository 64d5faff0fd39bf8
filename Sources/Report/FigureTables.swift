import Contract
import Table

/// The tables behind the report's figures, written as Parquet beside report.html so every number on
/// the page can be checked or re-plotted.
struct FigureTables {
    static let schemaVersion = 1

    var roc = Rows([Column.model, Column.rate, Column.method, Column.falsePositiveRate, Column.truePositiveRate])
    var rates = Rows([Column.model, Column.rate, Column.kind, Column.method, ScoreSchemas.Count.f1, ScoreSchemas.Count.oraclePrefix + ScoreSchemas.Count.f1, Column.truePositiveRate, Column.falsePositiveRate, ScoreSchemas.Count.falsePositives, ScoreSchemas.Count.rocAUC, ScoreSchemas.Count.averagePrecision])
    var pathRecall = Rows([Column.rate, Column.method, "target", "attacked_windows", "recall"])
    var confusion = Rows([Column.model, Column.rate, Column.method, "period", "target", ScoreSchemas.Count.truePositives, ScoreSchemas.Count.falsePositives, ScoreSchemas.Count.trueNegatives, ScoreSchemas.Count.falseNegatives])
    var coefficients = Rows([Column.model, "feature", "coefficient", "meaning"])
    var timeline = Rows([Column.rate, Column.windowLength, Column.windowIndex, Column.windowStart, Column.score, Column.threshold, Column.alert, Column.kind])
    var graph = Rows([Column.source, Column.destination, Column.bytes, "on_attack_path"])
    var alerts = Rows([Column.rate, Column.windowLength, "first_window", "last_window", "start", "peak_score", Column.kind, "changed_edges"])

    /// A table being filled row by row; each column's type is taken from its first value.
    struct Rows {
        enum Value {
            case string(String), double(Double), int(Int64), bool(Bool), time(Int64)
        }

        let names: [String]
        var rows: [[Value]] = []

        init(_ names: [String]) { self.names = names }

        mutating func append(_ values: Value...) {
            precondition(values.count == names.count, "a figure row has one value per column")
            rows.append(values)
        }

        func batch() throws -> TableBatch {
            var fields: [Field] = []
            var columns: [ColumnArray] = []
            for (index, name) in names.enumerated() {
                let values = rows.map { $0[index] }
                switch values.first {
                case .double?, nil:
                    fields.append(Field(name, .double))
                    columns.append(ColumnArray(values.map { if case let .double(v) = $0 { v } else { .nan } }))
                case .string?:
                    fields.append(Field(name, .string))
                    columns.append(ColumnArray(values.map { if case let .string(v) = $0 { v } else { "" } }))
                case .int?:
                    fields.append(Field(name, .int64))
                    columns.append(ColumnArray(values.map { if case let .int(v) = $0 { v } else { 0 } }))
                case .bool?:
                    fields.append(Field(name, .bool))
                    columns.append(ColumnArray(values.map { if case let .bool(v) = $0 { v } else { false } }))
                case .time?:
                    fields.append(Field(name, .timestamp))
                    columns.append(ColumnArray(.int64(values.map { if case let .time(v) = $0 { v } else { 0 } })))
                }
            }
            return try TableBatch(schema: try Schema(fields), columns: columns)
        }
    }

    /// File name -> table, in a fixed order.
    var all: [(String, Rows)] {
        [("report_roc.parquet", roc), ("report_rates.parquet", rates), ("report_path_recall.parquet", pathRecall),
         ("report_confusion.parquet", confusion), ("report_coefficients.parquet", coefficients), ("report_timeline.parquet", timeline),
         ("report_graph.parquet", graph), ("report_alerts.parquet", alerts)]
    }

    func write(directory: String, provenance: Provenance) throws {
        for (name, rows) in all {
            let batch = try rows.batch()
            let writer = try TableWriter(path: directory + "/" + name, schema: batch.schema, metadata: provenance.keyValues)
            try writer.write(batch)
            try writer.close()
        }
    }
}
