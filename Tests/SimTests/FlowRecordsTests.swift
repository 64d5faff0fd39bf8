import Foundation
import Testing
import TestSupport
@testable import Capture
import Table

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

    static let graph = CrossCheck.packageRoot + "/.build/debug/mimir-graph"

    /// With Antrea's elements (`--ipfix-names`) the records count what they count without them, and
    /// name every pod and service as the simulator's entity log does: each pod by the addresses the
    /// log gives it, each service by its cluster address. Graph then names the traffic alike from
    /// either log, but for pods that only ever call others (a queue consumer): no record reached them
    /// through a service, so the records' log gives them none.
    @Test(.needs(SimFixture.available && FileManager.default.isExecutableFile(atPath: records) && FileManager.default.isExecutableFile(atPath: graph),
                 "needs the built simulator, mimir-records and mimir-graph"),
          arguments: [["minikube"], ["three-nodes", "--every-node"], ["ipv6-two-nodes", "--every-node"]])
    func antreasNames_nameThePodsAndServices_asTheEntityLogDoes(setup: [String]) throws {
        let directory = try TemporaryDirectory()
        var tables: [String: String] = [:]
        for names in [false, true] {
            let sim = directory.file(names ? "named" : "plain")
            let run = try SimFixture.simulate(["--app", SimFixture.models + "apps/sockshop.yaml", "--cluster", SimFixture.models + "clusters/\(setup[0]).yaml",
                                               "--duration", "40", "--users", "10", "--ipfix"] + (names ? ["--ipfix-names"] : []) + setup.dropFirst(), out: sim)
            try #require(run.status == 0, "\(run.output)")
            let counted = try CrossCheck.run(Self.records, [sim + "/records.ipfix", "--windows", "10,60", "--out", sim + "/records"])
            try #require(counted.status == 0, "\(counted.output)")
            #expect(counted.output.contains(", 0 damaged)"), "\(counted.output)")
            tables[names ? "named" : "plain"] = sim + "/records"
        }
        let named = directory.file("named")
        // The names change no count.
        for table in ["pairs.parquet", "flows.parquet"] {
            #expect(FileManager.default.contentsEqual(atPath: tables["plain"]! + "/" + table, andPath: tables["named"]! + "/" + table), "\(table)")
        }
        #expect(!FileManager.default.fileExists(atPath: tables["plain"]! + "/entities.jsonl"))

        let simulated = try Self.entities(named + "/entities.jsonl"), recorded = try Self.entities(named + "/records/entities.jsonl")
        try #require(!recorded.pods.isEmpty && !recorded.services.isEmpty)
        for (pod, addresses) in recorded.pods {
            #expect(addresses.isSubset(of: simulated.pods[pod] ?? []), "\(pod): \(addresses) in the records, \(simulated.pods[pod] ?? []) in the log")
        }
        for (service, addresses) in recorded.services { #expect(addresses == simulated.services[service], "\(service)") }

        var edges: [String: Set<String>] = [:]
        for (name, log) in [("records", named + "/records/entities.jsonl"), ("simulator", named + "/entities.jsonl")] {
            let run = try CrossCheck.run(Self.graph, ["--pairs", named + "/records/pairs.parquet", "--bytes", "ip", "--entities", log,
                                                      "--cluster", named + "/cluster.yaml", "--out", directory.file("graph-" + name)])
            try #require(run.status == 0, "\(run.output)")
            edges[name] = try Self.podEdges(directory.file("graph-\(name)/pod_edges.parquet"), without: recorded.serviceless)
        }
        try #require(!edges["records"]!.isEmpty)
        let onlyRecords = edges["records"]!.subtracting(edges["simulator"]!), onlyLog = edges["simulator"]!.subtracting(edges["records"]!)
        #expect(onlyRecords.isEmpty && onlyLog.isEmpty, "only from the records' names: \(onlyRecords.prefix(3)); only from the log's: \(onlyLog.prefix(3))")
    }

    /// An entity log's pods (namespace/name: every address) and services (namespace/name: addresses),
    /// and the pods no service selects by a label they carry.
    static func entities(_ path: String) throws -> (pods: [String: Set<String>], services: [String: Set<String>], serviceless: Set<String>) {
        var pods: [String: Set<String>] = [:], services: [String: Set<String>] = [:], labelled = Set<String>()
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            let event = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let name = "\(event["namespace"]!)/\(event["name"]!)", addresses = Set(event["ips"] as? [String] ?? [])
            if event["kind"] as? String == "pod" {
                pods[name, default: []].formUnion(addresses)
                if !(event["labels"] as? [String: String] ?? [:]).isEmpty { labelled.insert(event["name"] as! String) }
            } else if event["kind"] as? String == "service" {
                services[name, default: []].formUnion(addresses)
            }
        }
        return (pods, services, Set(pods.keys.map { String($0.split(separator: "/").last!) }).subtracting(labelled))
    }

    /// A pod edge table's rows as text, leaving out rows with an end among `pods`.
    static func podEdges(_ path: String, without pods: Set<String>) throws -> Set<String> {
        let columns = try TableReader(path: path).readAllTyped()
        var text = [String](repeating: "", count: columns.rowCount)
        var skipped = Set<Int>()
        for (index, field) in columns.batch.schema.fields.enumerated() {
            for row in 0..<columns.rowCount {
                let value: String
                switch columns.batch.columns[index].values {
                case let .int64(values): value = String(values[row])
                case let .int32(values): value = String(values[row])
                case let .byteArray(values): value = values.string(at: row)
                case let .bool(values): value = String(values[row])
                case let .double(values): value = String(values[row])
                }
                if (field.name == "src" || field.name == "dst") && pods.contains(value) { skipped.insert(row) }
                text[row] += field.name + "=" + value + " "
            }
        }
        return Set(text.indices.filter { !skipped.contains($0) }.map { text[$0] })
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
        try reader.read { record, _ in
            longest = max(longest, record.end - record.start)
            count += 1
        }
        #expect(reader.damage.entries.isEmpty)
        #expect(count > 100)
        // Flows are checked once a simulated second: none lasts the active timeout plus that second.
        #expect(longest > 10_000_000_000 && longest < 21_000_000_000, "longest record \(longest) ns")
    }
}
