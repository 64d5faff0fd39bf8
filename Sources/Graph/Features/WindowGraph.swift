import Contract

/// One window's pod-level graph, as mimir-features computes on it: nodes (pods, `<service>_VIP`,
/// `outside`) with their kind and service, and directed byte weights (zero-weight edges left out).
struct WindowGraph {
    var names: [String] = []
    var kinds: [NodeKind] = []
    var services: [String] = []
    var index: [String: Int] = [:]
    /// weights[u][v] = bytes from u to v.
    private(set) var weights: [[Int: Double]] = []
    /// `edges` once computed, until an edge changes: every feature walks them, and sorting them each
    /// time was a tenth of mimir-features' time. A copy of the graph shares it until either changes.
    private var sortedEdges = EdgeCache()

    private final class EdgeCache {
        var edges: [(source: Int, destination: Int, weight: Double)]?
    }

    mutating func node(_ name: String, kind: NodeKind, service: String) -> Int {
        if let known = index[name] { return known }
        index[name] = names.count
        names.append(name)
        kinds.append(kind)
        services.append(kind == .outside ? "outside" : service.isEmpty ? name : service)
        weights.append([:])
        return names.count - 1
    }

    mutating func add(_ source: Int, _ destination: Int, bytes: Double) {
        guard bytes > 0 else { return }
        weights[source][destination, default: 0] += bytes
        if sortedEdges.edges != nil { sortedEdges = EdgeCache() }
    }

    /// A pod edge table's row: its two nodes and its bytes.
    mutating func add(_ edge: PodEdge) {
        let u = node(edge.source, kind: edge.sourceKind, service: edge.sourceService)
        let v = node(edge.destination, kind: edge.destinationKind, service: edge.destinationService)
        add(u, v, bytes: Double(edge.bytes))
    }

    var count: Int { names.count }

    /// Every edge, in node order (so sums come out the same run after run).
    var edges: [(source: Int, destination: Int, weight: Double)] {
        if let edges = sortedEdges.edges { return edges }
        let edges = weights.indices.flatMap { u in weights[u].keys.sorted().map { (u, $0, weights[u][$0]!) } }
        sortedEdges.edges = edges
        return edges
    }

    func weight(_ u: Int, _ v: Int) -> Double { weights[u][v] ?? 0 }

    /// The service graph: each node replaced by its service (a service's pods and address merged;
    /// outside stays), parallel edges summed, self-loops kept.
    func serviceGraph() -> WindowGraph {
        var graph = WindowGraph()
        for service in Set(services).sorted() { _ = graph.node(service, kind: service == "outside" ? .outside : .pod, service: service) }
        for (u, v, w) in edges { graph.add(graph.index[services[u]]!, graph.index[services[v]]!, bytes: w) }
        return graph
    }
}
