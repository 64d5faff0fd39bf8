import Foundation
import Testing
import TestSupport
@testable import Capture
import Contract
import Table

/// mimir-records against real exporters: softflowd and pmacct (Debian's) read a simulated capture and
/// send IPFIX, which a UDP listener stores; the records' per-pair packets and IP bytes over the whole
/// capture equal what mimir-flows counts from the capture itself, for every way softflowd can send
/// times (uptime with the options record's init time, seconds, milliseconds, NTP microseconds and
/// nanoseconds), for its bidirectional records (RFC 5103), and for pmacct's nfprobe (milliseconds,
/// 8-byte counters), over IPv4 and IPv6.
@Suite(.serialized) struct RecordsOracleTests {
    static let simulator = CrossCheck.packageRoot + "/.build/debug/mimir-simulate"
    static let enabled = FileManager.default.isExecutableFile(atPath: simulator) && CrossCheck.python != nil
        && CrossCheck.hasCommand("softflowd") && CrossCheck.hasCommand("pmacctd")
    static let models = CrossCheck.packageRoot + "/pipelines/"

    /// An Ethernet capture of `cluster` (softflowd refuses Linux cooked captures).
    static func capture(cluster: String, in directory: TemporaryDirectory) throws -> String {
        let out = directory.file("sim-\(cluster)")
        let app = cluster == "minikube" ? "wordpress" : "sockshop"
        let run = try CrossCheck.run(simulator, ["--app", models + "apps/\(app).yaml", "--cluster", models + "clusters/\(cluster).yaml",
                                                 "--duration", "40", "--users", "4", "--link", "ethernet", "--out", out])
        try #require(run.status == 0, "\(run.output)")
        return out + "/capture.pcap"
    }

    /// Per directed pair: packets and IP bytes summed over the windows of `length` seconds.
    static func pairTotals(_ path: String, length: Int32) throws -> [String: [Int64]] {
        var totals: [String: [Int64]] = [:]
        let reader = try TableReader(path: path)
        try FlowTables.forEachPair(reader, bytes: .ip) { windowLength, _, source, destination, packets, bytes in
            guard windowLength == length else { return }
            let sum = totals[source + " > " + destination] ?? [0, 0]
            totals[source + " > " + destination] = [sum[0] + packets, sum[1] + bytes]
        }
        return totals
    }

    @Test(.needs(enabled, "needs the built simulator, Python, softflowd and pmacct"),
          arguments: ["minikube", "ipv6-two-nodes"])
    func exportersRecords_addUpToTheCapturesPairs(cluster: String) throws {
        let directory = try TemporaryDirectory()
        let capture = try Self.capture(cluster: cluster, in: directory)
        // Tunnelled copies count by their outer header, as softflowd sees them.
        let fromCapture = directory.file("flows")
        try FileManager.default.createDirectory(atPath: fromCapture, withIntermediateDirectories: true)
        _ = try FlowExtraction(windowLengths: [10, 60], countsOuterHeader: true, version: "test").run(capturePath: capture, directory: fromCapture)
        let expected = try Self.pairTotals(fromCapture + "/pairs.parquet", length: 60)
        #expect(expected.count > 20)
        let exports = [[], ["-A", "sec"], ["-A", "milli"], ["-A", "micro"], ["-A", "nano"], ["-b"]].map { ["softflowd"] + $0 } + [["pmacct"]]
        for exporter in exports {
            // pmacct may stop before it has taken in every packet, or any, when the machine is busy
            // (exporter_ipfix.py): up to five tries for it, each after a longer pause, so that a busy
            // spell of the test run passes (three tries in a row once failed in CI); softflowd has one.
            let tries = exporter[0] == "pmacct" ? 5 : 1
            for attempt in 1...tries {
                if attempt > 1 { Thread.sleep(forTimeInterval: 2 * Double(attempt - 1)) }
                let differing = try Self.compare(exporter, capture: capture, expected: expected, in: directory)
                if differing.isEmpty { break }
                if attempt == tries { Issue.record("\(exporter): \(differing.prefix(5))") }
            }
        }
    }

    /// Runs `exporter` over the capture and mimir-records over its IPFIX; returns the pairs whose
    /// totals differ from `expected` (checking that no damage was counted and that 10 s windows add
    /// up to what 60 s windows do).
    static func compare(_ exporter: [String], capture: String, expected: [String: [Int64]], in directory: TemporaryDirectory) throws -> [String] {
        let (program, options) = (exporter[0], Array(exporter.dropFirst()))
        let name = exporter.joined().replacingOccurrences(of: "-", with: "")
        let ipfix = directory.file("\(name).ipfix")
        let export = try CrossCheck.runScript("exporter_ipfix.py", [program, capture, ipfix] + options)
        guard export.status == 0 else { return ["\(program) sent nothing: \(export.output.suffix(500))"] }
        let out = directory.file("records\(name)")
        try? FileManager.default.removeItem(atPath: out)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let report = try RecordExtraction(windowLengths: [10, 60], version: "test").run(recordsPaths: [ipfix], directory: out)
        #expect(report.counters.keys.filter { $0.hasPrefix("damaged.") }.isEmpty, "\(exporter): \(report.counters)")
        let counted = try pairTotals(out + "/pairs.parquet", length: 60)
        // Windows of 10 s sum to the same totals: spreading moves packets between windows, never loses them.
        #expect(try pairTotals(out + "/pairs.parquet", length: 10) == counted)
        return Set(expected.keys).union(counted.keys).filter { expected[$0] != counted[$0] }.sorted()
            .map { "\($0): capture \(expected[$0] ?? []), records \(counted[$0] ?? [])" }
    }
}
