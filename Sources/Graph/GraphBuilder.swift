import Cluster
import SystemSupport
import Table
import Contract

/// How graph names addresses.
public struct GraphOptions: Sendable {
    /// Drop the cluster's own machinery (kube-system, the `kubernetes` service, node addresses,
    /// addresses in the cluster's ranges that no entity owns), keeping DNS, as the original's dropInfra.
    public var dropInfrastructure: Bool
    public var membership: ServiceMembership
    /// The name of the DNS service kept among the infrastructure.
    public var dnsService: String

    public init(dropInfrastructure: Bool = true, membership: ServiceMembership = .selector, dnsService: String = "kube-dns") {
        self.dropInfrastructure = dropInfrastructure
        self.membership = membership
        self.dnsService = dnsService
    }
}

/// A node of a window's graph.
struct GraphNode: Hashable, Comparable {
    var name: String
    var kind: NodeKind
    var service: String
    var namespace: String
    var infrastructure: Bool
    /// For a pod, the node it runs on; for a node's address, that node.
    var host = ""

    static let outside = GraphNode(name: "outside", kind: .outside, service: "outside", namespace: "", infrastructure: false)
    /// Stands for every node's gateway until the gateway rule has run.
    static let gateway = GraphNode(name: "gateway", kind: .outside, service: "outside", namespace: "", infrastructure: false)

    static func < (a: GraphNode, b: GraphNode) -> Bool { a.name < b.name }

    /// Its name in the service graph.
    var serviceName: String { PodEdge.serviceName(name, kind: kind, service: service) }
}

struct EdgeKey: Hashable {
    var source: GraphNode
    var destination: GraphNode
}

/// Names addresses as graph nodes, window by window: the owning pod or `<service>_VIP`, a node, a
/// gateway, an unknown address of the cluster's ranges, or `outside`.
public final class AddressNamer {
    let book: AddressBook
    let layout: ClusterLayout
    let options: GraphOptions
    private let serviceOf: [Int: String]
    private var addresses: [String: IPAddress] = [:]

    public init(book: AddressBook, layout: ClusterLayout, options: GraphOptions) {
        self.book = book
        self.layout = layout
        self.options = options
        serviceOf = options.membership.services(of: book)
    }

    /// The nodes named in the window last asked about: tables hold a window's rows together, and an
    /// address recurs in most of them.
    private var window: (start: Int64, end: Int64) = (0, 0)
    private var named: [String: GraphNode] = [:]

    /// The node an address stands for in the window [windowStart, windowEnd).
    func node(for text: String, windowStart: Int64, windowEnd: Int64) throws -> GraphNode {
        if window != (windowStart, windowEnd) {
            window = (windowStart, windowEnd)
            named.removeAll(keepingCapacity: true)
        } else if let node = named[text] {
            return node
        }
        let node = try uncachedNode(for: text, windowStart: windowStart, windowEnd: windowEnd)
        named[text] = node
        return node
    }

    private func uncachedNode(for text: String, windowStart: Int64, windowEnd: Int64) throws -> GraphNode {
        guard let address = addresses[text] ?? IPAddress(text) else {
            throw TableError.invalidInput("the tables hold '\(text)', which is not an IPv4 or IPv6 address")
        }
        addresses[text] = address
        if let index = book.owner(of: address, windowStart: windowStart, windowEnd: windowEnd) {
            let entity = book.entities[index]
            switch entity.kind {
            case .pod:
                let service = serviceOf[index] ?? ""
                return GraphNode(name: entity.name, kind: .pod, service: service, namespace: entity.namespace,
                                 infrastructure: isInfrastructure(namespace: entity.namespace, service: service), host: entity.node ?? "")
            case .service:
                return GraphNode(name: entity.name + "_VIP", kind: .vip, service: entity.name, namespace: entity.namespace,
                                 infrastructure: isInfrastructure(namespace: entity.namespace, service: entity.name))
            }
        }
        if layout.gateways.contains(address) { return .gateway }
        if let node = layout.nodeAddresses[address] {
            return GraphNode(name: "node:" + node, kind: .node, service: "", namespace: "", infrastructure: true, host: node)
        }
        if layout.isInCluster(address) {
            return GraphNode(name: text, kind: .unknown, service: "", namespace: "", infrastructure: true)
        }
        return .outside
    }

    /// The nodes a source and a destination address stand for in a window. Outside stays outside:
    /// users reaching a node port of one node are masqueraded as that node's address when the pod
    /// serving them runs on another node (external traffic policy `Cluster`, or `Local` without a
    /// local pod), so a node's address talking to an application pod of another node stands for
    /// outside. The node's own traffic (kubelet, probes, its processes) goes to its own pods, from
    /// its gateway, or to the cluster's machinery, and stays the node's.
    func nodes(source: String, destination: String, windowStart: Int64, windowEnd: Int64) throws -> (GraphNode, GraphNode) {
        func standsForOutside(_ node: GraphNode, peer: GraphNode) -> Bool {
            node.kind == .node && peer.kind == .pod && !peer.infrastructure && !peer.host.isEmpty && peer.host != node.host
        }
        var from = try node(for: source, windowStart: windowStart, windowEnd: windowEnd)
        var to = try node(for: destination, windowStart: windowStart, windowEnd: windowEnd)
        if standsForOutside(from, peer: to) { from = .outside } else if standsForOutside(to, peer: from) { to = .outside }
        return (from, to)
    }

    private func isInfrastructure(namespace: String, service: String) -> Bool {
        guard service != options.dnsService else { return false }
        return namespace == "kube-system" || (namespace == "default" && service == "kubernetes")
    }
}

/// Builds every window's pod and service graphs from merged pairs tables and the entity log.
public final class GraphBuilder {
    let pairs: MergedPairs
    let namer: AddressNamer
    let options: GraphOptions

    public init(pairs: MergedPairs, book: AddressBook, layout: ClusterLayout, options: GraphOptions) {
        self.pairs = pairs
        self.options = options
        namer = AddressNamer(book: book, layout: layout, options: options)
    }

    /// The pod-level edges of one window, with outside merged, the gateway rule applied and, on
    /// request, the infrastructure dropped.
    func edges(of window: MergedPairs.Window) throws -> [EdgeKey: (packets: Int64, bytes: Int64)] {
        let start = pairs.origin + window.index * Int64(window.length) * Nanoseconds.perSecond
        let end = start + Int64(window.length) * Nanoseconds.perSecond
        var edges: [EdgeKey: (packets: Int64, bytes: Int64)] = [:]
        for (pair, total) in pairs.windows[window] ?? [:] {
            let (source, destination) = try namer.nodes(source: pair.source, destination: pair.destination, windowStart: start, windowEnd: end)
            let key = EdgeKey(source: source, destination: destination)
            let sum = edges[key] ?? (0, 0)
            edges[key] = (sum.packets + total.packets, sum.bytes + total.bytes)
        }
        applyGatewayRule(&edges)
        if options.dropInfrastructure {
            edges = edges.filter { !$0.key.source.infrastructure && !$0.key.destination.infrastructure }
        }
        return edges
    }

    /// The original's gateway compensation (mimir-method.md, S5 step 4): a node receiving traffic from
    /// a gateway but sending nothing outside only answers the kubelet, so both directions go; a node
    /// that does talk to outside keeps the gateway's traffic as outside's (masqueraded users) and
    /// loses only its answers to the gateway. Then the gateways become `outside`.
    func applyGatewayRule(_ edges: inout [EdgeKey: (packets: Int64, bytes: Int64)]) {
        let fromGateway = Set(edges.keys.filter { $0.source == .gateway }.map(\.destination))
        let talksOutside = Set(edges.keys.filter { $0.destination == .outside }.map(\.source))
        for node in fromGateway {
            edges[EdgeKey(source: node, destination: .gateway)] = nil
            if !talksOutside.contains(node) { edges[EdgeKey(source: .gateway, destination: node)] = nil }
        }
        for (key, total) in edges where key.source == .gateway || key.destination == .gateway {
            edges[key] = nil
            let merged = EdgeKey(source: key.source == .gateway ? .outside : key.source,
                                 destination: key.destination == .gateway ? .outside : key.destination)
            let sum = edges[merged] ?? (0, 0)
            edges[merged] = (sum.packets + total.packets, sum.bytes + total.bytes)
        }
    }

    /// Writes pod_edges.parquet, service_edges.parquet and nodes.parquet into `directory`; `progress`
    /// hears how many windows of how many are written.
    public func write(directory: String, provenance: Provenance,
                      progress: (Int, Int) -> Void = { _, _ in }) throws -> (windows: Int, podEdges: Int, serviceEdges: Int) {
        let tables = try EdgeTablesWriter(directory: directory, provenance: provenance)
        let nodeWriter = try WindowedRowWriter(path: directory + "/nodes.parquet", schema: GraphTables.nodes, metadata: provenance.keyValues)
        let windows = pairs.windows.keys.sorted()
        for (done, window) in windows.enumerated() {
            progress(done, windows.count)
            let edges = try edges(of: window)
            let start = pairs.origin + window.index * Int64(window.length) * Nanoseconds.perSecond
            let partial = pairs.isPartial(window)
            // Rows in node-name order: rank the window's few nodes once, then sort edges by rank.
            let nodes = Set(edges.keys.flatMap { [$0.source, $0.destination] }).sorted()
            let rank = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1, $0) })
            let ordered = edges.map { (rank[$0.key.source]! * nodes.count + rank[$0.key.destination]!, $0.key, $0.value) }.sorted { $0.0 < $1.0 }
            try tables.write(length: window.length, index: window.index, start: start, partial: partial, edges: ordered.map { _, key, total in
                PodEdge(source: key.source.name, destination: key.destination.name, sourceKind: key.source.kind, destinationKind: key.destination.kind,
                        sourceService: key.source.service, destinationService: key.destination.service, packets: total.packets, bytes: total.bytes)
            })
            for node in nodes {
                nodeWriter.beginRow(length: Int(window.length), index: window.index, start: start, partial: partial)
                for (slot, value) in [node.name, node.kind.rawValue, node.service, node.namespace].enumerated() { nodeWriter.string(slot, value) }
            }
            try nodeWriter.flushIfLarge()
        }
        let counts = (windows.count, tables.podEdgeRows, tables.serviceEdgeRows)
        try tables.close()
        try nodeWriter.close()
        return counts
    }
}
