import Capture
import Cluster
import Foundation
import Graph
@testable import Table
import Testing
import TestSupport
@testable import Inject
import Seeded
import Contract

/// mimir-inject against the method's rules worked by hand (mimir-method.md, section 5).
@Suite struct InjectTests {
    static let fixtures = CrossCheck.packageRoot + "/Tests/fixtures/mimir-original/"
    static let sockShop = ["carts", "carts-db", "catalogue", "catalogue-db", "front-end", "kube-dns", "orders", "orders-db", "payment",
                           "queue-master", "rabbitmq", "shipping", "user", "user-db"]

    @Test func sockShopPolicy_parsesAllowancesAndAddressHops() throws {
        let policy = try ReachabilityPolicy.parse(try String(contentsOfFile: Self.fixtures + "sockshop_netsec_seg.txt", encoding: .utf8), path: "p")
        #expect(policy.allowed?["user"] == ["user-db", "orders", "front-end", "internet", "catalogue", "kube-dns"])
        #expect(policy.allowed?["front-end"]?.contains("payment") == false)  // commented out
        #expect(policy.addressHops.contains("orders>shipping") && policy.addressHops.contains("ALL>kube-dns"))
        #expect(policy.addressHops.contains("front-end>kube-dns"))  // front_end_pod: underscores read as dashes
        #expect(!policy.allows("kube-dns", "user", dnsService: "kube-dns") && policy.allows("kube-dns", "internet", dnsService: "kube-dns"))
        #expect(throws: PolicyError.self) { try ReachabilityPolicy.parse("a MAY b\n", path: "p") }
    }

    @Test func sockShopTemplates_fromUserDB_beginWithTheOriginalsExample() throws {
        let policy = try ReachabilityPolicy.parse(try String(contentsOfFile: Self.fixtures + "sockshop_netsec_seg.txt", encoding: .utf8), path: "p")
        let paths = AttackPathTemplates(services: Self.sockShop, policy: policy, maxPaths: 5).paths(from: "user-db")
        // mimir-method.md, section 5.1: [user_db_pod, kube_dns_vip, kube_dns_pod, internet].
        #expect(paths.first == ["user-db_pod", "kube-dns_vip", "kube-dns_pod", "internet"])
        // user-db -> user: the policy declares user_pod -> user_db_vip, so user-db answers through its own address.
        #expect(paths.contains(["user-db_pod", "user-db_vip", "user_pod", "internet"]))
        #expect(paths.count == 5)
        // No hop leaves DNS except to the internet.
        for path in paths { for (a, b) in zip(path, path.dropFirst()) where a == "kube-dns_pod" { #expect(b == "internet") } }
    }

    @Test func withoutPolicy_anUndeclaredHopBranchesIntoThreeVariants() {
        let paths = AttackPathTemplates(services: ["a", "b"], policy: .everyone, maxPaths: 10).paths(from: "a")
        #expect(paths == [
            ["a_pod", "internet"],
            ["a_pod", "a_vip", "b_pod", "internet"], ["a_pod", "b_vip", "b_pod", "internet"], ["a_pod", "b_pod", "internet"],
        ])
    }

    @Test func schedule_countsAsTheMethodSays_andIsTheSameForEveryDraw() {
        // 1200 s, 60 s windows, halves, half of each attacked: 300 s = 5 one-minute attacks in each half.
        var random = SeededRandom(seed: 3)
        let schedule = AttackSchedule(length: 1200, longest: 60, realEvents: [], pathCount: 2, parameters: ScheduleParameters(), random: &random)
        #expect(schedule.endOfTraining == 600 && schedule.trainInjections == 4 && schedule.testInjections == 4)
        #expect(schedule.attacks.filter { !$0.isTest }.allSatisfy { $0.windows.upperBound <= 10 })
        #expect(schedule.attacks.filter(\.isTest).allSatisfy { $0.windows.lowerBound >= 10 && $0.windows.upperBound <= 20 })
        #expect(schedule.attacks.map(\.path) == [0, 1, 0, 1, 0, 1, 0, 1])
        #expect(Set(schedule.attacks.map(\.windows.lowerBound)).count == 8)
        // A real event at [300, 420) s ends training there and takes its time from the test budget:
        // split 300 s (150 s = 2 attacks), test (900 * 0.5 - 120) = 330 s (5 attacks), 2 paths -> 2 and 4.
        var again = SeededRandom(seed: 3)
        let withEvent = AttackSchedule(length: 1200, longest: 60, realEvents: [(300, 420)], pathCount: 2, parameters: ScheduleParameters(), random: &again)
        #expect(withEvent.endOfTraining == 300 && withEvent.trainInjections == 2 && withEvent.testInjections == 4)
        #expect(!withEvent.attacks.contains { $0.windows.overlaps(5..<7) })
    }

    /// A two-window graph: pods a1 (service a), b1 (b), b's address, outside; observed as `observation`
    /// (none: a table of graph 1, one capture).
    static func writeEdges(to path: String, observation: Observation? = nil) throws {
        let provenance = try Provenance(stage: GraphTables.stage, version: "1", schemaVersion: 1, params: .object([:]),
                                        extra: [KeyValue(key: "mimir.origin", value: "1795860000")] + (observation.map { [try $0.keyValue()] } ?? []))
        let writer = try TableWriter(path: path, schema: GraphTables.podEdges, metadata: provenance.keyValues)
        var rows: [[String]] = []
        var windows: [Int64] = []
        for window in 0..<Int64(20) {
            rows += [["a1", "b_VIP", "pod", "vip", "a", "b"], ["a1", "b1", "pod", "pod", "a", "b"], ["b1", "a1", "pod", "pod", "b", "a"]]
            windows += [window, window, window]
        }
        try writer.write(TableBatch(schema: GraphTables.podEdges, columns: [
            ColumnArray(windows.map { _ in Int32(60) }), ColumnArray(windows), ColumnArray(.int64(windows.map { (1_795_860_000 + $0 * 60) * 1_000_000 })),
            ColumnArray(windows.map { $0 == 0 || $0 == 19 }),
        ] + (0..<6).map { column in ColumnArray(rows.map { $0[column] }) } + [ColumnArray(windows.map { _ in Int64(5) }), ColumnArray(windows.map { _ in Int64(1000) })]))
        try writer.close()
    }

    @Test func injection_addsTheEdgesACaptureOnAnyShows_withTheirAcks() throws {
        let directory = try TemporaryDirectory()
        try Self.writeEdges(to: directory.file("edges.parquet"))
        let options = InjectionOptions(rate: 1, seed: 5, sensitiveService: "a", policy: .everyone)
        let injection = try Injection(podEdges: directory.file("edges.parquet"), options: options)
        let report = try injection.run(truth: [], directory: directory.path, provenance: .object([:]), version: "1")
        // 1200 s: halves of 600 s, half of each attacked = 5 one-minute attacks each; the 4 templates get
        // one each per half (floor(5 / 4)): 8 attacks.
        #expect(report.attacks == 8 && report.paths.count == 4)
        let labels = try TableReader(path: directory.file("labels.parquet")).readAll()
        let edges = try TableReader(path: directory.file("pod_edges.parquet")).readAll()
        let paths = try TableReader(path: directory.file("paths.parquet")).readAll()
        let pathText = paths["path"]!.byteArrays.strings
        #expect(labels["label"]!.bools.filter { $0 }.count == 8)
        #expect(paths["train_attacks"]!.int32s == [1, 1, 1, 1] && paths["test_attacks"]!.int32s == [1, 1, 1, 1])
        for row in 0..<labels.rowCount where labels["label"]!.bools[row] {
            let window = labels["window_index"]!.int64s[row], bytes = labels["bytes"]!.int64s[row], packets = labels["packets"]!.int64s[row]
            let path = pathText[Int(labels["path_id"]!.int32s[row])]
            func weight(_ src: String, _ dst: String) -> Int64 {
                (0..<edges.rowCount).first { edges["window_index"]!.int64s[$0] == window && edges["src"]!.byteArrays.string(at: $0) == src
                    && edges["dst"]!.byteArrays.string(at: $0) == dst }.map { edges["bytes"]!.int64s[$0] } ?? 0
            }
            // 1 MB/min for a 60 s window: about 10^6 bytes (sd 0.15 MB).
            #expect(bytes > 400_000 && bytes < 1_600_000)
            switch path {
            case "a_pod>internet":
                #expect(weight("a1", "outside") == bytes && weight("outside", "a1") == 40 * packets)
            case "a_pod>b_vip>b_pod>internet":
                // client -> address -> server: a1 -> b_VIP and a1 -> b1 (before and after DNAT); then b1 -> outside.
                #expect(weight("a1", "b_VIP") == 1000 + bytes && weight("a1", "b1") == 1000 + bytes && weight("b1", "outside") == bytes)
                #expect(weight("b_VIP", "a1") == 40 * packets && weight("b1", "a1") == 1000 + 40 * packets)
            case "a_pod>a_vip>b_pod>internet":
                // Answering through its own address: a1 -> b1 and a_VIP -> b1.
                #expect(weight("a1", "b1") == 1000 + bytes && weight("a_VIP", "b1") == bytes)
            case "a_pod>b_pod>internet":
                // Pod to pod directly: both veths show it, so the edge and its ACKs count twice.
                #expect(weight("a1", "b1") == 1000 + 2 * bytes && weight("a1", "b_VIP") == 1000 && weight("b1", "a1") == 1000 + 2 * 40 * packets)
            default:
                Issue.record("unexpected path \(path)")
            }
        }
        // Schedules do not depend on the rate: the same windows carry the same paths at 0.1 MB/min.
        let other = try TemporaryDirectory()
        _ = try Injection(podEdges: directory.file("edges.parquet"), options: InjectionOptions(rate: 0.1, seed: 5, sensitiveService: "a", policy: .everyone))
            .run(truth: [], directory: other.path, provenance: .object([:]), version: "1")
        let slower = try TableReader(path: other.file("labels.parquet")).readAll()
        #expect(slower["label"]!.bools == labels["label"]!.bools && slower["path_id"]!.int32s == labels["path_id"]!.int32s)
        #expect(slower["rate_mb_per_min"]!.doubles.allSatisfy { $0 == 0.1 })
    }

    /// Injects at 1 MB/min into `writeEdges`' graph observed as `observation`; returns the labels, the
    /// pod edges and the paths' texts.
    static func injected(observed observation: Observation, in directory: TemporaryDirectory) throws -> (TableBatch, TableBatch, [String]) {
        try writeEdges(to: directory.file("edges.parquet"), observation: observation)
        let options = InjectionOptions(rate: 1, seed: 5, sensitiveService: "a", policy: .everyone)
        _ = try Injection(podEdges: directory.file("edges.parquet"), options: options).run(truth: [], directory: directory.path, provenance: .object([:]), version: "1")
        return (try TableReader(path: directory.file("labels.parquet")).readAll(), try TableReader(path: directory.file("pod_edges.parquet")).readAll(),
                try TableReader(path: directory.file("paths.parquet")).readAll()["path"]!.byteArrays.strings)
    }

    @Test func oneNodesCaptureOfSeveral_showsADirectHopOnce() throws {
        let directory = try TemporaryDirectory()
        let observation = Observation(source: .capture, clusterNodes: ["n1", "n2", "n3"])
        let (labels, edges, pathText) = try Self.injected(observed: observation, in: directory)
        var checked = 0
        for row in 0..<labels.rowCount where labels["label"]!.bools[row] && pathText[Int(labels["path_id"]!.int32s[row])] == "a_pod>b_pod>internet" {
            let window = labels["window_index"]!.int64s[row]
            let direct = (0..<edges.rowCount).first { edges["window_index"]!.int64s[$0] == window && edges["src"]!.byteArrays.string(at: $0) == "a1"
                && edges["dst"]!.byteArrays.string(at: $0) == "b1" }.map { edges["bytes"]!.int64s[$0] }
            #expect(direct == 1000 + labels["bytes"]!.int64s[row])
            checked += 1
        }
        #expect(checked == 2)
        // The observation is passed on for features.
        #expect(try Observation(of: TableReader(path: directory.file("pod_edges.parquet"))) == observation)
    }

    @Test func flowRecords_showEachPacketOnce_whereAPodReceivesIt() throws {
        let (labels, edges, pathText) = try Self.injected(observed: Observation(source: .records), in: TemporaryDirectory())
        var checked = Set<String>()
        for row in 0..<labels.rowCount where labels["label"]!.bools[row] {
            let window = labels["window_index"]!.int64s[row], bytes = labels["bytes"]!.int64s[row], packets = labels["packets"]!.int64s[row]
            func weight(_ src: String, _ dst: String) -> Int64 {
                (0..<edges.rowCount).first { edges["window_index"]!.int64s[$0] == window && edges["src"]!.byteArrays.string(at: $0) == src
                    && edges["dst"]!.byteArrays.string(at: $0) == dst }.map { edges["bytes"]!.int64s[$0] } ?? 0
            }
            let path = pathText[Int(labels["path_id"]!.int32s[row])]
            switch path {
            case "a_pod>b_vip>b_pod>internet":
                // The request is received by b1 after DNAT: a1 -> b1; its ACKs by a1, from b's address.
                #expect(weight("a1", "b1") == 1000 + bytes && weight("a1", "b_VIP") == 1000)
                #expect(weight("b_VIP", "a1") == 40 * packets && weight("b1", "a1") == 1000)
            case "a_pod>a_vip>b_pod>internet":
                // The answer is received by b1 from a's address; b1's ACKs are received by a1.
                #expect(weight("a_VIP", "b1") == bytes && weight("a1", "b1") == 1000 && weight("b1", "a1") == 1000 + 40 * packets)
            case "a_pod>b_pod>internet":
                #expect(weight("a1", "b1") == 1000 + bytes && weight("b1", "a1") == 1000 + 40 * packets)
            default:
                #expect(weight("a1", "outside") == bytes)
            }
            checked.insert(path)
        }
        #expect(checked.count == 4)
    }

    @Test func realEvents_labelTheirWindowsWithTheirKind() throws {
        let directory = try TemporaryDirectory()
        try Self.writeEdges(to: directory.file("edges.parquet"))
        let scan = TruthEvent(eventID: 1, kind: .scan, start: (1_795_860_000 + 630) * 1_000_000_000, end: (1_795_860_000 + 700) * 1_000_000_000,
                              source: "a1", path: ["a1"], bytes: 10)
        _ = try Injection(podEdges: directory.file("edges.parquet"), options: InjectionOptions(rate: 0, seed: 5, sensitiveService: "a"))
            .run(truth: [scan], directory: directory.path, provenance: .object([:]), version: "1")
        let labels = try TableReader(path: directory.file("labels.parquet")).readAll()
        let kinds = labels["kind"]!.byteArrays.strings
        // [630, 700) s covers the 60 s windows 10 and 11.
        #expect((0..<labels.rowCount).filter { kinds[$0] == "scan" }.map { labels["window_index"]!.int64s[$0] } == [10, 11])
        #expect(labels["bytes"]!.int64s.allSatisfy { $0 == 0 })
    }

    @Test func variants_delayLaterHops_scaleEachHop_andNumberTheAttacks() throws {
        let directory = try TemporaryDirectory()
        try Self.writeEdges(to: directory.file("edges.parquet"))
        let options = InjectionOptions(rate: 1, seed: 5, sensitiveService: "a", policy: .everyone, hopDelay: 1...1, hopBytes: 0.8...1.3)
        let report = try Injection(podEdges: directory.file("edges.parquet"), options: options)
            .run(truth: [], directory: directory.path, provenance: .object([:]), version: "1")
        let labels = try TableReader(path: directory.file("labels.parquet")).readAll()
        let edges = try TableReader(path: directory.file("pod_edges.parquet")).readAll()
        let pathText = try TableReader(path: directory.file("paths.parquet")).readAll()["path"]!.byteArrays.strings
        func weight(_ window: Int64, _ src: String, _ dst: String) -> Int64 {
            (0..<edges.rowCount).first { edges["window_index"]!.int64s[$0] == window && edges["src"]!.byteArrays.string(at: $0) == src
                && edges["dst"]!.byteArrays.string(at: $0) == dst }.map { edges["bytes"]!.int64s[$0] } ?? 0
        }
        // Each attack keeps its window and the next free: 300 s of each half per 120 s = 2 attacks, so
        // min(2, 4 templates) paths get one attack in each half.
        #expect(report.attacks == 4)
        let labelled = (0..<labels.rowCount).filter { labels["label"]!.bools[$0] }
        let events = Dictionary(grouping: labelled) { labels["event_id"]!.int32s[$0] }
        // Without truth the attacks are numbered from 1.
        #expect(events.keys.sorted() == [1, 2, 3, 4])
        for (_, rows) in events {
            let windows = rows.map { labels["window_index"]!.int64s[$0] }.sorted()
            let path = pathText[Int(labels["path_id"]!.int32s[rows[0]])]
            switch path {
            case "a_pod>internet":
                // One hop: nothing to delay; its bytes scaled within 0.8-1.3 of the drawn amount (about 10^6).
                #expect(windows.count == 1 && weight(windows[0], "a1", "outside") > 300_000 && weight(windows[0], "a1", "outside") < 2_100_000)
            case "a_pod>a_vip>b_pod>internet", "a_pod>b_vip>b_pod>internet", "a_pod>b_pod>internet":
                // The second hop, b1 -> outside, a window after the first (a1 -> b1 after DNAT, benign 1000 bytes).
                #expect(windows == [windows[0], windows[0] + 1])
                #expect(weight(windows[0], "a1", "b1") > 1000 && weight(windows[0], "b1", "outside") == 0)
                #expect(weight(windows[1], "a1", "b1") == 1000 && weight(windows[1], "b1", "outside") > 0)
            default:
                Issue.record("unexpected path \(path)")
            }
        }
    }

    @Test func knownPairsOnly_keepsThePairsThatTalkOutsideRealEvents() throws {
        let directory = try TemporaryDirectory()
        try Self.writeEdges(to: directory.file("edges.parquet"))
        let injection = try Injection(podEdges: directory.file("edges.parquet"),
                                      options: InjectionOptions(rate: 1, seed: 5, sensitiveService: "a", knownPairsOnly: true))
        #expect(injection.knownPairsPolicy(excluding: []).allowed == ["a": ["b"], "b": ["a"]])
        // Nothing in this graph talks to outside: no path can leave the cluster over known pairs.
        let report = try injection.run(truth: [], directory: directory.path, provenance: .object([:]), version: "1")
        #expect(report.paths.isEmpty && report.attacks == 0)
        // Every window inside a real event: no pair counts as known.
        let everything = TruthEvent(eventID: 1, kind: .lateral, start: 1_795_860_000 * 1_000_000_000, end: (1_795_860_000 + 1200) * 1_000_000_000,
                                    source: "a1", path: ["a1"], bytes: 1)
        #expect(injection.knownPairsPolicy(excluding: [everything]).allowed == [:])
    }

    @Test func aSensitiveServiceWithoutPods_isBadInput_listingTheServicesFound() throws {
        let directory = try TemporaryDirectory()
        try Self.writeEdges(to: directory.file("edges.parquet"))
        #expect(throws: TableError.mismatch(path: directory.file("edges.parquet"),
                                            detail: "--sensitive 'user-db' matches no service with pods in this graph; services found: a, b")) {
            try Injection(podEdges: directory.file("edges.parquet"), options: InjectionOptions(rate: 1, seed: 5, sensitiveService: "user-db"))
        }
    }
}
