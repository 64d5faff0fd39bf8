import Capture
import Cluster
import Foundation
import Table
import Testing
import TestSupport
@testable import Graph
import Contract

/// mimir-graph's naming rules on a cluster small enough to work out by hand.
@Suite struct GraphBuilderTests {
    static let t0: Int64 = 1_795_860_000_000_000_000
    static let second: Int64 = 1_000_000_000

    /// Writes a pairs table as mimir-flows would (stage flows, schema 2, mimir.origin, and the observation
    /// where one is given); each packet's IP bytes are its frame's less a 14-byte Ethernet header.
    static func writePairs(_ rows: [(length: Int32, index: Int64, src: String, dst: String, packets: Int64, bytes: Int64)],
                           origin: Int64 = t0, observation: Observation? = nil, to path: String) throws {
        let provenance = try Provenance(stage: FlowTables.stage, version: "1", schemaVersion: 2, params: .object([:]),
                                        extra: [KeyValue(key: "mimir.origin", value: EpochSeconds.format(origin))]
                                            + (observation.map { [try $0.keyValue()] } ?? []))
        let writer = try TableWriter(path: path, schema: FlowTables.pairs, metadata: provenance.keyValues)
        try writer.write(TableBatch(schema: FlowTables.pairs, columns: [
            ColumnArray(rows.map(\.length)), ColumnArray(rows.map(\.index)),
            ColumnArray(.int64(rows.map { (origin + $0.index * Int64($0.length) * second) / 1000 })),
            ColumnArray(rows.map { _ in false }), ColumnArray(rows.map(\.src)), ColumnArray(rows.map(\.dst)),
            ColumnArray(rows.map(\.packets)), ColumnArray(rows.map(\.bytes)), ColumnArray(rows.map { $0.bytes - 14 * $0.packets }),
        ]))
        try writer.close()
    }

    static func pod(_ name: String, _ ip: String?, labels: [String: String], namespace: String = "shop", at time: Int64 = t0,
                    change: EntityEvent.Change = .added, hostNetwork: Bool = false) -> EntityEvent {
        EntityEvent(time: time, change: change, kind: .pod, namespace: namespace, name: name, ips: ip.map { [IPAddress($0)!] } ?? [],
                    labels: labels, node: "n1", phase: "Running", hostNetwork: hostNetwork)
    }

    static func service(_ name: String, _ ip: String, selector: [String: String], namespace: String = "shop") -> EntityEvent {
        EntityEvent(time: t0, change: .added, kind: .service, namespace: namespace, name: name, ips: [IPAddress(ip)!],
                    labels: ["svc": name], selector: selector)
    }

    static let events: [EntityEvent] = [
        service("a", "10.96.0.20", selector: ["app": "a"]),
        service("b", "10.96.0.30", selector: ["app": "b"]),
        service("kube-dns", "10.96.0.10", selector: ["k8s-app": "kube-dns"], namespace: "kube-system"),
        pod("a-5d8f9c7b6d-x2k4p", "10.244.0.2", labels: ["app": "a"]),
        pod("b-0", "10.244.0.3", labels: ["app": "b"]),
        pod("coredns-7db6d8ff4d-abcde", "10.244.0.4", labels: ["k8s-app": "kube-dns"], namespace: "kube-system"),
        pod("metrics-server-6d94bc8694-qwert", "10.244.0.9", labels: ["k8s-app": "metrics-server"], namespace: "kube-system"),
        pod("kube-proxy-zzzzz", "192.168.1.10", labels: ["k8s-app": "kube-proxy"], namespace: "kube-system", hostNetwork: true),
        // 10.244.0.5 belongs to c until c is deleted at 12 s, then to d from 15 s.
        pod("c-0", "10.244.0.5", labels: ["app": "c"]),
        pod("c-0", "10.244.0.5", labels: ["app": "c"], at: t0 + 12 * second, change: .deleted),
        pod("d-0", "10.244.0.5", labels: ["app": "d"], at: t0 + 15 * second),
        // 10.244.0.6 belongs to e until e is deleted at 5 s; nobody takes it.
        pod("e-0", "10.244.0.6", labels: ["app": "e"]),
        pod("e-0", "10.244.0.6", labels: ["app": "e"], at: t0 + 5 * second, change: .deleted),
    ]

    static let settings = ClusterSettings(nodes: [.init(name: "n1", address: IPAddress("192.168.1.10")!, podCIDR: IPPrefix("10.244.0.0/24")!,
                                                        gateway: IPAddress("10.244.0.1")!)],
                                          serviceCIDR: IPPrefix("10.96.0.0/12")!, networkPlugin: .none, captureNode: "n1")

    static func build(_ rows: [(length: Int32, index: Int64, src: String, dst: String, packets: Int64, bytes: Int64)],
                      expires: Bool = true, options: GraphOptions = GraphOptions()) throws -> [MergedPairs.Window: [String: Int64]] {
        let directory = try TemporaryDirectory()
        try writePairs(rows, to: directory.file("pairs.parquet"))
        let builder = GraphBuilder(pairs: try MergedPairs(paths: [directory.file("pairs.parquet")], bytes: .frame), book: AddressBook(events: events, expires: expires),
                                   layout: ClusterLayout(settings: settings), options: options)
        var result: [MergedPairs.Window: [String: Int64]] = [:]
        for window in builder.pairs.windows.keys {
            for (key, total) in try builder.edges(of: window) {
                result[window, default: [:]]["\(key.source.name)>\(key.destination.name)"] = total.bytes
            }
        }
        return result
    }

    @Test func addressesBecomePodsServiceAddressesAndOutside_andTheGatewayRuleHolds() throws {
        let edges = try Self.build([
            (10, 0, "10.244.0.2", "10.96.0.30", 2, 100),   // a -> b's service address
            (10, 0, "10.244.0.2", "10.244.0.3", 2, 100),   // the same request after DNAT
            (10, 0, "10.244.0.3", "10.244.0.2", 1, 50),
            (10, 0, "10.244.0.1", "10.244.0.2", 1, 10),    // kubelet probe of a, which never talks outside: dropped
            (10, 0, "10.244.0.2", "10.244.0.1", 1, 10),
            (10, 0, "10.244.0.1", "10.244.0.3", 1, 20),    // b talks outside: the gateway's traffic is outside's
            (10, 0, "10.244.0.3", "10.244.0.1", 1, 25),    // ... and b's answers to the gateway go
            (10, 0, "10.244.0.3", "8.8.8.8", 1, 30),
            (10, 0, "203.0.113.7", "10.244.0.3", 1, 40),   // another outside address: merged
            (10, 0, "10.244.0.2", "10.96.0.10", 1, 70),    // DNS is kept
            (10, 0, "10.244.0.4", "10.244.0.2", 1, 90),
            (10, 0, "10.244.0.9", "192.168.1.10", 3, 300), // metrics-server to the node: infrastructure
            (10, 0, "10.244.0.2", "10.244.0.77", 1, 5),    // nobody's address in the pod range: dropped
        ])
        let window = try #require(edges[MergedPairs.Window(length: 10, index: 0)])
        #expect(window == [
            "a-5d8f9c7b6d-x2k4p>b_VIP": 100, "a-5d8f9c7b6d-x2k4p>b-0": 100, "b-0>a-5d8f9c7b6d-x2k4p": 50,
            "outside>b-0": 60, "b-0>outside": 30,
            "a-5d8f9c7b6d-x2k4p>kube-dns_VIP": 70, "coredns-7db6d8ff4d-abcde>a-5d8f9c7b6d-x2k4p": 90,
        ])
    }

    @Test func keepingInfrastructure_keepsNodesUnknownAddressesAndKubeSystem() throws {
        let edges = try Self.build([
            (10, 0, "10.244.0.9", "192.168.1.10", 3, 300),
            (10, 0, "10.244.0.2", "10.244.0.77", 1, 5),
        ], options: GraphOptions(dropInfrastructure: false))
        #expect(edges[MergedPairs.Window(length: 10, index: 0)] == [
            "metrics-server-6d94bc8694-qwert>node:n1": 300, "a-5d8f9c7b6d-x2k4p>10.244.0.77": 5,
        ])
    }

    @Test func ownershipEndsWithThePod_unlessTheOriginalsRuleIsAskedFor() throws {
        let rows: [(length: Int32, index: Int64, src: String, dst: String, packets: Int64, bytes: Int64)] = [
            (10, 0, "10.244.0.2", "10.244.0.5", 1, 1),   // [0, 10): c
            (10, 1, "10.244.0.2", "10.244.0.5", 1, 2),   // [10, 20): d owns it at the window's end
            (10, 0, "10.244.0.2", "10.244.0.6", 1, 3),   // [0, 10): e, deleted at 5 s, was the last owner in the window
            (10, 1, "10.244.0.2", "10.244.0.6", 1, 4),   // [10, 20): nobody; the original would still say e
        ]
        let fixed = try Self.build(rows, options: GraphOptions(dropInfrastructure: false))
        #expect(fixed[MergedPairs.Window(length: 10, index: 0)] == ["a-5d8f9c7b6d-x2k4p>c-0": 1, "a-5d8f9c7b6d-x2k4p>e-0": 3])
        #expect(fixed[MergedPairs.Window(length: 10, index: 1)] == ["a-5d8f9c7b6d-x2k4p>d-0": 2, "a-5d8f9c7b6d-x2k4p>10.244.0.6": 4])
        let original = try Self.build(rows, expires: false, options: GraphOptions(dropInfrastructure: false))
        #expect(original[MergedPairs.Window(length: 10, index: 1)] == ["a-5d8f9c7b6d-x2k4p>d-0": 2, "a-5d8f9c7b6d-x2k4p>e-0": 4])
    }

    @Test func podsJoinServicesBySelector_orByTheOriginalsLabelRule() throws {
        let events = [
            Self.service("web", "10.96.0.40", selector: ["app": "web", "tier": "front"]),
            Self.service("web-canary", "10.96.0.41", selector: ["app": "web", "tier": "front", "track": "canary"]),
            EntityEvent(time: Self.t0, change: .added, kind: .service, namespace: "shop", name: "legacy", ips: [IPAddress("10.96.0.42")!],
                        labels: ["app": "legacy"], selector: ["run": "old"]),
            Self.pod("web-7c9d8f6b5a-aaaaa", "10.244.0.11", labels: ["app": "web", "tier": "front"]),
            Self.pod("web-7c9d8f6b5a-bbbbb", "10.244.0.12", labels: ["app": "web", "tier": "front", "track": "canary"]),
            Self.pod("legacy-6b5a4c3d2e-ccccc", "10.244.0.13", labels: ["app": "legacy"]),
            Self.pod("worker-12", "10.244.0.14", labels: [:]),
        ]
        let book = AddressBook(events: events)
        func names(_ rule: ServiceMembership) -> [String: String] {
            Dictionary(uniqueKeysWithValues: rule.services(of: book).map { (book.entities[$0.key].name, $0.value) })
        }
        // Selectors: the most specific match wins; no selector matches legacy's pod, whose name does.
        #expect(names(.selector) == ["web-7c9d8f6b5a-aaaaa": "web", "web-7c9d8f6b5a-bbbbb": "web-canary", "legacy-6b5a4c3d2e-ccccc": "legacy"])
        // The original: the service's own labels; legacy's app=legacy label names its pod.
        #expect(names(.originalLabels)["legacy-6b5a4c3d2e-ccccc"] == "legacy")
    }

    @Test func shardsAreSummedByWindow_andOriginsMustAgree() throws {
        let directory = try TemporaryDirectory()
        try Self.writePairs([(10, 3, "10.244.0.2", "10.244.0.3", 1, 100)], to: directory.file("a.parquet"))
        try Self.writePairs([(10, 3, "10.244.0.2", "10.244.0.3", 2, 50), (10, 4, "10.244.0.2", "10.244.0.3", 1, 70)], to: directory.file("b.parquet"))
        let merged = try MergedPairs(paths: [directory.file("a.parquet"), directory.file("b.parquet")], bytes: .frame)
        let total = merged.windows[MergedPairs.Window(length: 10, index: 3)]?[MergedPairs.Pair(source: "10.244.0.2", destination: "10.244.0.3")]
        #expect(total?.packets == 3 && total?.bytes == 150)
        let inIPBytes = try MergedPairs(paths: [directory.file("a.parquet"), directory.file("b.parquet")], bytes: .ip)
        let ipTotal = inIPBytes.windows[MergedPairs.Window(length: 10, index: 3)]?[MergedPairs.Pair(source: "10.244.0.2", destination: "10.244.0.3")]
        #expect(ipTotal?.packets == 3 && ipTotal?.bytes == 108)  // 150 frame bytes less three 14-byte Ethernet headers
        #expect(merged.isPartial(MergedPairs.Window(length: 10, index: 3)) && merged.isPartial(MergedPairs.Window(length: 10, index: 4)))
        try Self.writePairs([(10, 3, "10.244.0.2", "10.244.0.3", 1, 100)], origin: Self.t0 + 1, to: directory.file("c.parquet"))
        #expect(throws: TableError.self) { try MergedPairs(paths: [directory.file("a.parquet"), directory.file("c.parquet")], bytes: .frame) }
    }

    @Test func nodeSharesAddUp_andAWholeCaptureDoesNotMixWithThem() throws {
        let directory = try TemporaryDirectory()
        let row: [(length: Int32, index: Int64, src: String, dst: String, packets: Int64, bytes: Int64)] = [(10, 3, "10.244.0.2", "10.244.1.3", 1, 100)]
        try Self.writePairs(row, observation: Observation(source: .nodeShare, nodes: ["n2"]), to: directory.file("n2.parquet"))
        try Self.writePairs(row, observation: Observation(source: .nodeShare, nodes: ["n1"]), to: directory.file("n1-a.parquet"))
        try Self.writePairs(row, observation: Observation(source: .nodeShare, nodes: ["n1"]), to: directory.file("n1-b.parquet"))
        let merged = try MergedPairs(paths: ["n2", "n1-a", "n1-b"].map { directory.file($0 + ".parquet") }, bytes: .frame)
        #expect(merged.observation == Observation(source: .nodeShare, nodes: ["n1", "n2"]))
        #expect(merged.windows[MergedPairs.Window(length: 10, index: 3)]?[MergedPairs.Pair(source: "10.244.0.2", destination: "10.244.1.3")]?.packets == 3)
        // A table without the entry is one capture counted whole: it cannot join node shares.
        try Self.writePairs(row, to: directory.file("whole.parquet"))
        #expect(try MergedPairs(paths: [directory.file("whole.parquet")], bytes: .frame).observation == .wholeCapture)
        do {
            _ = try MergedPairs(paths: [directory.file("n1-a.parquet"), directory.file("whole.parquet")], bytes: .frame)
            Issue.record("a whole capture was summed with a node share")
        } catch let error as ContractError {
            #expect("\(error)".contains("whole.parquet: not counted as") && "\(error)".contains("it is capture"), "\(error)")
        }
    }

    @Test func layoutInferredFromTheEntityLog() throws {
        let book = AddressBook(events: Self.events)
        let layout = ClusterLayout(book: book, gateways: [])
        #expect(layout.podRanges.map(\.description) == ["10.244.0.0/24"])
        // .10, .20 and .30 all lie below .32: the smallest prefix holding them is a /27.
        #expect(layout.serviceRanges.map(\.description) == ["10.96.0.0/27"])
        #expect(layout.nodeAddresses == [IPAddress("192.168.1.10")!: "n1"])
        #expect(layout.gateways == [IPAddress("10.244.0.1")!])
    }
}
