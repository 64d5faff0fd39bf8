import Foundation
import Graph
import Seeded
import SystemSupport
import Table
import Contract

/// mimir-inject's parameters besides the schedule.
public struct InjectionOptions: Sendable {
    /// The highest rate (and standard deviation) taken, in MB per minute: 100 GB a minute. Above it a
    /// week-long window's bytes would come close to what 64 bits count.
    public static let highestRate = 100_000.0

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
    /// Variants that keep a detector from learning one injection model. `hopDelay`: each hop after the
    /// first carries its bytes this many windows of the longest length after the data left the source
    /// (a relay that stages before it forwards); `hopBytes`: each hop carries the amount times a factor
    /// drawn from this range (compression, framing, retries); `knownPairsOnly`: paths only over service
    /// pairs that already talk in the capture, so the exfiltration rides on connections the
    /// application has. Drawn per attack in schedule order: the same at every rate.
    public var hopDelay: ClosedRange<Int>?
    public var hopBytes: ClosedRange<Double>?
    public var knownPairsOnly: Bool

    /// The original's standard deviations of its default rates (mimir-method.md, section 5.4); a quarter
    /// of the rate for any other.
    public static func defaultStandardDeviation(rate: Double) -> Double {
        [10: 0.3, 1: 0.15, 0.1: 0.025, 0.05: 0.0125, 0.01: 0.0025][rate] ?? rate / 4
    }

    public init(rate: Double, rateStandardDeviation: Double? = nil, seed: UInt64, sensitiveService: String, policy: ReachabilityPolicy = .everyone,
                schedule: ScheduleParameters = ScheduleParameters(), maxPathLength: Int = 15, labelPlannedWindows: Bool = false,
                dnsService: String = "kube-dns", hopDelay: ClosedRange<Int>? = nil, hopBytes: ClosedRange<Double>? = nil,
                knownPairsOnly: Bool = false) {
        self.rate = rate
        self.rateStandardDeviation = rateStandardDeviation ?? Self.defaultStandardDeviation(rate: rate)
        self.seed = seed
        self.sensitiveService = sensitiveService
        self.policy = policy
        self.schedule = schedule
        self.maxPathLength = maxPathLength
        self.labelPlannedWindows = labelPlannedWindows
        self.dnsService = dnsService
        self.hopDelay = hopDelay
        self.hopBytes = hopBytes
        self.knownPairsOnly = knownPairsOnly
    }
}

/// Adds synthetic exfiltration to graph's edge tables and labels every window (mimir-method.md,
/// section 5): attack paths from the sensitive service to the internet, a schedule drawn from the
/// seed alone, per-window amounts drawn at the rate, and the edges a capture on `any` would show.
public final class Injection {
    public static let stage = "inject"
    public static let labelsSchemaVersion = 2

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
    /// Graph's naming choices (`AddressNaming`) and what the capture showed (`Observation`), passed on
    /// to the tables for features.
    private var passedOn: [KeyValue] = []
    /// Whether the capture shows both copies of a packet between pods (sender's and receiver's veth):
    /// then a direct hop between pods adds its bytes twice, as such a capture counts them.
    private let observation: Observation

    struct EdgeKeyPair: Hashable {
        var source: Node
        var destination: Node
    }

    /// One row of labels.parquet.
    struct WindowLabel {
        var label = false
        var kind = "none"
        var path: Int32 = -1
        /// The truth table's id of a real event; injected attacks are numbered on from the largest.
        var event: Int32 = -1
        var bytes: Int64 = 0
        var packets: Int64 = 0
    }

    /// How one attack's hops differ from the plain injection (`InjectionOptions.hopDelay`, `hopBytes`).
    struct HopVariant {
        var delay: Int64 = 0
        var factor = 1.0
    }

    public init(podEdges path: String, options: InjectionOptions) throws {
        self.options = options
        let reader = try PodEdgeTable.open(path)
        origin = reader.metadata[key: WindowColumns.originKey]
        passedOn = [AddressNaming.key, Observation.key].compactMap { key in reader.metadata[key: key].map { KeyValue(key: key, value: $0) } }
        observation = try Observation(of: reader)
        // A window's rows are gathered, then stored at once in a table of their size (grown row by row,
        // the tables were rehashed again and again).
        var current: (window: Window, rows: [(EdgeKeyPair, (packets: Int64, bytes: Int64))])?
        func store() {
            guard let (window, rows) = current else { return }
            var edges = windows[window] ?? Dictionary(minimumCapacity: rows.count)
            for (key, totals) in rows { edges[key] = totals }
            windows[window] = edges
        }
        try PodEdgeTable.forEachRow(reader) { length, index, start, isPartial, edge in
            let window = Window(length: length, index: index)
            let source = Node(name: edge.source, kind: edge.sourceKind, service: edge.sourceService)
            let destination = Node(name: edge.destination, kind: edge.destinationKind, service: edge.destinationService)
            if current?.window != window {
                store()
                current = (window, [])
            }
            starts[window] = start
            partial[window] = isPartial
            current!.rows.append((EdgeKeyPair(source: source, destination: destination), (edge.packets, edge.bytes)))
            for node in [source, destination] where node.kind == .pod {
                if podsByWindow[window]?[node.service]?.contains(node) != true { podsByWindow[window, default: [:]][node.service, default: []].append(node) }
                if podsByService[node.service]?.contains(node) != true { podsByService[node.service, default: []].append(node) }
            }
        }
        store()
        guard !windows.isEmpty else { throw TableError.invalidInput("\(path) has no edges to inject into") }
        try SensitiveService.check(options.sensitiveService, among: podsByService.keys, path: path)
    }

    /// The services of the application (those with pods), for the attack paths.
    var services: [String] { podsByService.keys.filter { !$0.isEmpty }.sorted() }

    /// The policy restricted to the service pairs that talk somewhere in the capture outside the real
    /// events (outside as `internet`): the paths of `knownPairsOnly`.
    func knownPairsPolicy(excluding truth: [TruthEvent]) -> ReachabilityPolicy {
        var observed: [String: Set<String>] = [:]
        for (window, edges) in windows {
            let start = starts[window]!, end = start + Int64(window.length) * Nanoseconds.perSecond
            guard !truth.contains(where: { start < $0.end && $0.start < end }) else { continue }
            for key in edges.keys where key.source.kind == .pod || key.source.kind == .vip {
                let destination = key.destination.kind == .outside ? "internet" : key.destination.service
                guard !destination.isEmpty, destination != key.source.service,
                      [.pod, .vip, .outside].contains(key.destination.kind) else { continue }
                observed[key.source.service, default: []].insert(destination)
            }
        }
        var restricted = ReachabilityPolicy(allowed: observed.reduce(into: [:]) { allowed, entry in
            allowed[entry.key] = entry.value.filter { options.policy.allows(entry.key, $0, dnsService: options.dnsService) }
        })
        restricted.addressHops = options.policy.addressHops
        return restricted
    }

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
        let origin = starts[first]! - first.index * Int64(first.length) * Nanoseconds.perSecond
        let realEvents = truth.map { (start: Nanoseconds.seconds($0.start - origin), end: Nanoseconds.seconds($0.end - origin)) }

        // Templates and schedule come from the seed alone: the same for every rate.
        var parameters = options.schedule
        parameters.trailingSeconds = (options.hopDelay?.upperBound ?? 0) * Int(longest)
        let budget = AttackSchedule.Budget(length: length, realEvents: realEvents, parameters: parameters)
        var templates = AttackPathTemplates(services: services, policy: options.knownPairsOnly ? knownPairsPolicy(excluding: truth) : options.policy,
                                            dnsService: options.dnsService, maxPaths: max(1, budget.maxPaths))
        templates.maxPathLength = options.maxPathLength
        let paths = templates.paths(from: options.sensitiveService)
        var scheduleRandom = SeededRandom(seed: options.seed)
        let schedule = AttackSchedule(length: length, longest: Int(longest), realEvents: realEvents, pathCount: paths.count,
                                      parameters: parameters, random: &scheduleRandom)
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
        // The variants' draws come from their own generator, so the plain injection stays as it was.
        var variantRandom = SeededRandom(seed: options.seed ^ 0x686F_7076_6172_6961)  // "hopvaria"
        let hopsByAttack = concrete.map { $0.map { Self.hops($0, observation: observation) } }
        let variants: [[HopVariant]] = hopsByAttack.map { hops in
            (hops ?? []).indices.map { hop in
                var variant = HopVariant()
                if hop > 0, let delay = options.hopDelay { variant.delay = Int64(variantRandom.int(delay)) }
                if let factor = options.hopBytes { variant.factor = factor.lowerBound + variantRandom.unit() * (factor.upperBound - factor.lowerBound) }
                return variant
            }
        }
        let firstInjectedEvent = (truth.map(\.eventID).max() ?? 0) + 1

        // Amounts: drawn per window at this rate.
        var amountRandom = SeededRandom(seed: options.seed ^ options.rate.bitPattern)
        var labels: [Window: WindowLabel] = [:]
        var injectedBytes: Int64 = 0
        for length in lengths {
            let perAttack = Int64(longest / length)
            for (attackIndex, attack) in schedule.attacks.enumerated() {
                let first = attack.windows.lowerBound * perAttack, end = attack.windows.upperBound * perAttack
                let planned = WindowLabel(label: true, kind: "exfil", path: Int32(attack.path), event: firstInjectedEvent + Int32(attackIndex))
                for index in first..<end {
                    guard windows[Window(length: length, index: index)] != nil else { continue }
                    let perMinute = amountRandom.normal(mean: options.rate * 1e6, standardDeviation: options.rateStandardDeviation * 1e6)
                    let bytes = Int64(max(0, perMinute) * Double(length) / 60)
                    let packetSize = max(40, amountRandom.normal(mean: 500, standardDeviation: 100))
                    if options.labelPlannedWindows { labels[Window(length: length, index: index)] = planned }
                    guard bytes >= 60, let hops = hopsByAttack[attackIndex] else { continue }
                    injectedBytes += bytes
                    for (hop, edges) in hops.enumerated() {
                        let variant = variants[attackIndex][hop]
                        let window = Window(length: length, index: index + variant.delay * perAttack)
                        guard windows[window] != nil else { continue }
                        let hopBytes = Int64(Double(bytes) * variant.factor)
                        let packets = max(1, Int64(Double(hopBytes) / packetSize))
                        for edge in edges {
                            add(EdgeKeyPair(source: edge.data.0, destination: edge.data.1), packets: packets, bytes: hopBytes, window: window)
                            add(EdgeKeyPair(source: edge.ack.0, destination: edge.ack.1), packets: packets, bytes: 40 * packets, window: window)
                        }
                        var label = labels[window] ?? planned
                        if hopBytes > label.bytes { (label.bytes, label.packets) = (hopBytes, packets) }
                        labels[window] = label
                    }
                }
            }
        }
        // Real events label their windows with their kind.
        var pathRows = paths.enumerated().map { (id: Int32($0.offset), kind: "exfil", path: $0.element.joined(separator: ">")) }
        for (offset, event) in truth.enumerated() {
            let id = Int32(paths.count + offset)
            pathRows.append((id, event.kind.rawValue, event.path.joined(separator: ">")))
            for window in windows.keys {
                let start = starts[window]!, end = start + Int64(window.length) * Nanoseconds.perSecond
                if start < event.end && event.start < end && labels[window]?.label != true {
                    labels[window] = WindowLabel(label: true, kind: event.kind.rawValue, path: id, event: event.eventID)
                }
            }
        }
        try write(directory: directory, labels: labels, schedule: schedule, pathRows: pathRows, params: params, version: version,
                  longest: longest)
        return Report(paths: paths, attacks: schedule.attacks.count, injectedWindows: labels.values.filter { $0.bytes > 0 }.count,
                      injectedBytes: injectedBytes)
    }

    /// One copy of an injected hop's packets: the edge its data shows on, and the edge the
    /// receiver's ACKs (40 bytes a packet) show on.
    struct HopEdge {
        var data: (Node, Node)
        var ack: (Node, Node)
    }

    /// The edges the source of `observation` would show for data moving along `nodes`, hop by hop
    /// (pod to pod, or to outside; docs/captures.md, the observation model).
    /// - A capture on `any`: a hop into a service address shows before and after DNAT (client ->
    ///   address and client -> pod; or, answering through the server's own address, pod -> client and
    ///   address -> client), the ACKs on the reversed edges; a direct hop between pods shows on both
    ///   pods' veths, the same edge twice, where the capture shows both copies; a hop to or from
    ///   outside once (its other copy is the node's masqueraded address, which graph drops).
    /// - Flow records: every packet once, where a pod receives it: a request through a service
    ///   address as client -> pod, its ACKs as address -> client; an answer through the server's
    ///   own address as address -> client, its ACKs as client -> pod; any other hop once.
    static func hops(_ nodes: [Node], observation: Observation) -> [[HopEdge]] {
        func both(_ from: Node, _ to: Node) -> HopEdge { HopEdge(data: (from, to), ack: (to, from)) }
        let records = observation.source == .records
        var hops: [[HopEdge]] = []
        var index = 0
        while index + 1 < nodes.count {
            let (from, to) = (nodes[index], nodes[index + 1])
            if to.kind == .vip, index + 2 < nodes.count {
                let after = nodes[index + 2]
                let answer = to.service == from.service
                if records {
                    hops.append([answer ? HopEdge(data: (to, after), ack: (after, from)) : HopEdge(data: (from, after), ack: (to, from))])
                } else {
                    hops.append(answer ? [both(from, after), both(to, after)] : [both(from, to), both(from, after)])
                }
                index += 2
            } else {
                let copies = observation.showsBothCopies && from.kind != .outside && to.kind != .outside ? 2 : 1
                hops.append(Array(repeating: both(from, to), count: copies))
                index += 1
            }
        }
        return hops
    }

    private func add(_ key: EdgeKeyPair, packets: Int64, bytes: Int64, window: Window) {
        let total = windows[window]![key] ?? (0, 0)
        windows[window]![key] = (total.packets + packets, total.bytes + bytes)
    }

    private func write(directory: String, labels: [Window: WindowLabel],
                       schedule: AttackSchedule, pathRows: [(id: Int32, kind: String, path: String)], params: JSONValue,
                       version: String, longest: Int32) throws {
        var extra = [KeyValue(key: InjectTables.rateKey, value: "\(options.rate)")]
        if let origin { extra.append(KeyValue(key: WindowColumns.originKey, value: origin)) }
        extra += passedOn
        let edgeProvenance = try Provenance(stage: Self.stage, version: version, schemaVersion: GraphTables.schemaVersion, params: params, extra: extra)
        let tables = try EdgeTablesWriter(directory: directory, provenance: edgeProvenance)
        let split = Int64(schedule.endOfTraining) / Int64(longest)
        var labelRows: [(window: Window, label: WindowLabel, isTest: Bool)] = []
        for window in windows.keys.sorted() {
            let edges = windows[window]!.sorted { ($0.key.source.name, $0.key.destination.name) < ($1.key.source.name, $1.key.destination.name) }
            try tables.write(length: window.length, index: window.index, start: starts[window]!, partial: partial[window]!, edges: edges.map { key, total in
                PodEdge(source: key.source.name, destination: key.destination.name, sourceKind: key.source.kind, destinationKind: key.destination.kind,
                        sourceService: key.source.service, destinationService: key.destination.service, packets: total.packets, bytes: total.bytes)
            })
            // Rows before the end of training, counted in windows of this length, are training rows.
            let isTest = window.index >= split * Int64(longest / window.length)
            labelRows.append((window, labels[window] ?? WindowLabel(), isTest))
        }
        try tables.close()

        let labelProvenance = try Provenance(stage: Self.stage, version: version, schemaVersion: Self.labelsSchemaVersion, params: params, extra: extra)
        let labelSchema = InjectTables.labels
        let labelWriter = try TableWriter(path: directory + "/labels.parquet", schema: labelSchema, metadata: labelProvenance.keyValues)
        try labelWriter.write(TableBatch(schema: labelSchema, columns: [
            ColumnArray(labelRows.map(\.window.length)), ColumnArray(labelRows.map(\.window.index)),
            ColumnArray(.int64(labelRows.map { Nanoseconds.microseconds(starts[$0.window]!) })), ColumnArray(labelRows.map { _ in options.rate }),
            ColumnArray(labelRows.map(\.label.label)), ColumnArray(labelRows.map(\.label.kind)), ColumnArray(labelRows.map(\.label.path)),
            ColumnArray(labelRows.map(\.label.bytes)), ColumnArray(labelRows.map(\.label.packets)), ColumnArray(labelRows.map(\.isTest)),
            ColumnArray(labelRows.map(\.label.event)),
        ]))
        try labelWriter.close()

        let counts = Dictionary(grouping: schedule.attacks, by: \.path)
        let pathSchema = InjectTables.paths
        let pathWriter = try TableWriter(path: directory + "/paths.parquet", schema: pathSchema, metadata: labelProvenance.keyValues)
        try pathWriter.write(TableBatch(schema: pathSchema, columns: [
            ColumnArray(pathRows.map(\.id)), ColumnArray(pathRows.map(\.kind)), ColumnArray(pathRows.map(\.path)),
            ColumnArray(pathRows.map { row in Int32(counts[Int(row.id)]?.filter { !$0.isTest }.count ?? 0) }),
            ColumnArray(pathRows.map { row in Int32(counts[Int(row.id)]?.filter(\.isTest).count ?? 0) }),
        ]))
        try pathWriter.close()
    }
}
