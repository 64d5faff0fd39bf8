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

    @Test(.needs(enabled, "needs the built simulator and mimir-flows, tshark and Python"))
    func nodeRule_needsTheClusterAndAKnownNode() throws {
        let directory = try TemporaryDirectory()
        let sim = directory.file("sim")
        try #require(try SimFixture.simulate(["--app", SimFixture.models + "apps/sockshop.yaml", "--cluster",
                                              SimFixture.models + "clusters/three-nodes.yaml", "--duration", "3", "--every-node"], out: sim).status == 0)
        let capture = sim + "/capture-node-a.pcap"
        let alone = try CrossCheck.run(Self.flows, [capture, "--node", "node-a", "--out", directory.file("a")])
        #expect(alone.status == 2 && alone.output.contains("--node and --cluster go together"), "\(alone.output)")
        let unknown = try CrossCheck.run(Self.flows, [capture, "--node", "node-z", "--cluster", sim + "/cluster.yaml", "--out", directory.file("b")])
        #expect(unknown.status == 3 && unknown.output.contains("no node 'node-z'") && unknown.output.contains("node-a, node-b, node-c"),
                "\(unknown.output)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("b/pairs.parquet")))
    }
}
