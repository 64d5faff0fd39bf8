import Capture
import Cluster
import Foundation
import Graph
import Seeded
import Table

/// mimir-inject's parameters besides the schedule.
public struct InjectionOptions: Sendable {
    /// Megabytes (10^6 bytes) per minute, and the standard deviation of the per-window draw.
    public var rate: Double
    public var rateStandardDeviation: Double
    public var seed: UInt64
    public var sensitiveService: String
    public var policy: ReachabilityPolicy
    public var schedule: ScheduleParameters
    public var maxPathLength: Int
    /// The `mimir` profile labels every planned window, as the original did, even where the drawn
    /// amount was too small to inject (under 60 bytes); the fixed profile labels windows that carry
    /// injected bytes.
    public var labelPlannedWindows: Bool
    public var dnsService: String

    /// The original's standard deviations of its default rates (mimir-method.md, section 5.4); a quarter
    /// of the rate for any other.
    public static func defaultStandardDeviation(rate: Double) -> Double {
        [10: 0.3, 1: 0.15, 0.1: 0.025, 0.05: 0.0125, 0.01: 0.0025][rate] ?? rate / 4
    }

    public init(rate: Double, rateStandardDeviation: Double? = nil, seed: UInt64, sensitiveService: String, policy: ReachabilityPolicy = .everyone,
                schedule: ScheduleParameters = ScheduleParameters(), maxPathLength: Int = 15, labelPlannedWindows: Bool = false,
                dnsService: String = "kube-dns") {
        self.rate = rate
        self.rateStandardDeviation = rateStandardDeviation ?? Self.defaultStandardDeviation(rate: rate)
        self.seed = seed
        self.sensitiveService = sensitiveService
        self.policy = policy
        self.schedule = schedule
        self.maxPathLength = maxPathLength
        self.labelPlannedWindows = labelPlannedWindows
        self.dnsService = dnsService
    }
}

/// Adds synthetic exfiltration to graph's edge tables and labels every window (mimir-method.md,
/// section 5): attack paths from the sensitive service to the internet, a schedule drawn from the
/// seed alone, per-window amounts drawn at the rate, and the edges a capture on `any` would show.
public final class Injection {
    public static let stage = "inject"
    public static let labelsSchemaVersion = 1

    struct Node: Hashable {
        var name: String
        var kind: NodeKind
        var service: String
    }

    struct Window: Hashable, Comparable {
        var length: Int32
        var index: Int64
        static func < (a: Window, b: Window) -> Bool { (a.length, a.index) < (b.length, b.index) }
    }

    let options: InjectionOptions
    private var windows: [Window: [EdgeKeyPair: (packets: Int64, bytes: Int64)]] = [:]
    private var starts: [Window: Int64] = [:]
    private var partial: [Window: Bool] = [:]
    private var podsByService: [String: [Node]] = [:]
    private var podsByWindow: [Window: [String: [Node]]] = [:]
    public private(set) var origin: String?

    struct EdgeKeyPair: Hashable {
        var source: Node
        var destination: Node
    }

    public init(podEdges path: String, options: InjectionOptions) throws {
        self.options = options
        let reader = try PodEdgeTable.open(path)
        origin = reader.metadata[key: "mimir.origin"]
        try PodEdgeTable.forEachRow(reader) { length, index, start, isPartial, edge in
            let window = Window(length: length, index: index)
            let source = Node(name: edge.source, kind: edge.sourceKind, service: edge.sourceService)
            let destination = Node(name: edge.destination, kind: edge.destinationKind, service: edge.destinationService)
            starts[window] = start
            partial[window] = isPartial
            windows[window, default: [:]][EdgeKeyPair(source: source, destination: destination)] = (edge.packets, edge.bytes)
            for node in [source, destination] where node.kind == .pod {
                if podsByWindow[window]?[node.service]?.contains(node) != true { podsByWindow[window, default: [:]][node.service, default: []].append(node) }
                if podsByService[node.service]?.contains(node) != true { podsByService[node.service, default: []].append(node) }
            }
        }
        guard !windows.isEmpty else { throw TableError.invalidInput("\(path) has no edges to inject into") }
    }

    /// The services of the application (those with pods), for the attack paths.
    var services: [String] { podsByService.keys.filter { !$0.isEmpty }.sorted() }

    public struct Report: Sendable {
        public var paths: [[String]]
        public var attacks: Int
        public var injectedWindows: Int
        public var injectedBytes: Int64
    }

    /// Injects, labels and writes pod_edges, service_edges, labels and paths into `directory`.
    public func run(truth: [TruthEvent], directory: String, provenance params: JSONValue, version: String) throws -> Report {
        let lengths = Set(windows.keys.map(\.length)).sorted()
        let shortest = lengths.first!, longest = lengths.last!
        let shortestWindows = windows.keys.filter { $0.length == shortest }
        let length = Double(shortestWindows.count) * Double(shortest)
        let first = shortestWindows.min()!
        let origin = starts[first]! - first.index * Int64(first.length) * 1_000_000_000
        let realEvents = truth.map { (start: Double($0.start - origin) / 1e9, end: Double($0.end - origin) / 1e9) }

        // Templates and schedule come from the seed alone: the same for every rate.
        let budget = AttackSchedule.Budget(length: length, realEvents: realEvents, parameters: options.schedule)
        var templates = AttackPathTemplates(services: services, policy: options.policy, dnsService: options.dnsService,
                                            maxPaths: max(1, budget.maxPaths))
        templates.maxPathLength = options.maxPathLength
        let paths = services.contains(options.sensitiveService) ? templates.paths(from: options.sensitiveService) : []
        var scheduleRandom = SeededRandom(seed: options.seed)
        let schedule = AttackSchedule(length: length, longest: Int(longest), realEvents: realEvents, pathCount: paths.count,
                                      parameters: options.schedule, random: &scheduleRandom)
        // Concrete pods per attack, drawn in schedule order (so also the same for every rate); an attack
        // whose path names a service without pods is left out.
        let concrete: [[Node]?] = schedule.attacks.map { attack in
            let window = Window(length: longest, index: attack.windows.lowerBound)
            var nodes: [Node] = []
            for template in paths[attack.path] {
                let service = String(template.dropLast(4))
                if template == "internet" {
                    nodes.append(Node(name: "outside", kind: .outside, service: "outside"))
                } else if template.hasSuffix("_vip") {
                    nodes.append(Node(name: service + "_VIP", kind: .vip, service: service))
                } else {
                    let candidates = podsByWindow[window]?[service] ?? podsByService[service] ?? []
                    guard !candidates.isEmpty else { return nil }
                    nodes.append(candidates[scheduleRandom.int(0...(candidates.count - 1))])
                }
            }
            return nodes
        }

        // Amounts: drawn per window at this rate.
        var amountRandom = SeededRandom(seed: options.seed ^ options.rate.bitPattern)
        var labels: [Window: (label: Bool, kind: String, path: Int32, bytes: Int64, packets: Int64)] = [:]
        var injectedBytes: Int64 = 0
        for length in lengths {
            let perAttack = Int64(longest / length)
            for (attackIndex, attack) in schedule.attacks.enumerated() {
                let first = attack.windows.lowerBound * perAttack, end = attack.windows.upperBound * perAttack
                for index in first..<end {
                    let window = Window(length: length, index: index)
                    guard windows[window] != nil else { continue }
                    let perMinute = amountRandom.normal(mean: options.rate * 1e6, standardDeviation: options.rateStandardDeviation * 1e6)
                    let bytes = Int64(max(0, perMinute) * Double(length) / 60)
                    let packetSize = max(40, amountRandom.normal(mean: 500, standardDeviation: 100))
                    var injected: Int64 = 0, packets: Int64 = 0
                    if bytes >= 60, let nodes = concrete[attackIndex] {
                        packets = max(1, Int64(Double(bytes) / packetSize))
                        inject(nodes, bytes: bytes, packets: packets, into: window)
                        injected = bytes
                        injectedBytes += bytes
                    }
                    let label = injected > 0 || options.labelPlannedWindows
                    labels[window] = (label, label ? "exfil" : "none", label ? Int32(attack.path) : -1, injected, injected > 0 ? packets : 0)
                }
            }
        }
        // Real events label their windows with their kind.
        var pathRows = paths.enumerated().map { (id: Int32($0.offset), kind: "exfil", path: $0.element.joined(separator: ">")) }
        for (offset, event) in truth.enumerated() {
            let id = Int32(paths.count + offset)
            pathRows.append((id, event.kind.rawValue, event.path.joined(separator: ">")))
            for window in windows.keys {
                let start = starts[window]!, end = start + Int64(window.length) * 1_000_000_000
                if start < event.end && event.start < end && labels[window]?.label != true {
                    labels[window] = (true, event.kind.rawValue, id, 0, 0)
                }
            }
        }
        try write(directory: directory, labels: labels, schedule: schedule, pathRows: pathRows, params: params, version: version,
                  longest: longest)
        return Report(paths: paths, attacks: schedule.attacks.count, injectedWindows: labels.values.filter { $0.bytes > 0 }.count,
                      injectedBytes: injectedBytes)
    }

    /// The edges a capture on `any` would show for data moving along `nodes`: a hop into a service
    /// address shows before and after DNAT (client -> address and client -> pod; or, answering through
    /// the server's own address, pod -> client and address -> client); each edge also carries the
    /// receiver's ACKs back (40 bytes per packet).
    func inject(_ nodes: [Node], bytes: Int64, packets: Int64, into window: Window) {
        var edges: [(Node, Node)] = []
        var index = 0
        while index + 1 < nodes.count {
            let (from, to) = (nodes[index], nodes[index + 1])
            if to.kind == .vip, index + 2 < nodes.count {
                let after = nodes[index + 2]
                if to.service == from.service {
                    edges += [(from, after), (to, after)]
                } else {
                    edges += [(from, to), (from, after)]
                }
                index += 2
            } else {
                edges.append((from, to))
                index += 1
            }
        }
        for (source, destination) in edges {
            add(EdgeKeyPair(source: source, destination: destination), packets: packets, bytes: bytes, window: window)
            add(EdgeKeyPair(source: destination, destination: source), packets: packets, bytes: 40 * packets, window: window)
        }
    }

    private func add(_ key: EdgeKeyPair, packets: Int64, bytes: Int64, window: Window) {
        let total = windows[window]![key] ?? (0, 0)
        windows[window]![key] = (total.packets + packets, total.bytes + bytes)
    }

    private func write(directory: String, labels: [Window: (label: Bool, kind: String, path: Int32, bytes: Int64, packets: Int64)],
                       schedule: AttackSchedule, pathRows: [(id: Int32, kind: String, path: String)], params: JSONValue,
                       version: String, longest: Int32) throws {
        var extra: [KeyValue] = []
        if let origin { extra.append(KeyValue(key: "mimir.origin", value: origin)) }
        let edgeProvenance = try Provenance(stage: Self.stage, version: version, schemaVersion: GraphTables.schemaVersion, params: params, extra: extra)
        let tables = try EdgeTablesWriter(directory: directory, provenance: edgeProvenance)
        let split = Int64(schedule.endOfTraining) / Int64(longest)
        var labelRows: [(Window, Bool, String, Int32, Int64, Int64, Bool)] = []
        for window in windows.keys.sorted() {
            let edges = windows[window]!.sorted { ($0.key.source.name, $0.key.destination.name) < ($1.key.source.name, $1.key.destination.name) }
            try tables.write(length: window.length, index: window.index, start: starts[window]!, partial: partial[window]!, edges: edges.map { key, total in
                PodEdge(source: key.source.name, destination: key.destination.name, sourceKind: key.source.kind, destinationKind: key.destination.kind,
                        sourceService: key.source.service, destinationService: key.destination.service, packets: total.packets, bytes: total.bytes)
            })
            let label = labels[window] ?? (false, "none", -1, 0, 0)
            // Rows before the end of training, counted in windows of this length, are training rows.
            let isTest = window.index >= split * Int64(longest / window.length)
            labelRows.append((window, label.label, label.kind, label.path, label.bytes, label.packets, isTest))
        }
        try tables.close()

        let labelProvenance = try Provenance(stage: Self.stage, version: version, schemaVersion: Self.labelsSchemaVersion, params: params, extra: extra)
        let labelSchema = try Schema(FlowTables.windowFields.filter { $0.name != "partial" } + [
            Field("rate_mb_per_min", .double), Field("label", .bool), Field("kind", .string), Field("path_id", .int32),
            Field("bytes", .int64), Field("packets", .int64), Field("is_test", .bool),
        ])
        let labelWriter = try TableWriter(path: directory + "/labels.parquet", schema: labelSchema, metadata: labelProvenance.keyValues)
        try labelWriter.write(TableBatch(schema: labelSchema, columns: [
            ColumnArray(labelRows.map(\.0.length)), ColumnArray(labelRows.map(\.0.index)),
            ColumnArray(.int64(labelRows.map { starts[$0.0]! / 1000 })), ColumnArray(labelRows.map { _ in options.rate }),
            ColumnArray(labelRows.map(\.1)), ColumnArray(labelRows.map(\.2)), ColumnArray(labelRows.map(\.3)),
            ColumnArray(labelRows.map(\.4)), ColumnArray(labelRows.map(\.5)), ColumnArray(labelRows.map(\.6)),
        ]))
        try labelWriter.close()

        let counts = Dictionary(grouping: schedule.attacks, by: \.path)
        let pathSchema = try Schema([Field("path_id", .int32, sortKey: true), Field("kind", .string), Field("path", .string),
                                     Field("train_attacks", .int32), Field("test_attacks", .int32)])
        let pathWriter = try TableWriter(path: directory + "/paths.parquet", schema: pathSchema, metadata: labelProvenance.keyValues)
        try pathWriter.write(TableBatch(schema: pathSchema, columns: [
            ColumnArray(pathRows.map(\.id)), ColumnArray(pathRows.map(\.kind)), ColumnArray(pathRows.map(\.path)),
            ColumnArray(pathRows.map { row in Int32(counts[Int(row.id)]?.filter { !$0.isTest }.count ?? 0) }),
            ColumnArray(pathRows.map { row in Int32(counts[Int(row.id)]?.filter(\.isTest).count ?? 0) }),
        ]))
        try pathWriter.close()
    }
}
