import Foundation
import Testing
import TestSupport
@testable import Capture

/// The flow records the simulator writes beside its captures, of the same traffic: read by
/// mimir-records, their per-pair packets and IP bytes equal tshark's reading of the captures under
/// the records' rule (each packet once, where a pod receives it, or, going to no pod, where it leaves
/// one), on one node with attacks, on three nodes with an overlay and clock skew, and on IPv6.
/// conn.log is read by a PyPI reader of Zeek logs as well; the exporter's timeouts hold.
@Suite(.serialized) struct FlowRecordsTests {
    static let records = CrossCheck.packageRoot + "/.build/debug/mimir-records"
    static let enabled = SimFixture.available && SimFixture.tshark && CrossCheck.python != nil
        && FileManager.default.isExecutableFile(atPath: records)

    /// Simulates with both kinds of records and checks each against the captures; returns the directory.
    @discardableResult
    static func check(cluster: String, extra: [String], in directory: TemporaryDirectory) throws -> String {
        let sim = directory.file("sim-\(cluster)")
        let run = try SimFixture.simulate(["--app", SimFixture.models + "apps/sockshop.yaml", "--cluster", SimFixture.models + "clusters/\(cluster).yaml",
                                           "--ipfix", "--conn-log"] + extra, out: sim)
        try #require(run.status == 0, "\(run.output)")
        let captures = try FileManager.default.contentsOfDirectory(atPath: sim).filter { $0.hasPrefix("capture") && $0.hasSuffix(".pcap") }
            .sorted().map { sim + "/" + $0 }
        for file in ["records.ipfix", "conn.log"] {
            let out = directory.file("records-\(cluster)-\(file)")
            let counted = try CrossCheck.run(records, [sim + "/" + file, "--windows", "10,60", "--out", out])
            try #require(counted.status == 0, "\(counted.output)")
            #expect(counted.output.contains(", 0 damaged)"), "\(file): \(counted.output)")
            let check = try CrossCheck.runScript("check_records_with_tshark.py", [captures.joined(separator: ","), sim + "/cluster.yaml",
                                                                                 out + "/pairs.parquet", "60"])
            #expect(check.status == 0 && check.output.contains(" 0 mismatches"), "\(cluster) \(file): \(check.output)")
            if file == "conn.log" {
                let zeek = try CrossCheck.runScript("check_conn_log_with_parsezeeklogs.py", [sim + "/conn.log", out + "/pairs.parquet", "10"])
                #expect(zeek.status == 0 && zeek.output.contains(" 0 mismatches"), "\(zeek.output)")
            }
        }
        return sim
    }

    @Test(.needs(enabled, "needs the built simulator and mimir-records, tshark and Python"))
    func oneNode_withAttacks() throws {
        let directory = try TemporaryDirectory()
        // Every kind of attack, a scan of addresses nobody owns among them.
        let events = directory.file("events.yaml")
        try Data("""
            events:
              - {kind: exfil, start_s: 5, end_s: 15, path: [user-db, user, front-end], rate_kb_per_s: 100}
              - {kind: dnstunnel, start_s: 16, end_s: 26, source: orders, rate_kb_per_s: 2}
              - {kind: scan, start_s: 27, end_s: 32, source: orders, probes_per_s: 50}
              - {kind: lateral, start_s: 33, end_s: 40, source: payment, requests: 3}

            """.utf8).write(to: URL(fileURLWithPath: events))
        try Self.check(cluster: "minikube", extra: ["--events", events, "--duration", "45", "--users", "5"], in: directory)
    }

    @Test(.needs(enabled, "needs the built simulator and mimir-records, tshark and Python"), arguments: ["three-nodes", "ipv6-two-nodes"])
    func everyNode_withClockSkew(cluster: String) throws {
        let directory = try TemporaryDirectory()
        try Self.check(cluster: cluster, extra: ["--every-node", "--clock-skew", "50", "--duration", "40", "--users", "10"], in: directory)
    }

    @Test(.needs(enabled, "needs the built simulator and mimir-records, tshark and Python"))
    func exportersTimeouts_cutRecords() throws {
        let directory = try TemporaryDirectory()
        let sim = directory.file("sim")
        let run = try SimFixture.simulate(["--app", SimFixture.models + "apps/sockshop.yaml", "--cluster", SimFixture.models + "clusters/minikube.yaml",
                                           "--duration", "120", "--users", "10", "--ipfix", "--active-timeout", "20", "--idle-timeout", "5"], out: sim)
        try #require(run.status == 0, "\(run.output)")
        let reader = IPFIXReader(BufferedInput(try openByteSource(path: sim + "/records.ipfix").0))
        var longest: Int64 = 0, count = 0
        try reader.read {
            longest = max(longest, $0.end - $0.start)
            count += 1
        }
        #expect(reader.damage.entries.isEmpty)
        #expect(count > 100)
        // Flows are checked once a simulated second: none lasts the active timeout plus that second.
        #expect(longest > 10_000_000_000 && longest < 21_000_000_000, "longest record \(longest) ns")
    }
}
