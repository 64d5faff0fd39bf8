import Foundation
import Testing
import TestSupport

/// `make demo`'s two pipelines, as shipped but on smaller captures, through the real stages: they run
/// end to end, `-j 1` and `-j 2` give byte-identical artifacts, and a second run runs nothing.
@Suite(.serialized) struct DemoPipelineTests {
    static let binaries = CrossCheck.packageRoot + "/.build/debug/"
    static let enabled = ["mimir", "mimir-simulate", "mimir-split", "mimir-flows", "mimir-graph", "mimir-inject", "mimir-features", "mimir-fit",
                          "mimir-score"].allSatisfy { FileManager.default.isExecutableFile(atPath: binaries + $0) }

    /// The shipped pipeline with a shorter, quieter capture.
    static func smaller(_ name: String, _ replacements: [(String, String)], into directory: String) throws {
        var text = try String(contentsOfFile: CrossCheck.packageRoot + "/pipelines/\(name).yaml", encoding: .utf8)
        for (old, new) in replacements {
            #expect(text.contains(old), "pipelines/\(name).yaml no longer says \(old)")
            text = text.replacingOccurrences(of: old, with: new)
        }
        try text.write(toFile: directory + "/\(name).yaml", atomically: true, encoding: .utf8)
    }

    static func mimir(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try CrossCheck.run(binaries + "mimir", arguments, in: CrossCheck.packageRoot)
    }

    @Test(.needs(enabled, "needs the built stages"))
    func demoPipelinesRunEndToEnd_inParallelIdentically_andOnceOnly() throws {
        let directory = try TemporaryDirectory()
        try Self.smaller("demo-train", [("duration: 7200, users: 10", "duration: 1200, users: 2"), ("interval: 600", "interval: 300")], into: directory.path)
        try Self.smaller("demo-eval", [("duration: 3600, users: 10", "duration: 3600, users: 1"), ("interval: 600", "interval: 900")], into: directory.path)
        let pipelines = [directory.file("demo-train.yaml"), directory.file("demo-eval.yaml")]
        for (artifacts, jobs) in [("one", "1"), ("two", "2")] {
            let run = try Self.mimir(["run", "--artifacts", directory.file(artifacts), "-j", jobs] + pipelines)
            #expect(run.status == 0, "\(run.output)")
            // train: simulate, split, 4 shards, graph, 5 rates x (inject, features, score), fit, report;
            // eval: simulate, split, 4 shards, graph, 6 rates x (inject, features, score), report.
            #expect(run.output.contains("demo-train: 24 ran, 0 fresh") && run.output.contains("demo-eval: 26 ran, 0 fresh"), "\(run.output)")
        }
        let one = RunnerFixtureFiles.artifacts(directory.file("one"))
        #expect(one.keys.contains("demo-eval/score/0/evaluation.parquet") && one.keys.contains("demo-eval/report/report.html"))
        #expect(one.keys.filter { $0.hasPrefix("demo-train/flows/") }.count == 4 * 3)
        let two = RunnerFixtureFiles.artifacts(directory.file("two"))
        #expect(one.keys.sorted() == two.keys.sorted())
        #expect(one.keys.sorted().filter { one[$0] != two[$0] } == [])
        let again = try Self.mimir(["run", "--artifacts", directory.file("one")] + pipelines)
        #expect(again.output.contains("demo-train: 0 ran, 24 fresh") && again.output.contains("demo-eval: 0 ran, 26 fresh"), "\(again.output)")
    }
}
