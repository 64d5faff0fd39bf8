import Foundation
import Testing
import TestSupport
@testable import Capture
import Contract
import Table

/// Records that name pods and services (Antrea's IPFIX elements, as its documentation lists them):
/// mimir-records writes them as an entity log, and mimir-graph names the records' addresses by it.
@Suite struct RecordEntitiesTests {
    typealias K = IPFIXKit
    static let binaries = CrossCheck.packageRoot + "/.build/debug/"
    static let enabled = ["mimir-records", "mimir-graph"].allSatisfy { FileManager.default.isExecutableFile(atPath: binaries + $0) }

    /// Antrea's flow record: 5-tuple, seconds, delta counters both ways, pods, the service's port name
    /// and cluster address, the pods' nodes (enterprise 56506, go-ipfix's registry).
    static let fields = [K.Field(id: 8, length: 4), K.Field(id: 12, length: 4), K.Field(id: 7, length: 2), K.Field(id: 11, length: 2),
                         K.Field(id: 4, length: 1), K.Field(id: 150, length: 4), K.Field(id: 151, length: 4),
                         K.Field(id: 2, length: 8), K.Field(id: 1, length: 8), K.Field(id: 2, length: 8, pen: 29305), K.Field(id: 1, length: 8, pen: 29305),
                         K.Field(id: 100, length: 65535, pen: 56506), K.Field(id: 101, length: 65535, pen: 56506),
                         K.Field(id: 102, length: 65535, pen: 56506), K.Field(id: 103, length: 65535, pen: 56506),
                         K.Field(id: 106, length: 4, pen: 56506), K.Field(id: 109, length: 65535, pen: 56506),
                         K.Field(id: 104, length: 65535, pen: 56506), K.Field(id: 105, length: 65535, pen: 56506)]

    static func text(_ value: String) -> [UInt8] { [UInt8(value.utf8.count)] + Array(value.utf8) }

    static func record(_ source: UInt32, _ destination: UInt32, ports: (UInt16, UInt16), start: UInt32, packets: UInt64, reverse: UInt64,
                       pods: (String, String), service: (UInt32, String), nodes: (String, String)) -> [UInt8] {
        K.be32(source) + K.be32(destination) + K.be16(ports.0) + K.be16(ports.1) + [6] + K.be32(start) + K.be32(start + 4)
            + K.be64(packets) + K.be64(packets * 100) + K.be64(reverse) + K.be64(reverse * 1000)
            + text(pods.0.isEmpty ? "" : "shop") + text(pods.0) + text(pods.1.isEmpty ? "" : "shop") + text(pods.1)
            + K.be32(service.0) + text(service.1) + text(nodes.0) + text(nodes.1)
    }

    @Test(.needs(enabled, "needs the built mimir-records and mimir-graph"))
    func antreasNames_becomeTheEntityLogGraphNamesBy() throws {
        let directory = try TemporaryDirectory()
        let web: UInt32 = 0x0AF4_0005, db: UInt32 = 0x0AF4_0009, outside: UInt32 = 0x5DB8_D822  // 10.244.0.5, 10.244.0.9, 93.184.216.34
        let t: UInt32 = 1_800_000_000
        // web-1 queries db-0 through the db service (10.96.0.20); web-1 sends to the outside.
        let bytes = K.message(sequence: 0, K.template(300, Self.fields), K.set(300,
            Self.record(web, db, ports: (41000, 3306), start: t, packets: 10, reverse: 8, pods: ("web-1", "db-0"), service: (0x0A60_0014, "shop/db:mysql"),
                          nodes: ("node-a", "node-b"))
            + Self.record(web, outside, ports: (41001, 443), start: t + 2, packets: 5, reverse: 0, pods: ("web-1", ""), service: (0, ""),
                            nodes: ("node-a", ""))))
        let ipfix = directory.file("antrea.ipfix")
        try Data(bytes).write(to: URL(fileURLWithPath: ipfix))
        let records = try CrossCheck.run(Self.binaries + "mimir-records", [ipfix, "--windows", "10", "--out", directory.file("records")])
        try #require(records.status == 0, "\(records.output)")
        let log = try String(contentsOfFile: directory.file("records/entities.jsonl"), encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(log == [
            #"{"event":"added","ips":["10.96.0.20"],"kind":"service","labels":{},"name":"db","namespace":"shop","selector":{"mimir.records/service.db":"true"},"time":"2027-01-15T08:00:00.000000Z"}"#,
            #"{"event":"added","ips":["10.244.0.9"],"kind":"pod","labels":{"mimir.records/service.db":"true"},"name":"db-0","namespace":"shop","node":"node-b","phase":"Running","time":"2027-01-15T08:00:00.000000Z"}"#,
            #"{"event":"added","ips":["10.244.0.5"],"kind":"pod","labels":{},"name":"web-1","namespace":"shop","node":"node-a","phase":"Running","time":"2027-01-15T08:00:00.000000Z"}"#,
        ])
        let graph = try CrossCheck.run(Self.binaries + "mimir-graph", ["--pairs", directory.file("records/pairs.parquet"), "--bytes", "ip",
                                                                       "--entities", directory.file("records/entities.jsonl"), "--out", directory.file("graph")])
        try #require(graph.status == 0, "\(graph.output)")
        let edges = try TableReader(path: directory.file("graph/pod_edges.parquet")).readAllTyped()
        let (sources, destinations, services) = (try edges.strings("src"), try edges.strings("dst"), try edges.strings("dst_service"))
        let weights = try edges.int64s("bytes")
        let rows = (0..<edges.rowCount).map { "\(sources.string(at: $0)) > \(destinations.string(at: $0)) \(services.string(at: $0)) \(weights[$0])" }
        // IP bytes: 10 packets of 100 bytes to db-0 (of service db), 8 of 1000 back to web-1 (of no
        // service), 5 of 100 to the outside.
        #expect(Set(rows) == ["web-1 > db-0 db 1000", "db-0 > web-1  8000", "web-1 > outside outside 500"], "\(rows)")
    }

    @Test func serviceNames_takeAntreasPortNameForm() {
        #expect(ServiceName(antreaPortName: "shop/db:mysql", address: nil) == ServiceName(namespace: "shop", name: "db"))
        #expect(ServiceName(antreaPortName: "kube-system/kube-dns:dns-tcp", address: nil)?.name == "kube-dns")
        #expect(ServiceName(antreaPortName: "shop/front-end:", address: nil)?.name == "front-end")
        #expect(ServiceName(antreaPortName: "no-namespace", address: nil) == nil)
    }
}
