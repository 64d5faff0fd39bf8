import Cluster
import SystemSupport
import Table
import Contract

/// What mimir-features computes, and from what.
public struct FeatureOptions: Sendable {
    public var profile: FeatureProfile
    /// The service whose data an exfiltration would take (the original's `sensitive_ms[0]`): sources
    /// of the current-flow betweenness features; without it those features are left out.
    public var sensitiveService: String?
    public var dnsService: String
    /// Windows of history for the Ide-Kashima typical pattern (the original's `ide_window_size`).
    public var ideHistory: Int

    public init(profile: FeatureProfile = .fixed, sensitiveService: String? = nil, dnsService: String = "kube-dns", ideHistory: Int = 10) {
        self.profile = profile
        self.sensitiveService = sensitiveService
        self.dnsService = dnsService
        self.ideHistory = ideHistory
    }
}

/// A flow's addresses, ports and protocol.
private struct FlowKey: Hashable {
    let source: String, destination: String
    let ports: Int64, ipProtocol: Int32

    init(_ flow: FlowRow) {
        (source, destination, ipProtocol) = (flow.source, flow.destination, flow.ipProtocol)
        ports = Int64(flow.sourcePort) << 32 | Int64(UInt32(bitPattern: flow.destinationPort))
    }
}

/// One window's flows, counted per service.
private final class WindowFlowCounts {
    var ports: [String: Set<Int32>] = [:]
    var peers: [String: Set<String>] = [:]
    var failed: [String: Int] = [:]
    /// Flows from outside, each once (a late packet or a shard boundary repeats a flow's row).
    var fromOutside = Set<FlowKey>()

    func count(_ flow: FlowRow, source: GraphNode, destination: GraphNode) {
        if source.kind == .outside, destination.kind != .outside { fromOutside.insert(FlowKey(flow)) }
        guard source.kind == .pod else { return }
        let service = source.serviceName
        // Flows the pods started go to a service's port; a reply goes to its client's ephemeral
        // port, and counting replies would make ports and fan-out grow with the clients (the load).
        if flow.destinationPort < FeatureExtraction.ephemeralPorts {
            ports[service, default: []].insert(flow.destinationPort)
            peers[service, default: []].insert(flow.destination)
        }
        // A TCP flow that sent SYN but never ACK: unanswered, refused, or a half-open probe.
        if flow.ipProtocol == 6 && flow.tcpFlags & 0x02 != 0 && flow.tcpFlags & 0x10 == 0 {
            failed[service, default: 0] += 1
        }
    }
}

/// Reads graph's pod edges (and optionally flows and a reference edge table) and computes one row of
/// features per window (docs/features.md defines every column).
public final class FeatureExtraction {
    public static let stage = "features"
    public static let schemaVersion = 1
    /// The first port of Linux's ephemeral range (32768-60999; IANA's and Windows' start higher):
    /// clients' source ports, so the destination of replies.
    static let ephemeralPorts: Int32 = 32768

    let options: FeatureOptions
    private var graphs: [MergedPairs.Window: WindowGraph] = [:]
    private var starts: [MergedPairs.Window: Int64] = [:]
    private var partial: [MergedPairs.Window: Bool] = [:]
    private var referenceEdges = Set<String>()
    private var flowFeatures: [MergedPairs.Window: [(column: Int, value: Double)]] = [:]
    private let columns = FeatureColumnIndex()
    public private(set) var origin: String?
    /// How graph named the pod edges' addresses (nil for tables of graph 1).
    public private(set) var naming: AddressNaming?
    /// The injection rate of the pod-edge table (`InjectTables.rateKey`), passed on to the features.
    private var rate: String?
    /// What the capture showed of the traffic (recorded by graph, passed on by inject).
    public private(set) var observation: Observation
    /// Features that compare the two copies of a packet, NaN where the capture shows one.
    public static let needBothCopies = ["fraction_pod_comm_not_through_vips"]

    public init(podEdges path: String, options: FeatureOptions) throws {
        self.options = options
        let reader = try PodEdgeTable.open(path)
        origin = reader.metadata[key: WindowColumns.originKey]
        naming = try AddressNaming(of: reader)
        rate = reader.metadata[key: InjectTables.rateKey]
        observation = try Observation(of: reader)
        var services = Set<String>()
        try PodEdgeTable.forEachRow(reader) { length, index, start, isPartial, edge in
            if edge.sourceKind == .pod { services.insert(edge.sourceService) }
            if edge.destinationKind == .pod { services.insert(edge.destinationService) }
            let window = MergedPairs.Window(length: length, index: index)
            starts[window] = start
            partial[window] = isPartial
            graphs[window, default: WindowGraph()].add(edge)  // in place: a copy taken out would be copied again to change
        }
        if let sensitive = options.sensitiveService { try SensitiveService.check(sensitive, among: services, path: path) }
    }

    /// Service edges of a reference capture (the training capture's graph output before injection)
    /// count as already seen for the novelty features.
    public func addReference(podEdges path: String) throws {
        try PodEdgeTable.forEachRow(try PodEdgeTable.open(path)) { _, _, _, _, edge in
            referenceEdges.insert(PodEdge.serviceName(edge.source, kind: edge.sourceKind, service: edge.sourceService) + ">"
                                  + PodEdge.serviceName(edge.destination, kind: edge.destinationKind, service: edge.destinationService))
        }
    }

    /// Port, fan-out and failed-connection counts per service from flows tables, their addresses named
    /// as graph names them.
    public func addFlows(paths: [String], namer: AddressNamer, origin: Int64) throws {
        var counts: [MergedPairs.Window: WindowFlowCounts] = [:]
        for path in paths {
            let (reader, flowsOrigin) = try FlowTables.open(path, as: FlowTables.flows, named: "a flows table")
            guard flowsOrigin == origin else {
                throw TableError.mismatch(path: path, detail: "its windows start at \(EpochSeconds.format(flowsOrigin)), the pod edges' at "
                                          + "\(EpochSeconds.format(origin)): give every flows run the same --origin")
            }
            let clock = WindowClock(origin: origin, lengths: [])
            // A table holds a window's rows together: the window is looked up when it changes.
            var current: (window: MergedPairs.Window, counts: WindowFlowCounts?, start: Int64, end: Int64)?
            try FlowTables.forEachFlow(reader) { flow in
                let window = MergedPairs.Window(length: flow.length, index: flow.index)
                if current?.window != window {
                    let start = clock.start(ofWindow: flow.index, length: Int(flow.length))
                    var windowCounts: WindowFlowCounts?
                    if graphs[window] != nil {
                        windowCounts = counts[window] ?? WindowFlowCounts()
                        counts[window] = windowCounts
                    }
                    current = (window, windowCounts, start, start + Int64(flow.length) * Nanoseconds.perSecond)
                }
                guard let (_, windowCounts, start, end) = current, let windowCounts else { return }
                let (source, destination) = try namer.nodes(source: flow.source, destination: flow.destination, windowStart: start, windowEnd: end)
                windowCounts.count(flow, source: source, destination: destination)
            }
        }
        let load = columns.column(named: FeatureColumns.load)
        for window in graphs.keys {
            let windowCounts = counts[window]
            var row = [(load, Double(windowCounts?.fromOutside.count ?? 0))]
            for service in Set(graphs[window]!.services) where service != "outside" {
                row.append((columns.column(.destinationPorts, service), Double(windowCounts?.ports[service]?.count ?? 0)))
                row.append((columns.column(.fanOut, service), Double(windowCounts?.peers[service]?.count ?? 0)))
                row.append((columns.column(.failedConnections, service), Double(windowCounts?.failed[service] ?? 0)))
            }
            flowFeatures[window] = row
        }
    }

    /// Every window's features, windows in (length, index) order.
    func rows(progress: (Int, Int) -> Void) -> [(window: MergedPairs.Window, values: FeatureRow)] {
        var result: [(MergedPairs.Window, FeatureRow)] = []
        let (newEdgesColumn, newBytesColumn) = (columns.column(named: "new_service_edges"), columns.column(named: "new_service_edge_bytes"))
        let ideColumn = columns.column(named: "ide_kashima_score")
        for length in Set(graphs.keys.map(\.length)).sorted() {
            let windows = graphs.keys.filter { $0.length == length }.sorted()
            var seen = referenceEdges
            var rows: [FeatureRow] = []
            var serviceGraphs: [WindowGraph] = []
            for window in windows {
                progress(result.count + rows.count, graphs.count)
                let graph = graphs[window]!
                let services = graph.serviceGraph()
                var values = windowFeatures(graph, serviceGraph: services)
                serviceGraphs.append(services)
                // Novelty: service edges, and each service's peers, never seen in earlier windows.
                var newEdges = 0.0, newBytes = 0.0
                var newPeers: [String: Double] = Dictionary(uniqueKeysWithValues: services.names.filter { $0 != "outside" }.map { ($0, 0.0) })
                for (u, v, w) in services.edges {
                    let key = "\(services.names[u])>\(services.names[v])"
                    guard !seen.contains(key) else { continue }
                    newEdges += 1
                    newBytes += w
                    if newPeers[services.names[u]] != nil { newPeers[services.names[u]]! += 1 }
                    if u != v, newPeers[services.names[v]] != nil { newPeers[services.names[v]]! += 1 }
                    seen.insert(key)
                }
                values.set(newEdgesColumn, newEdges)
                values.set(newBytesColumn, newBytes)
                for (service, count) in newPeers { values.set(columns.column(.newPeers, service), count) }
                for (column, value) in flowFeatures[window] ?? [] { values.add(column, value) }
                rows.append(values)
            }
            let order = Set(serviceGraphs.flatMap(\.names)).sorted()
            for (index, score) in IdeKashima(order: order, history: options.ideHistory).scores(serviceGraphs).enumerated() {
                rows[index].set(ideColumn, score)
            }
            result += zip(windows, rows).map { ($0, $1) }
        }
        return result
    }

    /// The features of section 4 on one window's graph.
    func windowFeatures(_ graph: WindowGraph, serviceGraph: WindowGraph) -> FeatureRow {
        let features = GraphFeatures(graph: graph, profile: options.profile)
        let members = features.members
        let services = members.keys.sorted()
        var values = FeatureRow(capacity: columns.names.count)
        let pairs = features.servicePairs(services)
        for (i, a) in services.enumerated() {
            values.set(columns.column(.reciprocity, a, a), pairs.reciprocity(i, i))
            for (offset, b) in services[(i + 1)...].enumerated() {
                values.set(columns.column(.reciprocity, a, b), pairs.reciprocity(i, i + 1 + offset))
                values.set(columns.column(.edgeVariation, a, b), pairs.edgeVariation(i, i + 1 + offset))
            }
        }
        for (u, v, w) in serviceGraph.edges { values.set(columns.column(.bytes, serviceGraph.names[u], serviceGraph.names[v]), w) }
        for (index, value) in GraphFeatures.harmonicCentrality(serviceGraph).enumerated() {
            values.set(columns.column(.harmonicCentrality, serviceGraph.names[index]), value)
        }
        if let sensitive = options.sensitiveService {
            let sources = (members[sensitive] ?? []).filter { graph.kinds[$0] == .pod }
            let betweenness = graph.index["outside"].flatMap { features.currentFlowBetweenness(sources: sources, target: $0) }
            for service in services {
                let pods = (members[service] ?? []).filter { graph.kinds[$0] == .pod || service == "outside" }
                values.set(columns.column(.currentFlowVariation, service),
                           betweenness.map { values in coefficientOfVariation(pods.compactMap { values[$0] }) } ?? .nan)
            }
        }
        values.set(columns.column(named: "fraction_pod_comm_not_through_vips"), observation.showsBothCopies
            ? features.podTrafficNotThroughServiceAddresses(dnsService: options.dnsService) : .nan)
        let dns = features.dnsRatios(dnsService: options.dnsService)
        values.set(columns.column(named: "into_dns_from_outside"), dns.fromOutside)
        values.set(columns.column(named: "dns_outside_inside_ratio"), dns.outsideInsideRatio)
        values.set(columns.column(named: "into_dns_ratio"), dns.intoRatio)
        return values
    }

    /// Writes features.parquet: the window columns, then every feature (sorted by name; NaN where a
    /// window lacks it, 0 for a service pair's bytes), with each column's definition in the metadata.
    /// `progress` hears how many windows of how many are computed.
    public func write(path: String, provenance params: JSONValue, version: String,
                      progress: (Int, Int) -> Void = { _, _ in }) throws -> (windows: Int, features: Int) {
        let rows = rows(progress: progress)
        // Only the columns some window has (a column is numbered when a window first sets it).
        let used = columns.names.indices.filter { column in rows.contains { $0.values.has(column) } }
        let sortedColumns = used.sorted { columns.names[$0] < columns.names[$1] }
        let names = sortedColumns.map { columns.names[$0] }
        let definitions = JSONValue.object(Dictionary(uniqueKeysWithValues: names.map { ($0, JSONValue.string(FeatureDefinitions.describe($0))) }))
        var extra = [KeyValue(key: FeatureColumns.meaningsKey, value: try definitions.canonicalText())]
        if let origin { extra.append(KeyValue(key: WindowColumns.originKey, value: origin)) }
        if let rate { extra.append(KeyValue(key: InjectTables.rateKey, value: rate)) }
        let provenance = try Provenance(stage: Self.stage, version: version, schemaVersion: Self.schemaVersion, params: params, extra: extra)
        let schema = try Schema(WindowColumns.fields + names.map { Field($0, .double) })
        var tableColumns = [
            ColumnArray(rows.map(\.window.length)), ColumnArray(rows.map(\.window.index)),
            ColumnArray(.int64(rows.map { starts[$0.window]! / 1000 })), ColumnArray(rows.map { partial[$0.window]! }),
        ]
        let values = zip(sortedColumns, names).map { column, name in
            let absent = FeatureColumns.isBytes(name) ? 0 : Double.nan
            return rows.map { $0.values.value(column) ?? absent }
        }
        tableColumns += values.map { ColumnArray($0) }
        let writer = try TableWriter(path: path, schema: schema, metadata: provenance.keyValues)
        try writer.write(TableBatch(schema: schema, columns: tableColumns))
        try writer.close()
        return (rows.count, names.count)
    }
}
