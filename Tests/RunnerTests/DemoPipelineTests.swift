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

    /// split's index through the runner: flows reads each shard in place, as bytes of the capture,
    /// and writes the tables it writes from shard files; no shard file exists; a second run runs
    /// nothing; another capture under the same name makes the index and every shard's flows stale.
    @Test(.needs(enabled, "needs the built stages"))
    func indexedShards_areReadInPlace_andGoStaleWithTheCapture() throws {
        let directory = try TemporaryDirectory()
        let capture = directory.file("capture.pcap")
        func simulate(seed: Int) throws {
            let run = try CrossCheck.run(Self.binaries + "mimir-simulate", ["--app", CrossCheck.packageRoot + "/pipelines/apps/wordpress.yaml",
                "--cluster", CrossCheck.packageRoot + "/pipelines/clusters/minikube.yaml", "--duration", "600", "--users", "2",
                "--seed", String(seed), "--out", directory.file("sim-\(seed)")])
            try #require(run.status == 0, "\(run.output)")
            try? FileManager.default.removeItem(atPath: capture)
            try FileManager.default.copyItem(atPath: directory.file("sim-\(seed)/capture.pcap"), toPath: capture)
        }
        try simulate(seed: 1)
        var pipelines: [String] = []
        for index in [true, false] {
            let name = index ? "indexed" : "files"
            try """
                pipeline: \(name)
                inputs: {capture: \(capture)}
                steps:
                  split: {inputs: {capture: capture}, params: {interval: 120, index: \(index)}}
                  flows: {shards: split, params: {windows: "10,60"}}

                """.write(toFile: directory.file(name + ".yaml"), atomically: true, encoding: .utf8)
            pipelines.append(directory.file(name + ".yaml"))
        }
        let artifacts = directory.file("artifacts")
        let first = try Self.mimir(["run", "--artifacts", artifacts] + pipelines)
        #expect(first.status == 0 && first.output.contains("indexed: 6 ran, 0 fresh"), "\(first.output)")
        let files = RunnerFixtureFiles.artifacts(artifacts)
        let flows = files.keys.filter { $0.hasPrefix("indexed/flows/") && $0.hasSuffix(".parquet") }.sorted()
        #expect(flows.count == 5 * 3)
        for key in flows { #expect(files[key] == files["files/" + key.dropFirst("indexed/".count)], "\(key)") }
        #expect(files.keys.filter { $0.hasPrefix("indexed/split/") && $0.hasSuffix(".pcap") }.isEmpty)
        #expect(files.keys.contains { $0.hasPrefix("files/split/shard-") })

        let again = try Self.mimir(["run", "--artifacts", artifacts, pipelines[0]])
        #expect(again.output.contains("indexed: 0 ran, 6 fresh"), "\(again.output)")
        try simulate(seed: 2)
        let changed = try Self.mimir(["run", "--artifacts", artifacts, pipelines[0]])
        #expect(changed.status == 0 && changed.output.contains("indexed: 6 ran, 0 fresh"), "\(changed.output)")
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
