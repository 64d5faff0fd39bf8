import Foundation
import Testing
import TestSupport

/// mimir-features against networkx on random graphs and a simulated capture, and the attacks of the
/// ground truth standing out in the windows they happened.
@Suite(.serialized) struct FeatureStageTests {
    static let binaries = CrossCheck.packageRoot + "/.build/debug/"
    static let enabled = ["mimir-simulate", "mimir-flows", "mimir-graph", "mimir-features"].allSatisfy {
        FileManager.default.isExecutableFile(atPath: binaries + $0)
    } && CrossCheck.python != nil

    @Test(.needs(enabled, "needs the built stages and the Python environment with networkx"), arguments: [1, 2, 3])
    func randomGraphs_matchNetworkx(seed: Int) throws {
        let directory = try TemporaryDirectory()
        let (status, output) = try CrossCheck.runScript("check_features_with_networkx.py", ["random", directory.path, String(seed)])
        #expect(status == 0, "\(output)")
        let sensitive = try #require((try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: String])?["sensitive"])
        _ = try GraphStageTests.run("mimir-features", ["--pod-edges", directory.file("pod_edges.parquet"), "--sensitive", sensitive, "--out", directory.path])
        let check = try CrossCheck.runScript("check_features_with_networkx.py", ["check", directory.file("pod_edges.parquet"), directory.file("features.parquet"), sensitive])
        #expect(check.status == 0 && check.output.contains(" 0 mismatches"), "\(check.output)")
    }

    @Test(.needs(enabled, "needs the built stages and the Python environment with networkx"))
    func simulatedWordPress_matchesNetworkx_andItsAttacksStandOut() throws {
        let directory = try TemporaryDirectory()
        let root = CrossCheck.packageRoot + "/pipelines/"
        try """
            events:
              - {kind: exfil, start_s: 10, end_s: 20, path: [my-release-pxc, wwwppp-wordpress], rate_kb_per_s: 100}
              - {kind: dnstunnel, start_s: 20, end_s: 30, source: wwwppp-wordpress, rate_kb_per_s: 3}
              - {kind: scan, start_s: 30, end_s: 35, source: wwwppp-wordpress, probes_per_s: 100}
            """.write(toFile: directory.file("events.yaml"), atomically: true, encoding: .utf8)
        try GraphStageTests.simulateToGraph(directory, ["--app", root + "apps/wordpress.yaml", "--cluster", root + "clusters/minikube.yaml",
                                                        "--events", directory.file("events.yaml"), "--duration", "50", "--users", "8"])
        _ = try GraphStageTests.run("mimir-features", ["--pod-edges", directory.file("graph/pod_edges.parquet"), "--sensitive", "my-release-pxc",
                                                       "--flows", directory.file("flows/flows.parquet"), "--entities", directory.file("sim/entities.jsonl"),
                                                       "--out", directory.file("features")])
        let check = try CrossCheck.runScript("check_features_with_networkx.py", ["check", directory.file("graph/pod_edges.parquet"),
                                                                                 directory.file("features/features.parquet"), "my-release-pxc"])
        #expect(check.status == 0 && check.output.contains(" 0 mismatches"), "\(check.output)")
        let rows = try GraphStageTests.rows(directory.file("features/features.parquet")).sorted { ($0["window_index"] as! Int) < ($1["window_index"] as! Int) }
        func value(_ name: String, _ window: Int) -> Double { (rows[window][name] as? Double) ?? .nan }
        // Exfiltration pod to pod (window 1) bypasses service addresses; quiet windows (0, 4) do not.
        #expect(value("fraction_pod_comm_not_through_vips", 1) > 0.3)
        #expect(value("fraction_pod_comm_not_through_vips", 4) < 0.1)
        // The DNS tunnel (window 2) sends DNS traffic outside; the scan (window 3) fails connections.
        #expect(value("dns_outside_inside_ratio", 2) > 0.5 && value("dns_outside_inside_ratio", 4) < 0.1)
        #expect(value("failed_connections_wwwppp-wordpress", 3) > 100 && value("failed_connections_wwwppp-wordpress", 4) == 0)
        // The load: distinct flows from outside (beyond the cluster's ranges, or its bridge's gateway) into the cluster.
        func outside(_ address: String) -> Bool {
            let octets = address.split(separator: ".").compactMap { Int($0) }
            let services = octets.count == 4 && octets[0] == 10 && (96...111).contains(octets[1])
            return address == "172.17.0.1" || !(address.hasPrefix("172.17.0.") || address == "192.168.99.100" || services)
        }
        // WordPress's ports: those its pods' flows went to, below the ephemeral range (replies to its clients left out).
        let wordpress = Set(try String(contentsOfFile: directory.file("sim/entities.jsonl"), encoding: .utf8).split(separator: "\n").compactMap { line in
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        }.filter { $0["kind"] as? String == "pod" && ($0["name"] as? String ?? "").hasPrefix("wwwppp-wordpress") }.flatMap { $0["ips"] as! [String] })
        var expected: [Int: Set<String>] = [:], ports: [Int: Set<Int>] = [:], replies = 0
        for flow in try GraphStageTests.rows(directory.file("flows/flows.parquet")) where flow["window_len_s"] as! Int == 10 {
            let (source, destination, port) = (flow["src"] as! String, flow["dst"] as! String, flow["dst_port"] as! Int)
            if wordpress.contains(source) {
                if port < 32768 { ports[flow["window_index"] as! Int, default: []].insert(port) } else { replies += 1 }
            }
            guard outside(source) && !outside(destination) else { continue }
            expected[flow["window_index"] as! Int, default: []].insert("\(source) \(flow["src_port"]!) \(destination) \(port) \(flow["protocol"]!)")
        }
        #expect(expected.values.contains { $0.count > 1 } && replies > 0)
        for (window, row) in rows.enumerated() {
            let index = row["window_index"] as! Int
            #expect(value("load_connections_from_outside", window) == Double(expected[index]?.count ?? 0), "window \(window)")
            #expect(value("distinct_dst_ports_wwwppp-wordpress", window) == Double(ports[index]?.count ?? 0), "window \(window)")
        }
        // Every column is defined in the metadata.
        let (_, metadata) = try CrossCheck.run(CrossCheck.python!, ["-c", "import pyarrow.parquet as pq, json; m = pq.read_schema('\(directory.file("features/features.parquet"))').metadata; d = json.loads(m[b'mimir.features']); print(len(d), sum(1 for v in d.values() if not v))"])
        #expect(metadata.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix(" 0"), "\(metadata)")
    }
}
