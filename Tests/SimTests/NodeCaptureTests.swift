import Foundation
import Testing
import TestSupport

/// A cluster captured on every node: each node's mimir-flows share, under the node rule, adds up to
/// what one capture of the whole cluster would count, on both multi-node clusters and at 0, 5 and
/// 50 ms of clock skew. Checked against the simulator's own single-node truth and, independently of
/// our code, against tshark's reading of the captures with the rule applied in Python.
@Suite(.serialized) struct NodeCaptureTests {
    static let flows = CrossCheck.packageRoot + "/.build/debug/mimir-flows"
    static let enabled = SimFixture.available && SimFixture.tshark && CrossCheck.python != nil
        && FileManager.default.isExecutableFile(atPath: flows)

    /// A minute before the simulation's default start (2026-11-28T10:00:00Z): aligned to every window,
    /// and before any node's skewed first packet.
    static let origin = "1795859940"

    @Test(.needs(enabled, "needs the built simulator and mimir-flows, tshark and Python"),
          arguments: ["three-nodes", "ipv6-two-nodes"], ["0", "5", "50"])
    func nodeShares_addUpToTheSingleNodeTruth(cluster: String, skew: String) throws {
        let directory = try TemporaryDirectory()
        let sim = directory.file("sim")
        let (status, output) = try SimFixture.simulate(["--app", SimFixture.models + "apps/sockshop.yaml",
                                                        "--cluster", SimFixture.models + "clusters/\(cluster).yaml",
                                                        "--duration", "25", "--users", "20", "--every-node", "--clock-skew", skew], out: sim)
        try #require(status == 0, "\(output)")
        let nodes = try SimFixture.rows(sim + "/captures.parquet")
        #expect(nodes.count == (cluster == "three-nodes" ? 3 : 2))
        var tables: [String] = []
        for node in nodes {
            let name = try #require(node["node"] as? String), file = try #require(node["file_name"] as? String)
            #expect(file == "capture-\(name).pcap")
            let out = directory.file("flows-\(name)")
            let run = try CrossCheck.run(Self.flows, [sim + "/" + file, "--node", name, "--cluster", sim + "/cluster.yaml",
                                                      "--origin", Self.origin, "--out", out])
            try #require(run.status == 0, "\(run.output)")
            tables.append(out + "/pairs.parquet")
        }
        let check = try CrossCheck.runScript("check_node_shares.py", [sim] + tables)
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains(" 0 mismatches"), "\(check.output)")
    }

    @Test(.needs(enabled, "needs the built simulator and mimir-flows, tshark and Python"))
    func oneNodeLeftOut_orCountedWhole_doesNotAddUp() throws {
        let directory = try TemporaryDirectory()
        let sim = directory.file("sim")
        let (status, output) = try SimFixture.simulate(["--app", SimFixture.models + "apps/sockshop.yaml",
                                                        "--cluster", SimFixture.models + "clusters/three-nodes.yaml",
                                                        "--duration", "15", "--users", "10", "--every-node"], out: sim)
        try #require(status == 0, "\(output)")
        var tables: [String] = []
        for name in ["node-a", "node-b"] {
            let out = directory.file("flows-\(name)")
            let run = try CrossCheck.run(Self.flows, [sim + "/capture-\(name).pcap", "--node", name, "--cluster", sim + "/cluster.yaml",
                                                      "--origin", Self.origin, "--out", out])
            try #require(run.status == 0, "\(run.output)")
            tables.append(out + "/pairs.parquet")
        }
        #expect(try CrossCheck.runScript("check_node_shares.py", [sim] + tables).status == 1)
        // node-c counted whole, without the rule: its overlay copies count again.
        let whole = directory.file("flows-node-c-whole")
        let run = try CrossCheck.run(Self.flows, [sim + "/capture-node-c.pcap", "--origin", Self.origin, "--out", whole])
        try #require(run.status == 0, "\(run.output)")
        #expect(try CrossCheck.runScript("check_node_shares.py", [sim] + tables + [whole + "/pairs.parquet"]).status == 1)
    }

    /// mimir-merge with the node rule: one file whose whole count is the cluster's.
    @Test(.needs(enabled && FileManager.default.isExecutableFile(atPath: CrossCheck.packageRoot + "/.build/debug/mimir-merge"),
                 "needs the built simulator, mimir-merge and mimir-flows, tshark and Python"))
    func mergedWithTheNodeRule_countsAsTheNodesSharesAddUp() throws {
        let directory = try TemporaryDirectory()
        let sim = directory.file("sim")
        try #require(try SimFixture.simulate(["--app", SimFixture.models + "apps/sockshop.yaml", "--cluster", SimFixture.models + "clusters/ipv6-two-nodes.yaml",
                                              "--duration", "20", "--users", "10", "--every-node", "--clock-skew", "50"], out: sim).status == 0)
        let merged = directory.file("merged.pcapng")
        let merge = try CrossCheck.run(CrossCheck.packageRoot + "/.build/debug/mimir-merge",
                                       ["--cluster", sim + "/cluster.yaml", "v6-a=" + sim + "/capture-v6-a.pcap", "v6-b=" + sim + "/capture-v6-b.pcap", "--out", merged])
        #expect(merge.status == 0 && merge.output.contains("copies left out"), "\(merge.output)")
        let flows = try CrossCheck.run(Self.flows, [merged, "--origin", Self.origin, "--out", directory.file("flows")])
        try #require(flows.status == 0, "\(flows.output)")
        let check = try CrossCheck.runScript("check_node_shares.py", [sim, directory.file("flows/pairs.parquet")])
        #expect(check.status == 0 && check.output.contains(" 0 mismatches"), "\(check.output)")
        let bare = try CrossCheck.run(CrossCheck.packageRoot + "/.build/debug/mimir-merge",
                                      ["--cluster", sim + "/cluster.yaml", sim + "/capture-v6-a.pcap", "--out", directory.file("bare.pcapng")])
        #expect(bare.status == 2 && bare.output.contains("every input is NODE=FILE"), "\(bare.output)")
    }

    @Test(.needs(enabled, "needs the built simulator and mimir-flows, tshark and Python"))
    func nodeRule_needsTheClusterAndAKnownNode() throws {
        let directory = try TemporaryDirectory()
        let sim = directory.file("sim")
        try #require(try SimFixture.simulate(["--app", SimFixture.models + "apps/sockshop.yaml", "--cluster",
                                              SimFixture.models + "clusters/three-nodes.yaml", "--duration", "3", "--every-node"], out: sim).status == 0)
        let capture = sim + "/capture-node-a.pcap"
        let alone = try CrossCheck.run(Self.flows, [capture, "--node", "node-a", "--out", directory.file("a")])
        #expect(alone.status == 2 && alone.output.contains("--node needs --cluster"), "\(alone.output)")
        let unknown = try CrossCheck.run(Self.flows, [capture, "--node", "node-z", "--cluster", sim + "/cluster.yaml", "--out", directory.file("b")])
        #expect(unknown.status == 3 && unknown.output.contains("no node 'node-z'") && unknown.output.contains("node-a, node-b, node-c"),
                "\(unknown.output)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("b/pairs.parquet")))
    }
}

/// Features mean on N nodes what they mean on one: computed from the summed node shares they equal
/// those computed from the simulator's single-node truth.
@Suite(.serialized) struct NodeShareFeatureTests {
    static let bin = CrossCheck.packageRoot + "/.build/debug/"
    static let enabled = NodeCaptureTests.enabled && FileManager.default.isExecutableFile(atPath: bin + "mimir-graph")
        && FileManager.default.isExecutableFile(atPath: bin + "mimir-features")

    @Test(.needs(enabled, "needs the built stages and Python"), arguments: ["three-nodes", "ipv6-two-nodes"])
    func featuresOfSummedShares_equalFeaturesOfTheTruth(cluster: String) throws {
        let directory = try TemporaryDirectory()
        let sim = directory.file("sim")
        try #require(try SimFixture.simulate(["--app", SimFixture.models + "apps/sockshop.yaml", "--cluster", SimFixture.models + "clusters/\(cluster).yaml",
                                              "--duration", "90", "--users", "20", "--every-node", "--clock-skew", "5"], out: sim).status == 0)
        var shares: [String] = []
        for node in try SimFixture.rows(sim + "/captures.parquet") {
            let name = try #require(node["node"] as? String), file = try #require(node["file_name"] as? String)
            let run = try CrossCheck.run(Self.bin + "mimir-flows", [sim + "/" + file, "--node", name, "--cluster", sim + "/cluster.yaml",
                                                                    "--origin", NodeCaptureTests.origin, "--out", directory.file("flows-\(name)")])
            try #require(run.status == 0, "\(run.output)")
            shares += ["--pairs", directory.file("flows-\(name)/pairs.parquet")]
        }
        let context = ["--entities", sim + "/entities.jsonl", "--cluster", sim + "/cluster.yaml"]
        for (name, pairs) in [("shares", shares), ("truth", ["--pairs", sim + "/single-node-pairs.parquet"])] {
            let graph = try CrossCheck.run(Self.bin + "mimir-graph", pairs + context + ["--out", directory.file("graph-\(name)")])
            try #require(graph.status == 0, "\(graph.output)")
            let features = try CrossCheck.run(Self.bin + "mimir-features", ["--pod-edges", directory.file("graph-\(name)/pod_edges.parquet"),
                                                                            "--sensitive", "user-db", "--out", directory.file("features-\(name)")])
            try #require(features.status == 0, "\(features.output)")
            #expect(!features.output.contains("cannot be computed"), "\(features.output)")
        }
        let compare = try CrossCheck.runScript("compare_features.py", [directory.file("features-shares/features.parquet"),
                                                                        directory.file("features-truth/features.parquet"), "1e-9"])
        #expect(compare.status == 0, "\(compare.output)")
        // The features a single node's capture could not give are there: users from outside, and the
        // service-address invariant near zero without attacks (in whole windows: the capture's ends cut
        // requests in two).
        let rows = try SimFixture.rows(directory.file("features-shares/features.parquet")).filter { $0["partial"] as? Bool == false }
        let betweenness = rows.compactMap { $0["pods_cfbc_sub_coef_of_var_front-end"] as? Double }.filter { !$0.isNaN }
        #expect(betweenness.count > rows.count / 2, "\(betweenness.count) of \(rows.count) windows")
        let invariant = rows.compactMap { $0["fraction_pod_comm_not_through_vips"] as? Double }
        #expect(invariant.count == rows.count && invariant.allSatisfy { $0 < 0.01 }, "\(invariant.max() ?? .nan)")
    }

    @Test(.needs(enabled, "needs the built stages and Python"))
    func oneNodesCapture_saysWhichFeaturesItCannotGive_andAMissingShareIsRefused() throws {
        let directory = try TemporaryDirectory()
        let sim = directory.file("sim")
        try #require(try SimFixture.simulate(["--app", SimFixture.models + "apps/sockshop.yaml", "--cluster", SimFixture.models + "clusters/three-nodes.yaml",
                                              "--duration", "30", "--users", "10", "--every-node"], out: sim).status == 0)
        let context = ["--entities", sim + "/entities.jsonl", "--cluster", sim + "/cluster.yaml"]
        // node-b's capture counted whole, as a single capture of the cluster.
        try #require(try CrossCheck.run(Self.bin + "mimir-flows", [sim + "/capture-node-b.pcap", "--out", directory.file("whole")]).status == 0)
        try #require(try CrossCheck.run(Self.bin + "mimir-graph", ["--pairs", directory.file("whole/pairs.parquet")] + context
                                        + ["--out", directory.file("graph")]).status == 0)
        let features = try CrossCheck.run(Self.bin + "mimir-features", ["--pod-edges", directory.file("graph/pod_edges.parquet"), "--out", directory.file("features")])
        #expect(features.status == 0 && features.output.contains("fraction_pod_comm_not_through_vips cannot be computed"), "\(features.output)")
        // pyarrow's NaN reaches us as null.
        #expect(try SimFixture.rows(directory.file("features/features.parquet")).allSatisfy { $0["fraction_pod_comm_not_through_vips"] is NSNull })
        // Two of three node shares: graph refuses, naming the missing node.
        var shares: [String] = []
        for name in ["node-a", "node-c"] {
            try #require(try CrossCheck.run(Self.bin + "mimir-flows", [sim + "/capture-\(name).pcap", "--node", name, "--cluster", sim + "/cluster.yaml",
                                                                       "--origin", NodeCaptureTests.origin, "--out", directory.file(name)]).status == 0)
            shares += ["--pairs", directory.file("\(name)/pairs.parquet")]
        }
        let refused = try CrossCheck.run(Self.bin + "mimir-graph", shares + context + ["--out", directory.file("graph-two")])
        #expect(refused.status == 3 && refused.output.contains("no share of node node-b"), "\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("graph-two/pod_edges.parquet")))
    }
}
