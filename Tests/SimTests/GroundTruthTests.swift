import Foundation
import Testing
import TestSupport

/// The ground truth (read by pyarrow) against what tshark counts in the capture.
@Suite(.serialized) struct GroundTruthTests {
    static let enabled = SimFixture.available && SimFixture.tshark && CrossCheck.python != nil

    /// One capture with one event of each kind, simulated once for all the tests of this suite.
    final class Run: @unchecked Sendable {
        let directory: TemporaryDirectory
        let capture: String
        let truth: [[String: Any]]
        let entities: [[String: Any]]

        nonisolated(unsafe) static var shared: Run?

        init() throws {
            directory = try TemporaryDirectory()
            try SimFixture.tinyApp.write(toFile: directory.file("tiny.yaml"), atomically: true, encoding: .utf8)
            try """
                events:
                  - {kind: exfil, start_s: 5, end_s: 15, path: [db, web], rate_kb_per_s: 50, payload_bytes: [300, 400]}
                  - {kind: dnstunnel, start_s: 15, end_s: 20, source: web, rate_kb_per_s: 3, domain: x.exfil.example}
                  - {kind: scan, start_s: 20, end_s: 24, source: web, ports: [22, 80, 8080, 3306, 6379], probes_per_s: 100}
                  - {kind: lateral, start_s: 24, end_s: 28, source: db, requests: 4}
                """.write(toFile: directory.file("events.yaml"), atomically: true, encoding: .utf8)
            let (status, output) = try SimFixture.simulate(["--app", directory.file("tiny.yaml"),
                                                            "--cluster", SimFixture.models + "clusters/minikube.yaml",
                                                            "--events", directory.file("events.yaml"), "--duration", "30",
                                                            "--users", "6", "--curve", "flat"], out: directory.file("sim"))
            guard status == 0 else { throw FixtureError("mimir-simulate failed: \(output)") }
            capture = directory.file("sim/capture.pcap")
            truth = try SimFixture.rows(directory.file("sim/truth.parquet"))
            entities = try SimFixture.entityLines(directory.file("sim/entities.jsonl"))
        }

        static func get() throws -> Run {
            if let shared { return shared }
            let run = try Run()
            shared = run
            return run
        }

        func event(_ kind: String) -> [String: Any] { truth.first { $0["kind"] as? String == kind }! }

        func podAddress(_ name: String) -> String? {
            entities.last { $0["name"] as? String == name && ($0["ips"] as? [String])?.isEmpty == false }
                .flatMap { ($0["ips"] as? [String])?.first }
        }

        func serviceAddress(_ name: String) -> String? {
            entities.first { $0["kind"] as? String == "service" && $0["name"] as? String == name }.flatMap { ($0["ips"] as? [String])?.first }
        }
    }

    static let start: Int64 = 1_795_860_000_000_000  // 2026-11-28T10:00:00Z in microseconds

    @Test(.needs(enabled, "needs the built simulator, tshark and pyarrow"))
    func truthTable_hasOneRowPerEventWithItsTimes() throws {
        let run = try Run.get()
        #expect(run.truth.map { $0["kind"] as? String } == ["exfil", "dnstunnel", "scan", "lateral"])
        #expect(run.truth.map { $0["event_id"] as? Int } == [1, 2, 3, 4])
        let exfil = run.event("exfil")
        #expect(exfil["start"] as? Int64 == Self.start + 5_000_000 && exfil["end"] as? Int64 == Self.start + 15_000_000)
        let path = (exfil["path"] as! String).split(separator: ">").map(String.init)
        #expect(path.count == 3 && path[0].hasPrefix("db-") && path[1].hasPrefix("web-") && path[2] == "outside", "\(path)")
        #expect(exfil["source"] as? String == path[0])
        for name in path.dropLast() { #expect(run.podAddress(name) != nil, "\(name) is not a pod of the entity log") }
    }

    @Test(.needs(enabled, "needs the built simulator, tshark and pyarrow"))
    func exfiltratedBytes_matchWhatLeavesTheNodeForTheSink() throws {
        let run = try Run.get()
        // What the node sends to the sink (192.168.99.1, DET's port 6969), masqueraded, on the uplink.
        let packets = try SimFixture.tsharkFields(run.capture, filter: "tcp.dstport == 6969 && ip.dst == 192.168.99.1 && ip.src == 192.168.99.100 && tcp.len > 0",
                                                  ["tcp.len", "frame.time_epoch"])
        let bytes = packets.reduce(0) { $0 + Int($1[0])! }
        let exfil = run.event("exfil")
        #expect(bytes == exfil["bytes"] as? Int, "tshark counts \(bytes), the truth says \(exfil["bytes"]!)")
        // 50 KB/s for 10 s: the gaps are uniform with the mean DET computes, so the total is near 500 kB.
        #expect(abs(Double(bytes) - 500_000) < 50_000, "\(bytes) bytes for 10 s at 50 KB/s")
        // Each hop relays the same bytes pod to pod, never through a service address.
        let path = (exfil["path"] as! String).split(separator: ">").map(String.init)
        let (db, web) = (run.podAddress(path[0])!, run.podAddress(path[1])!)
        let hop = try SimFixture.tsharkFields(run.capture, filter: "tcp.dstport == 6969 && ip.src == \(db) && ip.dst == \(web) && tcp.len > 0 && sll.ifindex == \(try interface(of: db, in: run))",
                                              ["tcp.len"])
        #expect(hop.reduce(0) { $0 + Int($1[0])! } == bytes)
        let sizes = Set(packets.map { Int($0[0])! })
        #expect(sizes.min()! >= 300 && sizes.max()! <= 400)
    }

    /// The veth a pod's packets are seen on first (the lowest interface index showing its address as source).
    private func interface(of address: String, in run: Run) throws -> String {
        let rows = try SimFixture.tsharkFields(run.capture, filter: "ip.src == \(address) && sll.pkttype == 0", ["sll.ifindex"])
        return rows.first?.first ?? "0"
    }

    @Test(.needs(enabled, "needs the built simulator, tshark and pyarrow"))
    func dnsTunnel_queriesReachTheUpstreamResolverWithTheData() throws {
        let run = try Run.get()
        let queries = try SimFixture.tsharkFields(run.capture, filter: "dns.flags.response == 0 && ip.src == 192.168.99.100 && ip.dst == 10.0.2.3", ["dns.qry.name"])
        #expect(!queries.isEmpty && queries.allSatisfy { $0[0].hasSuffix(".x.exfil.example") })
        // 100 bytes per query, base32 in the labels: 160 characters.
        #expect(queries.allSatisfy { $0[0].split(separator: ".").prefix(3).joined().count == 160 })
        #expect(queries.count * 100 == run.event("dnstunnel")["bytes"] as? Int)
        let answers = try SimFixture.tsharkFields(run.capture, filter: "dns.flags.response == 1 && dns.flags.rcode == 3", ["dns.qry.name"])
        #expect(answers.count >= 2 * queries.count, "each query is answered NXDOMAIN upstream and by kube-dns")
    }

    @Test(.needs(enabled, "needs the built simulator, tshark and pyarrow"))
    func scan_probesEveryAddressAndPortOnceAndOnlyPodsAnswer() throws {
        let run = try Run.get()
        let scanner = run.podAddress(run.event("scan")["source"] as! String)!
        let syns = try SimFixture.tsharkFields(run.capture, filter: "ip.src == \(scanner) && ip.dst == 172.17.0.0/24 && tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport in {22, 80, 8080, 3306, 6379}",
                                               ["ip.dst", "tcp.dstport"])
        let probes = Set(syns.map { "\($0[0]):\($0[1])" })
        // The first 64 addresses of the node's range less the scanner's, 5 ports each; at 100 a second
        // the 315 probes fit in the event's 4 s.
        #expect(probes.count == 63 * 5, "\(probes.count) distinct probes")
        let podAddresses = Set(run.entities.compactMap { ($0["ips"] as? [String])?.first }.filter { $0.hasPrefix("172.17.") })
        let answers = try SimFixture.tsharkFields(run.capture, filter: "ip.dst == \(scanner) && ip.src == 172.17.0.0/24 && (tcp.flags.reset == 1 || (tcp.flags.syn == 1 && tcp.flags.ack == 1))",
                                                  ["ip.src"])
        #expect(!answers.isEmpty && answers.allSatisfy { podAddresses.contains($0[0]) })
        #expect(run.event("scan")["bytes"] as? Int ?? 0 >= 315 * 44)
    }

    @Test(.needs(enabled, "needs the built simulator, tshark and pyarrow"))
    func lateralMovement_opensConnectionsToServicesTheSourceNeverCalls() throws {
        let run = try Run.get()
        let lateral = run.event("lateral")
        let path = (lateral["path"] as! String).split(separator: ">").map(String.init)
        // db calls nobody: every other service (web, cache) is a lateral target.
        #expect(path.dropFirst().sorted() == ["cache", "web"])
        let source = run.podAddress(path[0])!
        for target in ["cache", "web"] {
            let address = run.serviceAddress(target)!
            let syns = try SimFixture.tsharkFields(run.capture, filter: "ip.src == \(source) && ip.dst == \(address) && tcp.flags.syn == 1 && tcp.flags.ack == 0",
                                                   ["tcp.srcport"])
            #expect(syns.count == 4, "\(syns.count) connections to \(target)")
        }
    }
}

extension GroundTruthTests {
    @Test(.needs(enabled && FileManager.default.isExecutableFile(atPath: CrossCheck.packageRoot + "/.build/debug/mimir-flows"),
                   "needs the built simulator and mimir-flows, tshark and pyarrow"))
    func mimirFlowsReadsTheCapture_withNoDamageAndTsharksPacketCount() throws {
        let run = try Run.get()
        let out = run.directory.file("flows")
        let (status, output) = try CrossCheck.run(CrossCheck.packageRoot + "/.build/debug/mimir-flows",
                                                  [run.capture, "--windows", "10", "--out", out])
        #expect(status == 0, "\(output)")
        let summary = try SimFixture.rows(out + "/summary.parquet")
        let counters = Dictionary(uniqueKeysWithValues: summary.map { ($0["counter"] as! String, $0["value"] as! Int) })
        #expect(counters.filter { $0.key.hasPrefix("damaged.") && $0.value > 0 }.isEmpty, "\(counters)")
        let tsharkPackets = try SimFixture.tsharkFields(run.capture, ["frame.number"]).count
        let pairs = try SimFixture.rows(out + "/pairs.parquet")
        #expect(pairs.reduce(0) { $0 + ($1["packets"] as! Int) } == tsharkPackets)
    }
}
