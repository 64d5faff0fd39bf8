import Contract
import Table

/// Writes mimir-score's tables (`ScoreSchemas`).
public enum ScoreTables {
    public static func write(scores: [Scoring.Score], evaluations: [Scoring.Evaluation]?, rate: Double, directory: String,
                             provenance: Provenance) throws {
        let scoreSchema = ScoreSchemas.scores
        try write(directory + "/scores.parquet", scoreSchema, provenance, [
            ColumnArray(scores.map { _ in rate }), ColumnArray(scores.map(\.model)), ColumnArray(scores.map(\.method)),
            ColumnArray(scores.map(\.length)), ColumnArray(scores.map(\.index)), ColumnArray(.int64(scores.map(\.start))),
            ColumnArray(scores.map(\.score)), ColumnArray(scores.map(\.threshold)), ColumnArray(scores.map(\.alert)),
            ColumnArray(scores.map(\.label)), ColumnArray(scores.map(\.kind)), ColumnArray(scores.map(\.pathID)), ColumnArray(scores.map(\.isTest)),
            ColumnArray(scores.map(\.event)),
        ])
        guard let evaluations else { return }
        let evaluationSchema = ScoreSchemas.evaluation
        func counts(_ pick: (Scoring.Evaluation) -> Metrics.Counts) -> [ColumnArray] {
            [ColumnArray(evaluations.map { Int64(pick($0).truePositives) }), ColumnArray(evaluations.map { Int64(pick($0).falsePositives) }),
             ColumnArray(evaluations.map { Int64(pick($0).trueNegatives) }), ColumnArray(evaluations.map { Int64(pick($0).falseNegatives) }),
             ColumnArray(evaluations.map { pick($0).truePositiveRate }), ColumnArray(evaluations.map { pick($0).falsePositiveRate }),
             ColumnArray(evaluations.map { pick($0).f1 })]
        }
        try write(directory + "/evaluation.parquet", evaluationSchema, provenance,
                  [ColumnArray(evaluations.map { _ in rate }), ColumnArray(evaluations.map(\.kind)), ColumnArray(evaluations.map(\.model)),
                   ColumnArray(evaluations.map(\.method)), ColumnArray(evaluations.map(\.threshold))] + counts(\.atThreshold)
                  + [ColumnArray(evaluations.map(\.oracleThreshold))] + counts(\.atOracle)
                  + [ColumnArray(evaluations.map(\.rocAUC)), ColumnArray(evaluations.map(\.averagePrecision))])
        let points = evaluations.flatMap { evaluation in
            zip(zip(evaluation.curve.fpr, evaluation.curve.tpr), evaluation.curve.thresholds).map { (evaluation, $0.0, $0.1, $1) }
        }
        let rocSchema = ScoreSchemas.roc
        try write(directory + "/roc.parquet", rocSchema, provenance, [
            ColumnArray(points.map { _ in rate }), ColumnArray(points.map(\.0.kind)), ColumnArray(points.map(\.0.model)),
            ColumnArray(points.map(\.0.method)), ColumnArray(points.map(\.1)), ColumnArray(points.map(\.2)), ColumnArray(points.map(\.3)),
        ])
        // Per attack path (and -1 for windows without an attack), at the training threshold, test rows.
        var cells: [String: (model: String, method: String, path: Int32, tp: Int64, fp: Int64, tn: Int64, fn: Int64)] = [:]
        for score in scores where score.isTest {
            let key = "\(score.model)|\(score.method)|\(score.pathID)"
            var cell = cells[key] ?? (score.model, score.method, score.pathID, 0, 0, 0, 0)
            switch (score.alert, score.label) {
            case (true, true): cell.tp += 1
            case (true, false): cell.fp += 1
            case (false, false): cell.tn += 1
            case (false, true): cell.fn += 1
            }
            cells[key] = cell
        }
        let ordered = cells.values.sorted { ($0.model, $0.method, $0.path) < ($1.model, $1.method, $1.path) }
        let confusionSchema = ScoreSchemas.confusion
        try write(directory + "/confusion.parquet", confusionSchema, provenance, [
            ColumnArray(ordered.map { _ in rate }), ColumnArray(ordered.map(\.model)), ColumnArray(ordered.map(\.method)), ColumnArray(ordered.map(\.path)),
            ColumnArray(ordered.map(\.tp)), ColumnArray(ordered.map(\.fp)), ColumnArray(ordered.map(\.tn)), ColumnArray(ordered.map(\.fn)),
        ])
    }

    private static func write(_ path: String, _ schema: Schema, _ provenance: Provenance, _ columns: [ColumnArray]) throws {
        let writer = try TableWriter(path: path, schema: schema, metadata: provenance.keyValues)
        try writer.write(TableBatch(schema: schema, columns: columns))
        try writer.close()
    }
}
