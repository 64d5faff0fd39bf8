import ArgumentParser
import Foundation
import Learn
import StageSupport
import Table
import SystemSupport
import Contract

/// mimir-fit: the detector, fitted on training windows only.
struct FitCommand: StageCommand {
    static let version = "10"

    static let configuration = CommandConfiguration(
        commandName: "mimir-fit",
        abstract: "Fit the Mimir detector (robust scaling, LASSO per window length, fusion) on training windows.",
        discussion: """
        Takes one features table and its labels per exfiltration rate (repeat --features and --labels in \
        the same order) and the service edges of the first rate's capture. Scaling is fitted on the \
        benign training windows; LASSO (5-fold cross-validation over 100 penalties, as scikit-learn's \
        LassoCV) on the first rate's benign training windows plus every rate's attacked ones; the window \
        lengths are fused by a second LASSO. The default threshold keeps false alerts within a budget per day \
        (budget:2), calibrated on benign training windows each scored by a model fitted without it; \
        best-f1 and fpr:RATE are in-sample choices on the training rows. Test rows are never used. A model \
        that cannot detect anything (no feature selected, constant scores) is reported on stderr and in \
        model.json, and the detector does without it. Writes model.json and train_scores.parquet into --out DIR.
        """,
        version: version)

    @Option(help: "A features table (repeat, one per rate).")
    var features: [String]

    @Option(help: "inject's labels for the features table in the same position.")
    var labels: [String]

    @Option(help: "A benign capture's features table to calibrate the budget on instead of the training windows (repeat for several captures).")
    var calibration: [String] = []

    @Option(help: "Service edges of the training capture (the allow-list baseline learns from its benign training windows).")
    var serviceEdges: String

    @Option(help: "How thresholds are chosen: budget:N (at most N false alerts a day, calibrated on cross-fitted benign training windows), or in-sample on the training rows: best-f1, fpr:RATE (the most alerts keeping the false-positive rate at most RATE).")
    var threshold = Detector.ThresholdRule.default

    @Option(help: "The model per window length and for the fusion: lasso (LassoCV on 0/1 labels, the original's), or logistic (L1-penalised logistic regression, C by 5-fold cross-validated log-loss; scores are log-odds).")
    var estimator = Detector.Estimator.lasso

    @Option(help: "The operator's exfiltration side: load (each service pair's bytes against the load), model (the supervised model), or both. Novelty joins it when the features describe behaviour.")
    var exfiltration = Detector.ExfiltrationSide.default

    @OptionGroup var out: OutputDirectory

    func validate() throws {
        guard !features.isEmpty, features.count == labels.count else { throw ValidationError("give one --labels for every --features") }
        if !calibration.isEmpty, !threshold.isBudget {
            throw ValidationError("--calibration sets a budget's thresholds: give --threshold budget:N")
        }
    }

    func run() throws {
        let out = try self.out.create()
        let progress = Progress("mimir-fit")
        let fit = try FitRun.run(features: features, labels: labels, serviceEdges: serviceEdges, calibration: calibration, thresholdRule: threshold,
                                 estimator: estimator, exfiltration: exfiltration, version: Self.version) { progress.phase($0) }
        let model = fit.model
        try AtomicOutputFile.publish(Array(try model.json().utf8), to: out + "/model.json")
        let provenance = try Self.provenance(schemaVersion: 1, params: .object([
            "rates": .array(fit.rates.map { .double($0) }), "threshold": .string(threshold.description), "estimator": .string(estimator.rawValue),
            "exfiltration": .string(exfiltration.rawValue), "calibration_captures": .int(Int64(calibration.count)),
        ]))
        try TrainingScores.write(fit.scores, path: out + "/train_scores.parquet", provenance: provenance)
        for warning in model.warnings ?? [] { progress.warn(warning) }
        let summary = model.perLength.map { "\($0.windowLength) s: \($0.coefficients.filter { $0 != 0 }.count) of \($0.features.count) features" }
        progress.finish("\(summary.joined(separator: ", "))\(model.fusion == nil ? "" : ", fused"); alerts from "
                        + (model.operatorLength == nil ? "nothing" : model.alertMethods.joined(separator: " or ")), outputs: "model in \(out)")
    }
}

extension Detector.ThresholdRule: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public var defaultValueDescription: String { description }
}

extension Detector.Estimator: ExpressibleByArgument {}
extension Detector.ExfiltrationSide: ExpressibleByArgument {}

StageMain.run(FitCommand.self)
