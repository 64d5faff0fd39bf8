import Foundation
import Table
import SystemSupport

/// model.json (ARCHITECTURE.md, "Labels, rates and ground truth"): per window length and fused, the
/// features, scaler, coefficients, intercept, penalty and training thresholds; the allow-list and the
/// baselines' thresholds. Readable JSON with sorted keys.
public struct DetectionModel: Codable, Sendable {
    /// The version of this file format; readers refuse others.
    public static let schemaVersion = 1

    /// The model of one window length.
    public struct PerLength: Codable, Sendable {
        /// The window length in seconds.
        public var windowLength: Int32
        /// The features the model takes, in the order of its coefficients.
        public var features: [String]
        /// The scaling fitted on the benign training windows.
        public var scaler: RobustScaler
        /// Medians of the scaled benign training rows: what a missing value becomes.
        public var medians: [Double]
        /// One coefficient per feature (0 for a feature the L1 penalty dropped).
        public var coefficients: [Double]
        /// The linear model's intercept.
        public var intercept: Double
        /// LASSO's penalty; for the logistic estimator 1 / C.
        public var alpha: Double
        /// The score above which a window alerts.
        public var threshold: Double
        /// The Ide-Kashima score's threshold, best F1 on the training rows.
        public var ideThreshold: Double
        /// `logistic` for L1 logistic regression (its score is the log-odds); absent for LASSO.
        public var estimator: String?
        /// The logistic estimator's C (the weight of the log-loss against the L1 norm).
        public var c: Double?
        /// The unsupervised detector of unseen behaviour (method `novelty`).
        public var novelty: Novelty?
        /// The bytes of each service pair against the load (method `load`).
        public var load: LoadResiduals?
        /// How an alert budget's threshold was calibrated (absent for in-sample rules).
        public var calibration: Calibration?
        /// Why this model cannot detect anything (no feature selected, constant training scores); the
        /// fusion and the operator's stream do without it.
        public var degenerate: String?
        /// How the final fit's solver ended (absent in models of fit before version 9).
        public var convergence: Convergence?

        /// A model with no estimator recorded (LASSO) unless `estimator` says otherwise.
        public init(windowLength: Int32, features: [String], scaler: RobustScaler, medians: [Double], coefficients: [Double],
                    intercept: Double, alpha: Double, threshold: Double, ideThreshold: Double, estimator: String? = nil, c: Double? = nil) {
            (self.windowLength, self.features, self.scaler, self.medians, self.coefficients) = (windowLength, features, scaler, medians, coefficients)
            (self.intercept, self.alpha, self.threshold, self.ideThreshold, self.estimator, self.c) = (intercept, alpha, threshold, ideThreshold, estimator, c)
        }
    }

    /// The benign windows a budget threshold was chosen on (cross-fitted: each scored by a model not
    /// fitted on it) and what the threshold gives there.
    public struct Calibration: Codable, Sendable, Equatable {
        /// The budget: false alerts a day.
        public var falseAlertsPerDay: Double
        /// How many benign windows the threshold was chosen on.
        public var windows: Int
        /// The time they cover, in seconds.
        public var seconds: Double
        /// Benign windows an empirical threshold needs at this budget (`AlertBudget.windowsNeeded`).
        public var windowsNeeded: Int
        /// The threshold chosen.
        public var threshold: Double
        /// False incidents and alerting windows on the calibration windows at the threshold.
        public var incidents: Int
        /// Windows that alert on the calibration windows at the threshold.
        public var alertedWindows: Int
        /// What the windows were: absent for the training capture's benign windows scored out of fold,
        /// `calibration captures` for benign captures given to fit (`--calibration`).
        public var source: String?

        /// `source` for windows of calibration captures.
        public static let captures = "calibration captures"

        /// A calibration as `AlertBudget` records it.
        public init(falseAlertsPerDay: Double, windows: Int, seconds: Double, windowsNeeded: Int, threshold: Double,
                    incidents: Int, alertedWindows: Int, source: String? = nil) {
            (self.falseAlertsPerDay, self.windows, self.seconds, self.windowsNeeded) = (falseAlertsPerDay, windows, seconds, windowsNeeded)
            (self.threshold, self.incidents, self.alertedWindows, self.source) = (threshold, incidents, alertedWindows, source)
        }
    }

    /// The second-level model that fuses the window lengths' scores.
    public struct Fusion: Codable, Sendable {
        /// Inputs: the maximum of each shorter length's scores within the longest window, then the
        /// longest window's own score.
        public var lengths: [Int32]
        /// One coefficient per input (see `lengths`).
        public var coefficients: [Double]
        /// The fused model's intercept.
        public var intercept: Double
        /// LASSO's penalty; for the logistic estimator 1 / C.
        public var alpha: Double
        /// The fused score above which a window alerts.
        public var threshold: Double
        /// `logistic` for L1 logistic regression; absent for LASSO.
        public var estimator: String?
        /// The logistic estimator's C.
        public var c: Double?
        /// How an alert budget's threshold was calibrated (absent for in-sample rules).
        public var calibration: Calibration?
        /// Why the fusion cannot detect anything, when it cannot.
        public var degenerate: String?
        /// How the final fit's solver ended (absent in models of fit before version 9).
        public var convergence: Convergence?

        /// A fusion of LASSO unless `estimator` says otherwise.
        public init(lengths: [Int32], coefficients: [Double], intercept: Double, alpha: Double, threshold: Double,
                    estimator: String? = nil, c: Double? = nil) {
            (self.lengths, self.coefficients, self.intercept, self.alpha) = (lengths, coefficients, intercept, alpha)
            (self.threshold, self.estimator, self.c) = (threshold, estimator, c)
        }
    }

    /// The file format's version (`schemaVersion`).
    public var schema = DetectionModel.schemaVersion
    /// The stage that wrote the file.
    public var stage = "fit"
    /// mimir-fit's implementation version.
    public var version: String
    /// The exfiltration rates of the training tables, MB per minute.
    public var rates: [Double]
    /// How the thresholds were chosen on the training rows: `best-f1` or `fpr:<rate>`.
    public var thresholdRule: String
    /// One model per window length, shortest first.
    public var perLength: [PerLength]
    /// The fusion of the window lengths, when there are several.
    public var fusion: Fusion?
    /// Service pairs (`src>dst`) seen in benign training windows.
    public var allowList: [String]
    /// When new service pairs (the allow-list) alert the operator: their cross-fitted benign training
    /// windows at the operator's length (`AllowList.calibrate`); the threshold stays 1 pair.
    public var allowListCalibration: Calibration?
    /// The stream an operator is alerted from: `fused`, or a window length's model (`60`); absent when
    /// every model is degenerate.
    public var operatorStream: String?
    /// What the training labels were injected with, so that what scores and reports on the model
    /// need not be told again.
    public struct Injection: Codable, Sendable, Equatable {
        /// The service whose data the injected exfiltration took.
        public var sensitive: String?
        /// Whether a reachability policy bounded the attack paths.
        public var policy: Bool?

        /// What the labels were injected with.
        public init(sensitive: String?, policy: Bool?) {
            (self.sensitive, self.policy) = (sensitive, policy)
        }
    }

    /// The first rate's injection (absent in models of fit before version 8).
    public var injection: Injection?

    /// The methods whose union alerts the operator (`Scoring.operatorScores`); absent in models of
    /// fit before version 8, which alerted from the supervised model and novelty.
    public var operatorMethods: [String]?
    /// The methods an operator can be alerted by.
    public static let knownOperatorMethods: Set = ["mimir", "load", "allow_list", "novelty"]

    /// The methods whose union alerts the operator, with the default of models that do not say.
    public var alertMethods: [String] { operatorMethods ?? ["mimir", "novelty"] }

    /// The window length the operator is alerted at: the supervised stream's when it is one of the
    /// methods, else the longest with load residuals; nil when nothing can alert.
    public var operatorLength: Int32? {
        if alertMethods.contains("mimir"), let stream = operatorStream { return stream == "fused" ? fusion?.lengths.last : Int32(stream) }
        guard alertMethods.contains("load") else { return nil }
        return perLength.filter { $0.load != nil }.map(\.windowLength).max()
    }

    /// What fit found wrong with the model (degenerate inputs, too few calibration windows), also
    /// printed on stderr and shown by the report.
    public var warnings: [String]?

    /// The operator's exfiltration side, named (`load residuals (60 s)`, `fused stream`, `60 s stream`),
    /// with its budget calibration: the load residuals' when they alert, else the supervised stream's.
    public var exfiltrationCalibration: (name: String, calibration: Calibration)? {
        if alertMethods.contains("load"), let length = operatorLength,
           let calibration = perLength.first(where: { $0.windowLength == length })?.load?.calibration {
            return ("load residuals (\(length) s)", calibration)
        }
        guard alertMethods.contains("mimir"), let stream = operatorStream, let calibration = calibration(of: stream) else { return nil }
        return ("\(stream == "fused" ? stream : stream + " s") stream", calibration)
    }

    /// The calibration of a stream (`fused` or a window length), when its threshold is a budget's.
    public func calibration(of stream: String) -> Calibration? {
        stream == "fused" ? fusion?.calibration : perLength.first { "\($0.windowLength)" == stream }?.calibration
    }

    /// A model of `perLength` and `fusion`; the other fields start empty.
    public init(version: String, rates: [Double], thresholdRule: String, perLength: [PerLength], fusion: Fusion?, allowList: [String]) {
        (self.version, self.rates, self.thresholdRule, self.perLength, self.fusion, self.allowList) = (version, rates, thresholdRule, perLength, fusion, allowList)
    }

    /// The model as mimir-fit writes it: indented JSON with sorted keys.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }

    /// Reads and checks a model.json; a file of another kind or version, or whose parts do not fit together, is bad input.
    public static func read(path: String) throws -> DetectionModel {
        let data = Data(try PositionedInputFile.contents(of: path))
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let model: DetectionModel
        do { model = try decoder.decode(DetectionModel.self, from: data) } catch {
            throw ModelFileError(detail: "\(path) is not a Mimir model: \(error)")
        }
        guard model.schema == schemaVersion else { throw ModelFileError(detail: "\(path) has model schema \(model.schema); this build reads \(schemaVersion)") }
        if let problem = model.inconsistency() { throw ModelFileError(detail: "\(path): \(problem)") }
        return model
    }

    /// What in the model does not fit together (a hand-edited or damaged file), or nil.
    func inconsistency() -> String? {
        for entry in perLength {
            let count = entry.features.count
            let lengths = [("coefficients", entry.coefficients.count), ("medians", entry.medians.count),
                           ("scaler centers", entry.scaler.centers.count), ("scaler scales", entry.scaler.scales.count)]
            for (name, length) in lengths where length != count {
                return "the \(entry.windowLength) s model has \(count) features but \(length) \(name)"
            }
            if let load = entry.load, let pair = load.pairs.first(where: { !($0.spread > 0) || !$0.spread.isFinite || !($0.base >= 0) || !($0.perLoad >= 0) || !$0.offset.isFinite || !$0.base.isFinite || !$0.perLoad.isFinite }) {
                return "the \(entry.windowLength) s model's load residuals give \(pair.feature) no finite expectation (base and per-load bytes at least 0) and spread"
            }
            if let novelty = entry.novelty, novelty.ceilings.count != novelty.features.count || novelty.spreads.count != novelty.features.count {
                return "the \(entry.windowLength) s model's novelty has \(novelty.features.count) features but \(novelty.ceilings.count) ceilings and \(novelty.spreads.count) spreads"
            }
        }
        guard Set(perLength.map(\.windowLength)).count == perLength.count else { return "a window length has two models" }
        if let fusion {
            let known = Set(perLength.map(\.windowLength))
            if let missing = fusion.lengths.first(where: { !known.contains($0) }) { return "the fusion takes the \(missing) s model, which the file lacks" }
            if fusion.coefficients.count != fusion.lengths.count {
                return "the fusion has \(fusion.lengths.count) inputs but \(fusion.coefficients.count) coefficients"
            }
            if fusion.lengths.isEmpty || zip(fusion.lengths, fusion.lengths.dropFirst()).contains(where: { $0 >= $1 }) {
                return "the fusion's lengths must be increasing"
            }
        }
        if let unknown = alertMethods.first(where: { !Self.knownOperatorMethods.contains($0) }) {
            return "the operator's method '\(unknown)' is not one of \(Self.knownOperatorMethods.sorted().joined(separator: ", "))"
        }
        if let stream = operatorStream, stream == "fused" ? fusion == nil : !perLength.contains(where: { "\($0.windowLength)" == stream }) {
            return "the operator's stream '\(stream)' is not one of the models"
        }
        return nil
    }
}

/// A model.json that cannot be used (exit 3).
public struct ModelFileError: ClassifiedError {
    /// What is wrong, with the file's name.
    public let detail: String
    public var description: String { detail }
    public var errorClass: ErrorClass { .badInput }
}
