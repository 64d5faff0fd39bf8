import Foundation
import Testing
import TestSupport

/// mimir-graph on simulated captures, read back with pyarrow: the application's call graph appears
/// and nothing else, attacks show where the ground truth says, and bad input gets a clear error.
@Suite(.serialized) struct GraphStageTests {
    static let binaries = CrossCheck.packageRoot + "/.build/debug/"
    static let enabled = ["mimir-simulate", "mimir-flows", "mimir-graph"].allSatisfy { FileManager.default.isExecutableFile(atPath: binaries + $0) }
        && CrossCheck.python != nil

    static func run(_ tool: String, _ arguments: [String]) throws -> String {
        let (status, output) = try CrossCheck.run(binaries + tool, arguments)
        guard status == 0 else { throw GraphTestError(description: "\(tool) failed: \(output)") }
        return output
    }

    /// Simulates, counts and builds the graph into `directory` (sim/, flows/, graph/).
    static func simulateToGraph(_ directory: TemporaryDirectory, _ arguments: [String], clusterFile: Bool = false) throws {
        _ = try run("mimir-simulate", arguments + ["--out", directory.file("sim")])
        _ = try run("mimir-flows", [directory.file("sim/capture.pcap"), "--windows", "10", "--out", directory.file("flows")])
        _ = try run("mimir-graph", ["--pairs", directory.file("flows/pairs.parquet"), "--entities", directory.file("sim/entities.jsonl"),
                                    "--out", directory.file("graph")] + (clusterFile ? ["--cluster", directory.file("sim/cluster.yaml")] : []))
    }

    static func rows(_ table: String) throws -> [[String: Any]] {
        let (status, output) = try CrossCheck.runScript("table_as_json.py", [table])
        guard status == 0, let rows = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]] else {
            throw GraphTestError(description: "pyarrow could not read \(table): \(output.prefix(300))")
        }
        return rows
    }

    @Test(.needs(enabled, "needs the built stages and pyarrow"))
    func sockShopOnThreeNodes_givesItsCallGraphAndNothingElse() throws {
        let directory = try TemporaryDirectory()
        let root = CrossCheck.packageRoot + "/pipelines/"
        try Self.simulateToGraph(directory, ["--app", root + "apps/sockshop.yaml", "--cluster", root + "clusters/three-nodes.yaml",
                                             "--duration", "30", "--users", "40", "--curve", "flat"], clusterFile: true)
        let edges = try Self.rows(directory.file("graph/service_edges.parquet"))
        let pairs = Set(edges.map { "\($0["src"] as! String)>\($0["dst"] as! String)" })
        // The calls of pipelines/apps/sockshop.yaml, each seen in one direction or the other (the capture
        // node sees only the calls it sends or serves), users from outside, lookups through kube-dns.
        let calls = ["front-end>catalogue", "front-end>session-db", "front-end>user", "front-end>carts", "front-end>orders",
                     "catalogue>catalogue-db", "carts>carts-db", "orders>user", "orders>carts", "orders>payment", "orders>shipping",
                     "orders>orders-db", "shipping>rabbitmq", "queue-master>rabbitmq", "user>user-db", "outside>front-end"]
        let seen = calls.filter { pairs.contains($0) || pairs.contains($0.split(separator: ">").reversed().joined(separator: ">")) }
        #expect(seen.count >= 6, "only \(seen) of the model's calls appear")
        let allowed = Set(calls + calls.map { $0.split(separator: ">").reversed().joined(separator: ">") })
        let unexpected = pairs.filter { !allowed.contains($0) && !$0.contains("kube-dns") }
        #expect(unexpected.isEmpty, "edges the model has no call for: \(unexpected.sorted())")
        let nodes = try Self.rows(directory.file("graph/nodes.parquet"))
        #expect(Set(nodes.map { $0["kind"] as! String }).isSubset(of: ["pod", "vip", "outside"]))
        #expect(!nodes.contains { ($0["namespace"] as? String) == "kube-system" && !(($0["service"] as? String) == "kube-dns") })
    }

    @Test(.needs(enabled, "needs the built stages and pyarrow"))
    func exfiltration_showsAsPodToPodAndToOutsideInItsWindows() throws {
        let directory = try TemporaryDirectory()
        let root = CrossCheck.packageRoot + "/pipelines/"
        try "events:\n  - {kind: exfil, start_s: 20, end_s: 30, path: [my-release-pxc, wwwppp-wordpress], rate_kb_per_s: 500}\n"
            .write(toFile: directory.file("events.yaml"), atomically: true, encoding: .utf8)
        try Self.simulateToGraph(directory, ["--app", root + "apps/wordpress.yaml", "--cluster", root + "clusters/minikube.yaml",
                                             "--events", directory.file("events.yaml"), "--duration", "40", "--users", "4"])
        let truth = try Self.rows(directory.file("sim/truth.parquet"))[0]
        let path = (truth["path"] as! String).split(separator: ">").map(String.init)
        let edges = try Self.rows(directory.file("graph/pod_edges.parquet"))
        func bytes(_ src: String, _ dst: String, window: Int) -> Int {
            edges.filter { $0["src"] as? String == src && $0["dst"] as? String == dst && $0["window_index"] as? Int == window }
                .reduce(0) { $0 + ($1["bytes"] as! Int) }
        }
        // Window 2 is [20 s, 30 s): 500 KB/s for 10 s go from the database pod to the WordPress pod and on
        // to outside, on top of the query results and pages that window 1 carries as well.
        #expect(bytes(path[0], path[1], window: 2) - bytes(path[0], path[1], window: 1) > 3_500_000, "\(path)")
        #expect(bytes(path[1], "outside", window: 2) - bytes(path[1], "outside", window: 1) > 3_500_000)
    }

    @Test(.needs(enabled, "needs the built stages and pyarrow"))
    func ipv6Cluster_inferredLayout_givesTheCallGraph() throws {
        let directory = try TemporaryDirectory()
        let root = CrossCheck.packageRoot + "/pipelines/"
        // No cluster.yaml: ranges, node addresses and gateways come from the entity log.
        try Self.simulateToGraph(directory, ["--app", root + "apps/hipster-shop.yaml", "--cluster", root + "clusters/ipv6-two-nodes.yaml",
                                             "--duration", "20", "--users", "30"])
        let edges = try Self.rows(directory.file("graph/service_edges.parquet"))
        let pairs = Set(edges.map { "\($0["src"] as! String)>\($0["dst"] as! String)" })
        #expect(pairs.contains { $0.hasPrefix("frontend>") && !$0.hasSuffix("outside") }, "\(pairs.sorted())")
        let nodes = try Self.rows(directory.file("graph/nodes.parquet"))
        // Every address was named: no raw IPv6 address is left as a node.
        #expect(!nodes.contains { ($0["name"] as! String).contains(":") && !($0["name"] as! String).hasPrefix("node:") }, "\(nodes.prefix(3))")
    }

    @Test(.needs(enabled, "needs the built stages and pyarrow"))
    func badInput_exitsWith3AndNamesTheFile() throws {
        let directory = try TemporaryDirectory()
        try "not an entity log".write(toFile: directory.file("log.txt"), atomically: true, encoding: .utf8)
        let (status, output) = try CrossCheck.run(Self.binaries + "mimir-graph", ["--pairs", directory.file("missing.parquet"),
                                                                                   "--entities", directory.file("log.txt"), "--out", directory.file("out")])
        #expect(status == 3 || status == 1, "\(output)")
        #expect(output.contains(directory.file("missing.parquet")), "\(output)")
        let usage = try CrossCheck.run(Self.binaries + "mimir-graph", ["--pairs", "p", "--entities", "e", "--profile", "odd", "--out", directory.file("out")])
        #expect(usage.status == 2 && usage.output.contains("mimir-graph: error: The value 'odd' is invalid for '--profile <profile>'. Please provide one of 'fixed' and 'mimir'."))
    }
}

struct GraphTestError: Error, CustomStringConvertible {
    let description: String
}
