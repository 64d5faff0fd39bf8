import Table
import Contract

/// Applies a model to a feature table: scores and alerts per window and method; with labels, the
/// evaluation tables (ARCHITECTURE.md): per kind, window length or fused, and method, counts at the
/// training threshold and at the oracle one (chosen on the evaluated data, reported as such), ROC AUC
/// and average precision; the ROC curves; per-path confusion counts.
public struct Scoring {
    public struct Score: Sendable {
        public var model: String
        public var method: String
        public var length: Int32
        public var index: Int64
        public var start: Int64
        public var score: Double
        public var threshold: Double
        public var label: Bool
        public var kind: String
        public var pathID: Int32
        /// The labelled event (labels.parquet's event_id), -1 for none.
        public var event: Int32
        public var isTest: Bool
        public var alert: Bool { score >= threshold }
    }

    public static let methods = ["operator", "mimir", "load", "ide_kashima", "allow_list", "novelty"]

    /// - Parameter violations: per window (`length/index`), the service pairs outside the allow-list.
    public static func score(model: DetectionModel, windows: LabelledWindows, violations: [String: [String]], includePartial: Bool) -> [Score] {
        var scores: [Score] = []
        var byLength: [Int32: [Int64: Double]] = [:]
        let idePosition = windows.featureNames.firstIndex(of: Detector.ideFeature)
        for perLength in model.perLength {
            let alignment = Detector.alignment(of: perLength.features, in: windows.featureNames)
            let noveltyAlignment = perLength.novelty.map { Detector.alignment(of: $0.features, in: windows.featureNames) }
            let loadAlignment = perLength.load?.alignment(in: windows.featureNames)
            for row in windows.rows where row.length == perLength.windowLength && (includePartial || !row.partial) {
                let value = Detector.score(Detector.inputs(row.features, alignment: alignment, model: perLength), perLength)
                byLength[row.length, default: [:]][row.index] = value
                let base = Score(model: "\(row.length)", method: "mimir", length: row.length, index: row.index, start: row.start, score: value,
                                 threshold: perLength.threshold, label: row.label, kind: row.kind, pathID: row.pathID, event: row.event, isTest: row.isTest)
                func method(_ name: String, _ score: Double, _ threshold: Double) {
                    var other = base
                    (other.method, other.score, other.threshold) = (name, score, threshold)
                    scores.append(other)
                }
                scores.append(base)
                method("ide_kashima", idePosition.map { row.features[$0] } ?? .nan, perLength.ideThreshold)
                method("allow_list", Double(violations["\(row.length)/\(row.index)"]?.count ?? 0), 1)
                if let novelty = perLength.novelty, let noveltyAlignment {
                    method("novelty", novelty.score(row.features, alignment: noveltyAlignment), novelty.threshold)
                }
                if let load = perLength.load, let loadAlignment {
                    method("load", load.score(row.features, alignment: loadAlignment), load.threshold)
                }
            }
        }
        if let fusion = model.fusion, let longest = fusion.lengths.last {
            for row in windows.rows where row.length == longest && (includePartial || !row.partial) {
                guard let inputs = Detector.fusionInputs(longest: longest, index: row.index, lengths: fusion.lengths, scores: byLength) else { continue }
                scores.append(Score(model: "fused", method: "mimir", length: longest, index: row.index, start: row.start,
                                    score: linearScore(inputs, coefficients: fusion.coefficients, intercept: fusion.intercept),
                                    threshold: fusion.threshold, label: row.label, kind: row.kind, pathID: row.pathID, event: row.event,
                                    isTest: row.isTest))
            }
        }
        return scores + operatorScores(model: model, scores: scores)
    }

    /// The one stream an operator is alerted from (model `operator`): a window alerts when one of the
    /// model's operator methods alerts at the operator's window length (the supervised model's own
    /// stream, the load residuals, novelty). Its score is the largest rise of those above their own
    /// thresholds, so its threshold is 0.
    static func operatorScores(model: DetectionModel, scores: [Score]) -> [Score] {
        guard let length = model.operatorLength else { return [] }
        let streams = Set(model.alertMethods.map { method in
            method == "mimir" ? "\(model.operatorStream ?? "")/mimir" : "\(length)/\(method)"
        })
        var combined: [Int64: Score] = [:]
        var order: [Int64] = []
        func rise(_ score: Score) -> Double { (score.score - score.threshold).isNaN ? -.infinity : score.score - score.threshold }
        for score in scores where score.length == length && streams.contains("\(score.model)/\(score.method)") {
            if var known = combined[score.index] {
                known.score = max(known.score, rise(score))
                combined[score.index] = known
            } else {
                var first = score
                (first.model, first.method, first.threshold, first.score) = ("operator", "operator", 0, rise(score))
                combined[score.index] = first
                order.append(score.index)
            }
        }
        return order.map { combined[$0]! }
    }

    public struct Evaluation: Sendable {
        public var kind: String
        public var model: String
        public var method: String
        public var threshold: Double
        public var atThreshold: Metrics.Counts
        public var oracleThreshold: Double
        public var atOracle: Metrics.Counts
        public var rocAUC: Double
        public var averagePrecision: Double
        public var curve: (fpr: [Double], tpr: [Double], thresholds: [Double])
    }

    /// Evaluates the test rows: every kind on its own (its windows against the unlabelled ones) and all together.
    public static func evaluate(_ scores: [Score]) -> [Evaluation] {
        let test = scores.filter(\.isTest)
        let kinds = ["all"] + Set(test.filter(\.label).map(\.kind)).sorted()
        var result: [Evaluation] = []
        for model in Set(test.map(\.model)).sorted() {
            for method in methods {
                let rows = test.filter { $0.model == model && $0.method == method }
                guard let threshold = rows.first?.threshold else { continue }
                for kind in kinds {
                    let subset = kind == "all" ? rows : rows.filter { !$0.label || $0.kind == kind }
                    let values = subset.map(\.score), labels = subset.map(\.label)
                    let oracle = Metrics.bestF1Threshold(scores: values, labels: labels)
                    result.append(Evaluation(kind: kind, model: model, method: method, threshold: threshold,
                                             atThreshold: Metrics.counts(scores: values, labels: labels, threshold: threshold),
                                             oracleThreshold: oracle, atOracle: Metrics.counts(scores: values, labels: labels, threshold: oracle),
                                             rocAUC: Metrics.rocAUC(scores: values, labels: labels),
                                             averagePrecision: Metrics.averagePrecision(scores: values, labels: labels),
                                             curve: Metrics.rocCurve(scores: values, labels: labels)))
                }
            }
        }
        return result
    }
}
