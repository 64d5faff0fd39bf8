import Table

/// The schemas of mimir-score's tables (schema 2: scores.parquet has event_id).
public enum ScoreSchemas {
    /// The stage that writes these tables.
    public static let stage = "score"

    /// scores.parquet: per window, model and method, the score, the threshold and the alert.
    public static let scores = try! Schema([
        Field(Column.rate, .double), Field(Column.model, .string), Field(Column.method, .string),
        Field(Column.windowLength, .int32, sortKey: true), Field(Column.windowIndex, .int64, sortKey: true),
        Field(Column.windowStart, .timestamp), Field(Column.score, .double), Field(Column.threshold, .double), Field(Column.alert, .bool),
        Field(Column.label, .bool), Field(Column.kind, .string), Field(Column.pathID, .int32), Field(Column.isTest, .bool),
        Field(Column.eventID, .int32),
    ])

    /// The columns of a confusion count (`prefix` "" at the training threshold, "oracle_" at the best).
    public static func counts(_ prefix: String) -> [Field] {
        [Count.truePositives, Count.falsePositives, Count.trueNegatives, Count.falseNegatives].map { Field(prefix + $0, .int64) }
        + [Column.truePositiveRate, Column.falsePositiveRate, Count.f1].map { Field(prefix + $0, .double) }
    }

    /// The names of a confusion count's columns.
    public enum Count {
        /// True and false positives and negatives, and F1.
        public static let truePositives = "tp", falsePositives = "fp", trueNegatives = "tn", falseNegatives = "fn", f1 = "f1"
        /// The prefix of the counts at the oracle threshold.
        public static let oraclePrefix = "oracle_"
        /// The ROC curve's area and the average precision.
        public static let rocAUC = "roc_auc", averagePrecision = "average_precision"
    }

    /// evaluation.parquet: per kind, model and method, counts at the training and the oracle threshold, ROC AUC, average precision.
    public static let evaluation = try! Schema([
        Field(Column.rate, .double), Field(Column.kind, .string), Field(Column.model, .string), Field(Column.method, .string),
        Field(Column.threshold, .double),
    ] + counts("") + [Field(Count.oraclePrefix + Column.threshold, .double)] + counts(Count.oraclePrefix)
      + [Field(Count.rocAUC, .double), Field(Count.averagePrecision, .double)])

    /// roc.parquet: the ROC curves' points.
    public static let roc = try! Schema([
        Field(Column.rate, .double), Field(Column.kind, .string), Field(Column.model, .string), Field(Column.method, .string),
        Field(Column.falsePositiveRate, .double), Field(Column.truePositiveRate, .double), Field(Column.threshold, .double),
    ])

    /// confusion.parquet: counts per attack path.
    public static let confusion = try! Schema([
        Field(Column.rate, .double), Field(Column.model, .string), Field(Column.method, .string), Field(Column.pathID, .int32),
        Field(Count.truePositives, .int64), Field(Count.falsePositives, .int64), Field(Count.trueNegatives, .int64), Field(Count.falseNegatives, .int64),
    ])
}
