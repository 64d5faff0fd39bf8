import ArgumentParser
import Foundation
import Report
import StageSupport
import Table

struct ReportCommand: StageCommand {
    static let version = "8"
    static let configuration = CommandConfiguration(
        commandName: "mimir-report",
        abstract: "Write the report people read: one self-contained HTML page, and a PDF with --pdf.",
        discussion: """
            Reads mimir-score's tables (repeat --scores, --evaluation and --roc, one set per rate), the model, \
            inject's attack paths and the service edges, and writes into --out DIR: report.html (figures as \
            inline SVG, no script, nothing fetched), report.pdf with --pdf (through a headless Chromium), and \
            report_*.parquet, the tables behind every figure. Without --evaluation (a capture without labels) \
            the report holds the timeline, the alerts and the graph.

            Example: mimir-report --scores score/1/scores.parquet --evaluation score/1/evaluation.parquet \
            --roc score/1/roc.parquet --model fit/model.json --service-edges inject/1/service_edges.parquet --out report
            """,
        version: version)

    @Option(help: "A scores table of mimir-score (repeat, one per rate).")
    var scores: [String]

    @Option(help: "The evaluation table of the same run (repeat in the same order; none for live use).")
    var evaluation: [String] = []

    @Option(help: "The ROC table of the same run (repeat in the same order).")
    var roc: [String] = []

    @Option(help: "model.json of mimir-fit.")
    var model: String

    @Option(help: "inject's paths.parquet (the attack paths; repeatable, one per rate: they are the same).")
    var paths: [String] = []

    @Option(help: "The service edges each scores table was computed from (repeat in the same order).")
    var serviceEdges: [String] = []

    @Option(help: "A features table: its metadata explains each feature (repeatable; the first is read).")
    var features: [String] = []

    @Option(help: "The report's title.")
    var title = "Mimir detection report"

    @Option(help: "The application, as the header names it.")
    var application = "unnamed"

    @Option(help: "The rate whose alerts are listed (default: 0 if present, else 1, else the highest).")
    var focusRate: Double?

    @Flag(help: "Also print report.pdf with a headless Chromium (chromium on the PATH).")
    var pdf = false

    @OptionGroup var out: OutputDirectory

    func validate() throws {
        guard evaluation.isEmpty || evaluation.count == scores.count else { throw ValidationError("give one --evaluation per --scores, or none") }
        guard roc.count == evaluation.count else { throw ValidationError("give one --roc per --evaluation") }
        guard serviceEdges.isEmpty || serviceEdges.count == scores.count else { throw ValidationError("give one --service-edges per --scores, or none") }
        if let focusRate { try validateNumber(focusRate, "--focus-rate", in: 0...1e9, unit: "MB per minute") }
    }

    func run() throws {
        let chromium = pdf ? PDFPrinter.findChromium() : nil
        if pdf && chromium == nil {
            throw ValidationError("--pdf needs a headless Chromium on the PATH (Debian: apt-get install chromium); run without --pdf for the HTML alone")
        }
        let out = try self.out.create()
        let progress = Progress("mimir-report")
        let inputs = ReportInputs(scores: scores, evaluations: evaluation, rocs: roc, model: model, paths: paths.first, serviceEdges: serviceEdges, features: features.first)
        let params = JSONValue.object([
            "title": .string(title), "application": .string(application), "focus_rate": focusRate.map { .double($0) } ?? .null, "pdf": .bool(pdf),
        ])
        let html = try Report.write(inputs: inputs, options: ReportOptions(title: title, application: application, focusRate: focusRate),
                                    directory: out, version: Self.version, params: params)
        if let chromium { try PDFPrinter.print(html: html, to: out + "/report.pdf", chromium: chromium) }
        progress.finish("report", outputs: "\(html)\(pdf ? " and report.pdf" : "")")
    }
}

StageMain.run(ReportCommand.self)
