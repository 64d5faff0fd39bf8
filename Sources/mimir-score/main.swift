import ArgumentParser
import Cluster
import Learn
import StageSupport
import Table
import SystemSupport
import Contract

/// mimir-score: a fitted model applied to a capture's features; with labels, the evaluation.
struct ScoreCommand: ParsableCommand {
    static let version = "5"

    static let configuration = CommandConfiguration(
        commandName: "mimir-score",
        abstract: "Score every window with a fitted model and the two baselines; evaluate them when labels are given.",
        discussion: """
        Writes scores.parquet (per window, model and method: score, threshold, alert) and alerts.jsonl (the \
        incidents of the operator's stream: runs of alerting windows of at most ten minutes, each with the \
        features and new service pairs that raised it) into --out DIR. With \
        --labels (inject's, or only real events at rate 0) it also writes evaluation.parquet (per kind, \
        window length or fused, and method: counts, TPR, FPR and F1 at the training threshold and at the \
        oracle threshold chosen on the evaluated data, ROC AUC, average precision), roc.parquet and \
        confusion.parquet (per attack path). Only test rows are evaluated. Without labels (live use) \
        every row is scored.
        """,
        version: version)

    @Option(help: "model.json of mimir-fit.")
    var model: String

    @Option(help: "The features table to score.")
    var features: String

    @Option(help: "The service edges of the same capture (the allow-list baseline).")
    var serviceEdges: String

    @Option(help: "inject's labels for these features (evaluates).")
    var labels: String?

    @Flag(help: "Score the capture's first and last (partial) windows too.")
    var includePartial = false

    @Option(help: "Directory for the tables (created if missing).")
    var out: String

    func run() throws {
        try makeOutputDirectory(out)
        let progress = Progress("mimir-score")
        let fitted = try DetectionModel.read(path: model)
        let windows = try LabelledWindows(features: features, labels: labels)
        // A pair's bytes the load residuals lack is a pair benign training never saw: novelty's, not an extra column.
        let known = Set(fitted.perLength.flatMap { $0.features + ($0.novelty?.features ?? []) })
        let extra = windows.featureNames.filter { !known.contains($0) && $0 != Detector.ideFeature && !FeatureColumns.isLoadModelInput($0) }
        if !extra.isEmpty { progress.warn("\(extra.count) features the model does not know are ignored (\(extra.prefix(3).joined(separator: ", "))...)") }
        let violations = try AllowList.violations(serviceEdges: serviceEdges, allowed: Set(fitted.allowList))
        let scores = Scoring.score(model: fitted, windows: windows, violations: violations, includePartial: includePartial)
        let evaluations = labels == nil ? nil : Scoring.evaluate(scores)
        if fitted.operatorStream == nil { progress.warn("\(model) has no usable stream (every model is degenerate): alerts.jsonl stays empty") }
        let alerts = Alerts.incidents(model: fitted, windows: windows, scores: scores, violations: violations)
        let provenance = try Provenance(stage: "score", version: Self.version, schemaVersion: 2, params: .object([
            "include_partial": .bool(includePartial), "labelled": .bool(labels != nil),
        ]))
        try ScoreTables.write(scores: scores, evaluations: evaluations, rate: windows.rate, directory: out, provenance: provenance)
        let alertFile = try AtomicOutputFile(path: out + "/alerts.jsonl")
        try alertFile.write(Array(try Alerts.jsonLines(alerts, time: { Timestamp.format(nanoseconds: $0 * 1000) }).utf8))
        try alertFile.publish()
        let headline = evaluations?.filter { $0.kind == "all" && $0.method == "mimir" }
            .map { "\($0.model): AUC \(String(format: "%.3f", $0.rocAUC)), F1 \(String(format: "%.3f", $0.atThreshold.f1))" } ?? []
        progress.finish("\(scores.count) scores, \(alerts.count) incidents\(fitted.operatorStream.map { " (\($0) stream)" } ?? "")\(headline.isEmpty ? "" : "; " + headline.joined(separator: "; ")) in \(fixedPoint(progress.elapsed, decimals: 2)) s; tables in \(out)")
    }
}

StageMain.run(ScoreCommand.self)
