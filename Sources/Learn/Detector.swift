import Foundation
import Table
import Contract

/// The method's per-window detector (mimir-method.md, sections S11 and 6): robust scaling fitted on
/// benign training windows only, clipping, missing values as the benign median, LASSO (or, as an
/// option, L1-penalised logistic regression); the window lengths fused by a second model of the same
/// kind; thresholds at the best F1 (or a false-positive rate) on training rows. Nothing is ever fitted
/// on the data being evaluated.
public enum Detector {
    /// How thresholds are chosen.
    public enum ThresholdRule: Sendable, Equatable {
        /// The default operating point: false alerts within a budget per day, calibrated on cross-fitted
        /// benign training windows (`AlertBudget`).
        case budget(AlertBudget)
        /// In-sample: the best F1 on the training rows.
        case bestF1
        /// In-sample: the most alerts whose false-positive rate on the training rows is at most the rate.
        case falsePositiveRate(Double)

        public static let `default` = ThresholdRule.budget(AlertBudget(falseAlertsPerDay: 2))

        public init?(_ text: String) {
            if text == "best-f1" { self = .bestF1; return }
            if text.hasPrefix("budget:"), let perDay = Double(text.dropFirst(7)), perDay > 0, perDay.isFinite {
                self = .budget(AlertBudget(falseAlertsPerDay: perDay))
                return
            }
            guard text.hasPrefix("fpr:"), let rate = Double(text.dropFirst(4)), (0...1).contains(rate) else { return nil }
            self = .falsePositiveRate(rate)
        }

        /// The threshold of an in-sample rule on training scores and labels; nil for a budget, which
        /// is calibrated on benign windows instead.
        func inSampleThreshold(scores: [Double], labels: [Bool]) -> Double? {
            switch self {
            case .budget: nil
            case .bestF1: Metrics.bestF1Threshold(scores: scores, labels: labels)
            case let .falsePositiveRate(rate): Metrics.thresholdForFalsePositiveRate(scores: scores, labels: labels, rate: rate)
            }
        }

        public var isBudget: Bool { if case .budget = self { true } else { false } }

        /// The rule for each of `parts` streams whose union alerts the operator: an equal share of a
        /// budget each, so the union stays within it; an in-sample rule as it is.
        func shared(among parts: Int) -> ThresholdRule {
            if case let .budget(budget) = self { return .budget(budget.share(among: parts)) }
            return self
        }

        public var description: String {
            switch self {
            case let .budget(budget): "budget:\(Detector.fixedText(budget.falseAlertsPerDay))"
            case .bestF1: "best-f1"
            case let .falsePositiveRate(rate): "fpr:\(rate)"
            }
        }
    }

    /// What the operator's exfiltration side is: the load residuals (with new service pairs when the
    /// training windows allow them), the supervised model, or both. Novelty joins it whenever the
    /// features describe behaviour.
    public enum ExfiltrationSide: String, Sendable, CaseIterable {
        case load, model, both

        public static let `default` = ExfiltrationSide.load

        /// The methods (`Scoring.methods`) whose union alerts the operator, for a table with these columns;
        /// the supervised model stands in when the table has no bytes per service pair (features of version 2).
        func operatorMethods(featureNames: [String]) -> [String] {
            let hasBytes = featureNames.contains(where: FeatureColumns.isBytes)
            let hasBehaviour = featureNames.contains { name in Novelty.families.contains { name.hasPrefix($0) } }
            var methods = self == .load && hasBytes ? [] : ["mimir"]
            if self != .model && hasBytes { methods.append("load") }
            return methods + (hasBehaviour ? ["novelty"] : [])
        }
    }

    /// The linear model fitted per window length and for the fusion.
    public enum Estimator: String, Sendable {
        /// LassoCV on 0/1 labels (the original's method).
        case lasso
        /// L1-penalised logistic regression with cross-validated C; its score is the log-odds.
        case logistic

        /// Fits on rows in their order (the folds are unshuffled).
        func fit(rows: [[Double]], labels: [Bool], folds: Int)
            -> (coefficients: [Double], intercept: Double, alpha: Double, c: Double?, convergence: Convergence) {
            switch self {
            case .lasso:
                let result = LassoCV(folds: folds).fit(rows: rows, y: labels.map { $0 ? 1 : 0 })
                return (result.fit.coefficients, result.fit.intercept, result.fit.alpha, nil, result.convergence)
            case .logistic:
                let (fit, convergence) = LogisticL1CV(folds: folds).fit(rows: rows, labels: labels)
                return (fit.coefficients, fit.intercept, 1 / fit.c, fit.c, convergence)
            }
        }

        /// The solver's name in messages.
        var solver: String { self == .lasso ? "LASSO coordinate descent" : "logistic regression's Newton steps" }

        /// Each row's score from a model with the chosen penalty fitted on the other folds (the folds of
        /// the cross-validation). The fusion and the budget's calibration use these, not in-sample scores:
        /// a length whose model overfits its training rows would otherwise look perfect to them. The folds
        /// run in parallel, each warm-started from `start` (the fit on every row, near each fold's optimum).
        func outOfFoldScores(rows: [[Double]], labels: [Bool], folds: Int, alpha: Double, c: Double?, start: [Double]? = nil) -> [Double] {
            let fold: [Int]
            switch self {
            case .lasso:
                let boundaries = LassoCV.foldBoundaries(rows: rows.count, folds: folds)
                fold = rows.indices.map { row in (0..<folds).first { boundaries[$0 + 1] > row } ?? 0 }
            case .logistic:
                fold = LogisticL1CV.stratifiedFolds(labels: labels, folds: folds)
            }
            let p = rows.first?.count ?? 0
            let initial = start ?? [Double](repeating: 0, count: p)
            let scores = DisjointSlots(count: rows.count, value: .nan)
            DispatchQueue.concurrentPerform(iterations: folds) { k in
                let train = rows.indices.filter { fold[$0] != k }
                guard !train.isEmpty else { return }
                let predict: ([Double]) -> Double
                switch self {
                case .lasso:
                    let fit = CenteredProblem(rows: train.map { rows[$0] }, y: train.map { labels[$0] ? 1 : 0 }).fit(alpha: alpha, start: initial).fit
                    predict = fit.predict
                case .logistic:
                    let solution = LogisticL1Problem(rows: train.map { rows[$0] }, labels: train.map { labels[$0] })
                        .solve(c: c ?? 1, start: (initial, 0), tolerance: 1e-5, maxIterations: 100)
                    predict = LogisticL1Fit(c: c ?? 1, coefficients: solution.w, intercept: solution.b).decision
                }
                for row in rows.indices where fold[row] == k { scores.values[row] = predict(rows[row]) }
            }
            return Array(scores.values)
        }

        /// nil for the default, so a LASSO model file reads as it always did.
        var recorded: String? { self == .lasso ? nil : rawValue }
    }

    static let rawClip = 1e9, scaledClip = 100.0
    public static let ideFeature = "ide_kashima_score"

    /// Where each of `features` sits in a table's columns `names` (nil: the table lacks it).
    public static func alignment(of features: [String], in names: [String]) -> [Int?] {
        let position = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return features.map { position[$0] }
    }

    /// A row's model inputs: its features taken by `alignment` (a missing feature is the training
    /// median), clipped, scaled, clipped again, NaN replaced by the benign median.
    public static func inputs(_ row: [Double], alignment: [Int?], model: DetectionModel.PerLength) -> [Double] {
        alignment.enumerated().map { column, source in
            guard let source else { return model.medians[column] }
            let raw = min(max(row[source], -rawClip), rawClip)
            let scaled = min(max(model.scaler.transform(raw, column: column), -scaledClip), scaledClip)
            return scaled.isNaN ? model.medians[column] : scaled
        }
    }

    public static func score(_ inputs: [Double], _ model: DetectionModel.PerLength) -> Double {
        linearScore(inputs, coefficients: model.coefficients, intercept: model.intercept)
    }

    /// The fusion's inputs for one longest window: each shorter length's highest score within it,
    /// then its own score; nil when a length has no score there.
    public static func fusionInputs(longest: Int32, index: Int64, lengths: [Int32], scores: [Int32: [Int64: Double]]) -> [Double]? {
        var inputs: [Double] = []
        for length in lengths {
            let perLongest = Int64(longest / length)
            let values = (index * perLongest..<(index + 1) * perLongest).compactMap { scores[length]?[$0] }
            guard let best = values.max() else { return nil }
            inputs.append(best)
        }
        return inputs
    }

    /// Fits the model on the training rows of one table per rate (the first rate's benign rows, every
    /// rate's attack rows). A model that cannot detect anything is marked degenerate, named in the
    /// warnings, and left out of the fusion and the operator's stream.
    /// - Parameter calibration: benign captures to calibrate a budget on instead of the training
    ///   capture's cross-fitted windows (`DetectionModel.calibrate(on:budget:parts:)`).
    public static func fit(tables: [LabelledWindows], allowList: [String], thresholdRule: ThresholdRule = .bestF1, estimator: Estimator = .lasso,
                           exfiltration: ExfiltrationSide = .default, calibration captures: [LabelledWindows] = [],
                           version: String, progress: (String) -> Void = { _ in }) -> (model: DetectionModel, scores: [TrainingScore]) {
        let lengths = Set(tables.flatMap { $0.rows.map(\.length) }).sorted()
        // The operator is alerted by the union of its methods: each gets an equal share of a budget.
        var operatorMethods = exfiltration.operatorMethods(featureNames: tables[0].featureNames)
        var warnings: [String] = []
        let allowListCalibration = admitNewPairs(into: &operatorMethods, table: tables[0], rule: thresholdRule, length: lengths.last, warnings: &warnings)
        let partRule = thresholdRule.shared(among: operatorMethods.count)
        var perLength: [DetectionModel.PerLength] = []
        var trainingScores: [TrainingScore] = []
        var scoresByLength: [Int: [Int32: [Int64: Double]]] = [:]  // table -> length -> index -> score
        for length in lengths {
            let names = tables[0].featureNames
            let benign = tables[0].rows.filter { $0.length == length && !$0.partial && !$0.isTest && !$0.label }
            // Features: every column with a value in some benign training row, the baseline and the load
            // model's inputs excluded.
            let kept = names.indices.filter { column in
                names[column] != ideFeature && !FeatureColumns.isLoadModelInput(names[column]) && benign.contains { !$0.features[column].isNaN }
            }
            let clippedBenign = kept.map { column in benign.map { min(max($0.features[column], -rawClip), rawClip) } }
            let scaler = RobustScaler(fitting: clippedBenign, rows: Array(benign.indices))
            var draft = DetectionModel.PerLength(windowLength: length, features: kept.map { names[$0] }, scaler: scaler,
                                                 medians: Array(repeating: 0, count: kept.count), coefficients: [], intercept: 0, alpha: 0,
                                                 threshold: 0, ideThreshold: 0)
            // The columns of every table, aligned once (the rates' tables may order them differently).
            let alignments = tables.map { alignment(of: draft.features, in: $0.featureNames) }
            let scaledBenign = benign.map { inputs($0.features, alignment: alignments[0], model: draft) }
            draft.medians = kept.indices.map { column in
                RobustScaler.percentile(scaledBenign.map { $0[column] }.filter { !$0.isNaN }.sorted(), 50)
            }.map { $0.isNaN ? 0 : $0 }
            var training: [(table: Int, row: LabelledWindows.Row)] = benign.map { (0, $0) }
            for (table, windows) in tables.enumerated() {
                training += windows.rows.filter { $0.length == length && !$0.partial && !$0.isTest && $0.label }.map { (table, $0) }
            }
            // In time order, rates interleaved: the folds are unshuffled (as LassoCV's), so rows grouped by
            // rate or by class would give folds holding one class and a model that predicts the mean.
            training.sort { ($0.row.index, $0.table) < ($1.row.index, $1.table) }
            let x = training.map { inputs($0.row.features, alignment: alignments[$0.table], model: draft) }
            let labels = training.map(\.row.label)
            progress("the \(length) s model (\(perLength.count + 1) of \(lengths.count)): \(estimator.rawValue) with 5-fold cross-validation on \(x.count) windows")
            let fit = estimator.fit(rows: x, labels: labels, folds: 5)
            (draft.coefficients, draft.intercept, draft.alpha, draft.c, draft.convergence) = fit
            if let warning = fit.convergence.warning(model: "\(length) s model", solver: estimator.solver) { warnings.append(warning) }
            draft.estimator = estimator.recorded
            let scores = x.map { score($0, draft) }
            let outOfFold = estimator.outOfFoldScores(rows: x, labels: labels, folds: 5, alpha: fit.alpha, c: fit.c, start: fit.coefficients)
            draft.degenerate = degeneracy(coefficients: draft.coefficients, scores: scores)
            if let reason = draft.degenerate { warnings.append("the \(length) s model is degenerate (\(reason)): no alert comes from it") }
            // Benign training windows, each scored by a model fitted without it: what a budget is calibrated on.
            let calibration = zip(training, outOfFold).filter { $0.0.table == 0 && !$0.0.row.label }.map { (index: $0.0.row.index, score: $0.1) }
            if let threshold = partRule.inSampleThreshold(scores: scores, labels: labels) {
                draft.threshold = threshold
            } else if case let .budget(budget) = partRule {
                draft.calibration = budget.threshold(calibration: calibration, length: length)
                draft.threshold = draft.degenerate == nil ? draft.calibration!.threshold : .infinity
            }
            let idePosition = names.firstIndex(of: ideFeature)
            draft.ideThreshold = idePosition.map { column in
                let values = training.map { $0.row.features[column] }
                if let threshold = thresholdRule.inSampleThreshold(scores: values, labels: labels) { return threshold }
                guard case let .budget(budget) = thresholdRule else { return .infinity }
                // Ide-Kashima is fitted on nothing: its benign training values are out of sample already.
                return budget.threshold(calibration: benign.map { ($0.index, $0.features[column]) }, length: length).threshold
            } ?? .infinity
            let benignRows = benign.map { (index: $0.index, features: $0.features) }
            progress("the \(length) s model: novelty and load residuals on \(benignRows.count) benign windows")
            draft.novelty = Novelty(names: names, benign: benignRows)
            draft.load = LoadResiduals(names: names, benign: benignRows)
            if case let .budget(budget) = partRule {
                draft.novelty?.calibrate(names: names, benign: benignRows, budget: budget, length: length)
                draft.load?.calibrate(names: names, benign: benignRows, budget: budget, length: length)
            }
            perLength.append(draft)
            var heldOut: [Int: [Int64: Double]] = [:]  // table -> window -> out-of-fold score
            for (position, entry) in training.enumerated() { heldOut[entry.table, default: [:]][entry.row.index] = outOfFold[position] }
            for (table, windows) in tables.enumerated() {
                for row in windows.rows where row.length == length && !row.partial {
                    let value = score(inputs(row.features, alignment: alignments[table], model: draft), draft)
                    scoresByLength[table, default: [:]][length, default: [:]][row.index] = heldOut[table]?[row.index] ?? value
                    trainingScores.append(TrainingScore(rate: windows.rate, model: "\(length)", length: length, index: row.index, start: row.start,
                                                        score: value, label: row.label, isTest: row.isTest))
                }
            }
        }
        let usable = perLength.filter { $0.degenerate == nil }.map(\.windowLength)
        if usable.count > 1 { progress("fusing the \(usable.count) window lengths") }
        let fusion = usable.count > 1 ? fitFusion(tables: tables, lengths: usable, scores: scoresByLength, thresholdRule: partRule,
                                                  estimator: estimator, warnings: &warnings) : nil
        var model = DetectionModel(version: version, rates: tables.map(\.rate), thresholdRule: thresholdRule.description, perLength: perLength,
                                   fusion: fusion, allowList: allowList)
        model.operatorStream = fusion != nil && fusion?.degenerate == nil ? "fused" : usable.last.map { "\($0)" }
        model.operatorMethods = operatorMethods
        model.allowListCalibration = allowListCalibration
        model.injection = tables[0].injection
        if exfiltration != .model && !operatorMethods.contains("load") {
            warnings.append("the features have no bytes per service pair (features before version 3): the exfiltration side is the supervised model")
        }
        if model.operatorLength == nil { warnings.append("every model is degenerate: the detector raises no alert") }
        if case let .budget(budget) = thresholdRule, !captures.isEmpty {
            model.calibrate(on: captures, budget: budget, parts: operatorMethods.count)
        }
        if let (stream, calibration) = model.exfiltrationCalibration, calibration.windows < calibration.windowsNeeded {
            warnings.append("the threshold of the \(stream) was calibrated on \(calibration.windows) benign windows; "
                            + "\(fixedText(calibration.falseAlertsPerDay)) false alerts a day needs about \(calibration.windowsNeeded) for an empirical threshold "
                            + "(give a longer training capture, or benign calibration captures)")
        }
        model.warnings = warnings.isEmpty ? nil : warnings
        return (model, trainingScores)
    }

    /// New service pairs (the allow-list) join the load residuals when, under a budget, cross-fitted
    /// benign training windows of `length` show that the application's pairs do not keep appearing
    /// (`AllowList.calibrate`); the gate's calibration when they join, else nil and a warning.
    private static func admitNewPairs(into methods: inout [String], table: LabelledWindows, rule: ThresholdRule, length: Int32?,
                                      warnings: inout [String]) -> DetectionModel.Calibration? {
        guard let load = methods.firstIndex(of: "load"), case let .budget(budget) = rule, let length else { return nil }
        let benign = table.rows.filter { $0.length == length && !$0.partial && !$0.isTest && !$0.label }.map { (index: $0.index, features: $0.features) }
        let calibration = AllowList.calibrate(names: table.featureNames, benign: benign, budget: budget.share(among: methods.count + 1), length: length)
        guard calibration.threshold <= 1 else {
            warnings.append("new service pairs do not alert: benign training windows showed pairs the rest of the capture lacked "
                            + "more often than \(fixedText(calibration.falseAlertsPerDay)) times a day")
            return nil
        }
        methods.insert("allow_list", at: load + 1)
        return calibration
    }

    /// The fusion (section 6.2) of the usable lengths, on out-of-fold per-length scores of the training rows.
    private static func fitFusion(tables: [LabelledWindows], lengths: [Int32], scores scoresByLength: [Int: [Int32: [Int64: Double]]],
                                  thresholdRule: ThresholdRule, estimator: Estimator, warnings: inout [String]) -> DetectionModel.Fusion? {
        guard let longest = lengths.last else { return nil }
        var rows: [(index: Int64, table: Int, inputs: [Double], label: Bool)] = []
        for (table, windows) in tables.enumerated() {
            for row in windows.rows where row.length == longest && !row.partial && !row.isTest && (row.label || table == 0) {
                guard let inputs = fusionInputs(longest: longest, index: row.index, lengths: lengths, scores: scoresByLength[table] ?? [:]) else { continue }
                rows.append((row.index, table, inputs, row.label))
            }
        }
        rows.sort { ($0.index, $0.table) < ($1.index, $1.table) }
        let x = rows.map(\.inputs), labels = rows.map(\.label)
        guard x.count >= 3 else { return nil }
        let fit = estimator.fit(rows: x, labels: labels, folds: 3)
        let scores = x.map { linearScore($0, coefficients: fit.coefficients, intercept: fit.intercept) }
        var fusion = DetectionModel.Fusion(lengths: lengths, coefficients: fit.coefficients, intercept: fit.intercept, alpha: fit.alpha,
                                           threshold: 0, estimator: estimator.recorded, c: fit.c)
        fusion.convergence = fit.convergence
        if let warning = fit.convergence.warning(model: "fusion", solver: estimator.solver) { warnings.append(warning) }
        fusion.degenerate = degeneracy(coefficients: fit.coefficients, scores: scores)
        if let reason = fusion.degenerate {
            warnings.append("the fusion is degenerate (\(reason)): the operator's stream is the \(longest) s model")
        } else {
            for (length, weight) in zip(lengths, fit.coefficients) where weight == 0 {
                warnings.append("the fusion gives the \(length) s model no weight")
            }
        }
        if let threshold = thresholdRule.inSampleThreshold(scores: scores, labels: labels) {
            fusion.threshold = threshold
        } else if case let .budget(budget) = thresholdRule {
            let outOfFold = estimator.outOfFoldScores(rows: x, labels: labels, folds: 3, alpha: fit.alpha, c: fit.c, start: fit.coefficients)
            let calibration = zip(rows, outOfFold).filter { $0.0.table == 0 && !$0.0.label }.map { (index: $0.0.index, score: $0.1) }
            fusion.calibration = budget.threshold(calibration: calibration, length: longest)
            fusion.threshold = fusion.degenerate == nil ? fusion.calibration!.threshold : .infinity
        }
        return fusion
    }

    /// Why a fitted model cannot rank windows: no feature selected, or one score for every training row.
    static func degeneracy(coefficients: [Double], scores: [Double]) -> String? {
        if coefficients.allSatisfy({ $0 == 0 }) { return "cross-validation selected no feature" }
        if let first = scores.first, scores.allSatisfy({ $0 == first }) { return "every training window has the same score" }
        return nil
    }

    static func fixedText(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(value) }
}

/// One window's score on the training data (train_scores.parquet).
public struct TrainingScore: Sendable {
    public var rate: Double
    public var model: String
    public var length: Int32
    public var index: Int64
    public var start: Int64
    public var score: Double
    public var label: Bool
    public var isTest: Bool
}
