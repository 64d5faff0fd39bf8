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
        var services: [[String]: (packets: Int64, bytes: Int64)] = [:]
        for edge in edges {
            podWriter.beginRow(length: Int(length), index: index, start: start, partial: partial)
            for (slot, value) in [edge.source, edge.destination, edge.sourceKind.rawValue, edge.destinationKind.rawValue,
                                  edge.sourceService, edge.destinationService].enumerated() {
                podWriter.string(slot, value)
            }
            podWriter.int64(0, edge.packets)
            podWriter.int64(1, edge.bytes)
            let pair = [PodEdge.serviceName(edge.source, kind: edge.sourceKind, service: edge.sourceService),
                        PodEdge.serviceName(edge.destination, kind: edge.destinationKind, service: edge.destinationService)]
            let sum = services[pair] ?? (0, 0)
            services[pair] = (sum.packets + edge.packets, sum.bytes + edge.bytes)
        }
        for (pair, total) in services.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
            serviceWriter.beginRow(length: Int(length), index: index, start: start, partial: partial)
            serviceWriter.string(0, pair[0])
            serviceWriter.string(1, pair[1])
            serviceWriter.int64(0, total.packets)
            serviceWriter.int64(1, total.bytes)
        }
        try podWriter.flushIfLarge()
        try serviceWriter.flushIfLarge()
    }

    public func close() throws {
        try podWriter.close()
        try serviceWriter.close()
    }
}
