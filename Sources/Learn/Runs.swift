import Contract

/// mimir-fit's work from its input files to the model: the training tables, the allow-list learnt
/// from the first rate's benign training windows, the calibration captures, the detector.
public enum FitRun {
    public struct Result {
        public var model: DetectionModel
        public var scores: [TrainingScore]
        public var rates: [Double]
    }

    /// - Parameters:
    ///   - features: one features table per rate; `labels`: inject's labels for each, in the same order.
    ///   - serviceEdges: the training capture's service edges (the allow-list baseline's input).
    ///   - calibration: benign captures' features to calibrate a budget on.
    public static func run(features: [String], labels: [String], serviceEdges: String, calibration: [String],
                           thresholdRule: Detector.ThresholdRule, estimator: Detector.Estimator, exfiltration: Detector.ExfiltrationSide,
                           version: String, progress: (String) -> Void = { _ in }) throws -> Result {
        let tables = try zip(features, labels).map { try LabelledWindows(features: $0, labels: $1) }
        let allowList = try AllowList.learn(serviceEdges: serviceEdges, benign: benignTrainingWindows(of: tables[0]))
        let captures = try calibration.map { try LabelledWindows(features: $0, labels: nil) }
        let (model, scores) = Detector.fit(tables: tables, allowList: allowList, thresholdRule: thresholdRule, estimator: estimator,
                                           exfiltration: exfiltration, calibration: captures, version: version, progress: progress)
        return Result(model: model, scores: scores, rates: tables.map(\.rate))
    }

    /// The windows the allow-list learns from: the benign training windows of the shortest length
    /// (a service pair seen in any of them is allowed).
    static func benignTrainingWindows(of table: LabelledWindows) -> (Int32, Int64) -> Bool {
        let shortest = table.rows.map(\.length).min() ?? 0
        let benign = Set(table.rows.filter { $0.length == shortest && !$0.isTest && !$0.label }.map(\.index))
        return { length, index in length == shortest && benign.contains(index) }
    }
}

/// mimir-score's work from its input files to its tables: every window scored, the evaluation with
/// labels, the operator's incidents.
public enum ScoreRun {
    public struct Result {
        public var scores: [Scoring.Score]
        public var evaluations: [Scoring.Evaluation]?
        public var incidents: [Alert]
        /// The rate the labels were injected at (0 without labels).
        public var rate: Double
        /// Features of the table the model does not know (ignored).
        public var unknownFeatures: [String]
    }

    public static func run(model: DetectionModel, features: String, labels: String?, serviceEdges: String, includePartial: Bool) throws -> Result {
        let windows = try LabelledWindows(features: features, labels: labels)
        let violations = try AllowList.violations(serviceEdges: serviceEdges, allowed: Set(model.allowList))
        let scores = Scoring.score(model: model, windows: windows, violations: violations, includePartial: includePartial)
        return Result(scores: scores, evaluations: labels == nil ? nil : Scoring.evaluate(scores),
                      incidents: Alerts.incidents(model: model, windows: windows, scores: scores, violations: violations),
                      rate: windows.rate, unknownFeatures: unknownFeatures(of: windows, model: model))
    }

    /// Columns the model takes no input from. A pair's bytes the load residuals lack is a pair benign
    /// training never saw: novelty's, not an extra column.
    static func unknownFeatures(of windows: LabelledWindows, model: DetectionModel) -> [String] {
        let known = Set(model.perLength.flatMap { $0.features + ($0.novelty?.features ?? []) })
        return windows.featureNames.filter { !known.contains($0) && $0 != Detector.ideFeature && !FeatureColumns.isLoadModelInput($0) }
    }
}
