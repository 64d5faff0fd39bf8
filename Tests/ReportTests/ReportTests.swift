import Foundation
import Testing
import TestSupport
@testable import Report
import Contract

/// mimir-report on tables written by pyarrow: its figure tables agree with what pyarrow computes from
/// the same inputs, names from the data show as text, live use, bad input, determinism, and the
/// page as Debian's Chromium renders it (with the PDF).
@Suite(.serialized) struct ReportTests {
    static let binary = CrossCheck.packageRoot + "/.build/debug/mimir-report"
    static let enabled = FileManager.default.isExecutableFile(atPath: binary) && CrossCheck.python != nil

    /// The fixture's inputs, made once per test, and the arguments that hand them to mimir-report.
    static func fixture() throws -> (TemporaryDirectory, [String]) {
        let directory = try TemporaryDirectory()
        let made = try CrossCheck.runScript("report_fixture.py", ["make", directory.path])
        guard made.status == 0 else { throw ReportTestError(description: made.output) }
        var arguments: [String] = []
        for rate in ["1.0", "0.1"] {
            arguments += ["--scores", directory.file("scores_\(rate).parquet"), "--evaluation", directory.file("evaluation_\(rate).parquet"),
                          "--roc", directory.file("roc_\(rate).parquet"), "--service-edges", directory.file("service_edges_\(rate).parquet")]
        }
        arguments += ["--model", directory.file("model.json"), "--paths", directory.file("paths.parquet"), "--features", directory.file("features.parquet"),
                      "--application", "shop <i>one</i>"]
        return (directory, arguments)
    }

    static func report(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try CrossCheck.run(binary, arguments)
    }

    @Test(.needs(enabled, "needs the built mimir-report and pyarrow"))
    func figureTablesAgreeWithPyarrow() throws {
        let (directory, arguments) = try Self.fixture()
        let run = try Self.report(arguments + ["--out", directory.file("out")])
        #expect(run.status == 0, "\(run.output)")
        let check = try CrossCheck.runScript("report_fixture.py", ["check", directory.path, directory.file("out")])
        #expect(check.status == 0 && check.output.contains("0 mismatches"), "\(check.output)")
        let readable = try CrossCheck.runScript("table_as_json.py", [directory.file("out/report_alerts.parquet")])
        #expect(readable.status == 0, "\(readable.output)")
    }

    @Test(.needs(enabled, "needs the built mimir-report and pyarrow"))
    func namesFromTheDataShowAsText() throws {
        let (directory, arguments) = try Self.fixture()
        #expect(try Self.report(arguments + ["--out", directory.file("out")]).status == 0)
        let html = try String(contentsOfFile: directory.file("out/report.html"), encoding: .utf8)
        #expect(!html.contains("<script"))
        #expect(!html.contains("<i>one</i>") && html.contains("shop &lt;i&gt;one&lt;/i&gt;"))
        #expect(html.contains("fanout_&lt;script&gt;alert(1)&lt;/script&gt;"))  // a feature name in the coefficient table
        #expect(html.contains("distinct &lt;b&gt;destinations&lt;/b&gt;"))       // a meaning from the features table
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;</text>"))    // a service in the graph's SVG
        #expect(html.contains("a&amp;b"))
        #expect(!html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http"))  // nothing to fetch
    }

    @Test(.needs(enabled, "needs the built mimir-report and pyarrow"))
    func sameInputsGiveTheSameBytes() throws {
        let (directory, arguments) = try Self.fixture()
        for out in ["a", "b"] { #expect(try Self.report(arguments + ["--out", directory.file(out)]).status == 0) }
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.file("a")) {
            #expect(FileManager.default.contents(atPath: directory.file("a/\(name)")) == FileManager.default.contents(atPath: directory.file("b/\(name)")), "\(name)")
        }
    }

    @Test(.needs(enabled, "needs the built mimir-report and pyarrow"))
    func liveReportHasTheTimelineTheAlertsAndTheGraph() throws {
        let (directory, _) = try Self.fixture()
        let run = try Self.report(["--scores", directory.file("scores_1.0.parquet"), "--service-edges", directory.file("service_edges_1.0.parquet"),
                                   "--model", directory.file("model.json"), "--out", directory.file("live")])
        #expect(run.status == 0, "\(run.output)")
        let html = try String(contentsOfFile: directory.file("live/report.html"), encoding: .utf8)
        #expect(html.contains("Timeline of scores") && html.contains("Incidents (operator") && html.contains("Service communication graph"))
        #expect(!html.contains("ROC") && !html.contains("At a glance"))
        #expect(html.contains("No labels"))
    }

    @Test(.needs(enabled, "needs the built mimir-report and pyarrow"))
    func badInputGetsAClearErrorAndExitCode() throws {
        let (directory, _) = try Self.fixture()
        let base = ["--model", directory.file("model.json"), "--out", directory.file("bad")]
        let wrongTable = try Self.report(["--scores", directory.file("paths.parquet")] + base)
        #expect(wrongTable.status == 3 && wrongTable.output.contains("paths.parquet: written by stage 'inject', expected a table of stage 'score'"), "\(wrongTable.output)")
        try Data("not parquet".utf8).write(to: URL(fileURLWithPath: directory.file("garbage.parquet")))
        let garbage = try Self.report(["--scores", directory.file("garbage.parquet")] + base)
        #expect(garbage.status == 3 && garbage.output.contains("garbage.parquet"), "\(garbage.output)")
        try Data("{\"schema\": 9}".utf8).write(to: URL(fileURLWithPath: directory.file("model9.json")))
        let model = try Self.report(["--scores", directory.file("scores_1.0.parquet"), "--model", directory.file("model9.json"), "--out", directory.file("bad")])
        #expect(model.status == 3 && model.output.contains("model9.json: not a model.json of schema 1"), "\(model.output)")
        let counts = try Self.report(["--scores", directory.file("scores_1.0.parquet"), "--evaluation", directory.file("evaluation_1.0.parquet"),
                                      "--evaluation", directory.file("evaluation_0.1.parquet")] + base)
        #expect(counts.status == 2 && counts.output.contains("give one --evaluation per --scores"), "\(counts.output)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("bad/report.html")))
    }

    @Test(.needs(enabled && CrossCheck.hasCommand("chromium"), "needs Debian's chromium (make installs it)"))
    func rendersInChromiumAndPrintsThePDF() throws {
        let (directory, arguments) = try Self.fixture()
        let run = try Self.report(arguments + ["--pdf", "--out", directory.file("out")])
        #expect(run.status == 0, "\(run.output)")
        let check = try CrossCheck.runScript("check_report_in_chromium.py", [directory.file("out/report.html"), directory.file("shot.png"), "--escaping-case"])
        #expect(check.status == 0 && check.output.contains("report renders: 15 figures"), "\(check.output)")
        let pdf = FileManager.default.contents(atPath: directory.file("out/report.pdf")) ?? Data()
        #expect(pdf.starts(with: Array("%PDF".utf8)) && pdf.count > 20_000, "\(pdf.count) bytes")
        #expect(String(decoding: pdf, as: UTF8.self).contains("/CreationDate (D:00000000000000"))
    }

    @Test(.needs(FileManager.default.isExecutableFile(atPath: binary), "needs the built mimir-report"))
    func pdfWithoutChromiumSaysWhatToInstall() throws {
        let (status, output) = try CrossCheck.run(Self.binary, ["--scores", "x.parquet", "--model", "m.json", "--pdf", "--out", NSTemporaryDirectory() + "mimir-no-pdf"],
                                                  environment: ["PATH": "/nonexistent"])
        #expect(status == 2 && output.contains("--pdf needs a headless Chromium on the PATH (Debian: apt-get install chromium)"), "\(output)")
    }

    @Test func svgTextIsEscaped() {
        var canvas = SVGCanvas(width: 10, height: 10)
        canvas.text(1, 2, "<b>\"x\" & 'y'</b>")
        let svg = canvas.svg(title: "t<")
        #expect(svg.contains(">&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;</text>"))
        #expect(svg.contains("<title>t&lt;</title>"))
    }

    @Test func ticksAreRoundNumbers() {
        // By hand: 0...1 in about five steps is 0, 0.2, ..., 1; 0...37 steps by 10; 0.01...10 on a log scale is the powers of ten.
        #expect(Scale(domain: 0...1, pixels: (0, 100)).ticks() == [0, 0.2, 0.4, 0.6000000000000001, 0.8, 1])
        #expect(Scale(domain: 0...37, pixels: (0, 100)).ticks() == [0, 10, 20, 30])
        #expect(Scale(domain: 0.01...10, pixels: (0, 100), logarithmic: true).ticks() == [0.01, 0.1, 1, 10])
        #expect(Scale(domain: 0...10, pixels: (100, 0))(2.5) == 75)
        #expect(formatted(0.5000) == "0.5" && formatted(.nan) == "–" && formatted(-0.0001) == "0")
        #expect(coordinate(12.34) == "12.3" && coordinate(-0.04) == "0" && coordinate(-0.06) == "-0.1")
        #expect(ReportBuilder.serviceHops("db_pod>dns_vip>dns_pod>internet").map { "\($0.0)>\($0.1)" } == ["db>dns", "dns>outside"])
    }
}

struct ReportTestError: Error, CustomStringConvertible {
    let description: String
}
