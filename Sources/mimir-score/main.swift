import ArgumentParser
import Cluster
import Learn
import StageSupport
import Table
import SystemSupport
import Contract

/// mimir-score: a fitted model applied to a capture's features; with labels, the evaluation.
struct ScoreCommand: StageCommand {
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

    @OptionGroup var out: OutputDirectory

    func run() throws {
        let out = try self.out.create()
        let progress = Progress("mimir-score")
        let fitted = try DetectionModel.read(path: model)
        let run = try ScoreRun.run(model: fitted, features: features, labels: labels, serviceEdges: serviceEdges, includePartial: includePartial)
        let (scores, evaluations, alerts, extra) = (run.scores, run.evaluations, run.incidents, run.unknownFeatures)
        if !extra.isEmpty { progress.warn("\(extra.count) features the model does not know are ignored (\(extra.prefix(3).joined(separator: ", "))...)") }
        if fitted.operatorStream == nil { progress.warn("\(model) has no usable stream (every model is degenerate): alerts.jsonl stays empty") }
        let provenance = try Self.provenance(schemaVersion: 2, params: .object(["include_partial": .bool(includePartial), "labelled": .bool(labels != nil)]))
        try ScoreTables.write(scores: scores, evaluations: evaluations, rate: run.rate, directory: out, provenance: provenance)
        let jsonLines = try Alerts.jsonLines(alerts, time: { Timestamp.format(nanoseconds: $0 * Nanoseconds.perMicrosecond) })
        try AtomicOutputFile.publish(Array(jsonLines.utf8), to: out + "/alerts.jsonl")
        let headline = evaluations?.filter { $0.kind == "all" && $0.method == "mimir" }
            .map { "\($0.model): AUC \(String(format: "%.3f", $0.rocAUC)), F1 \(String(format: "%.3f", $0.atThreshold.f1))" } ?? []
        progress.finish("\(scores.count) scores, \(alerts.count) incidents\(fitted.operatorStream.map { " (\($0) stream)" } ?? "")"
                        + (headline.isEmpty ? "" : "; " + headline.joined(separator: "; ")), outputs: "tables in \(out)")
    }
}

StageMain.run(ScoreCommand.self)
