import Contract
import Table

/// Writes pod_edges.parquet and service_edges.parquet window by window (graph's and inject's): the
/// pod edges as given (callers order them), the service edges summed from them in name order.
public final class EdgeTablesWriter {
    private let podWriter: WindowedRowWriter
    private let serviceWriter: WindowedRowWriter

    public init(directory: String, provenance: Provenance) throws {
        podWriter = try WindowedRowWriter(path: directory + "/pod_edges.parquet", schema: GraphTables.podEdges, metadata: provenance.keyValues)
        serviceWriter = try WindowedRowWriter(path: directory + "/service_edges.parquet", schema: GraphTables.serviceEdges, metadata: provenance.keyValues)
    }

    public var podEdgeRows: Int { podWriter.rows }
    public var serviceEdgeRows: Int { serviceWriter.rows }

    /// - Parameter start: the window's start, nanoseconds since the epoch.
    public func write(length: Int32, index: Int64, start: Int64, partial: Bool, edges: [PodEdge]) throws {
        var services: [ServicePair: (packets: Int64, bytes: Int64)] = [:]
        for edge in edges {
            podWriter.beginRow(length: Int(length), index: index, start: start, partial: partial)
            podWriter.string(0, edge.source)
            podWriter.string(1, edge.destination)
            podWriter.string(2, edge.sourceKind.rawValue)
            podWriter.string(3, edge.destinationKind.rawValue)
            podWriter.string(4, edge.sourceService)
            podWriter.string(5, edge.destinationService)
            podWriter.int64(0, edge.packets)
            podWriter.int64(1, edge.bytes)
            let pair = ServicePair(source: PodEdge.serviceName(edge.source, kind: edge.sourceKind, service: edge.sourceService),
                                   destination: PodEdge.serviceName(edge.destination, kind: edge.destinationKind, service: edge.destinationService))
            let sum = services[pair] ?? (0, 0)
            services[pair] = (sum.packets + edge.packets, sum.bytes + edge.bytes)
        }
        for (pair, total) in services.sorted(by: { ($0.key.source, $0.key.destination) < ($1.key.source, $1.key.destination) }) {
            serviceWriter.beginRow(length: Int(length), index: index, start: start, partial: partial)
            serviceWriter.string(0, pair.source)
            serviceWriter.string(1, pair.destination)
            serviceWriter.int64(0, total.packets)
            serviceWriter.int64(1, total.bytes)
        }
        try podWriter.flushIfLarge()
        try serviceWriter.flushIfLarge()
    }

    private struct ServicePair: Hashable {
        let source: String, destination: String
    }

    public func close() throws {
        try podWriter.close()
        try serviceWriter.close()
    }
}
