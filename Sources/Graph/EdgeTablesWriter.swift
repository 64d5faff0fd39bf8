import Capture
import Table

/// One directed edge of a window's pod graph, as the edge tables store it.
public struct PodEdge: Sendable {
    public var source: String
    public var destination: String
    public var sourceKind: NodeKind
    public var destinationKind: NodeKind
    public var sourceService: String
    public var destinationService: String
    public var packets: Int64
    public var bytes: Int64

    public init(source: String, destination: String, sourceKind: NodeKind, destinationKind: NodeKind, sourceService: String,
                destinationService: String, packets: Int64, bytes: Int64) {
        self.source = source
        self.destination = destination
        self.sourceKind = sourceKind
        self.destinationKind = destinationKind
        self.sourceService = sourceService
        self.destinationService = destinationService
        self.packets = packets
        self.bytes = bytes
    }

    /// A node's name in the service graph: `outside`, its service, or its own name without one.
    public static func serviceName(_ name: String, kind: NodeKind, service: String) -> String {
        kind == .outside ? "outside" : service.isEmpty ? name : service
    }
}

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

/// Reads pod edge tables (graph's, or inject's with attacks added) row by row.
public enum PodEdgeTable {
    /// Opens a pod edge table, checking its provenance and columns.
    public static func open(_ path: String) throws -> TableReader {
        let reader = try TableReader(path: path)
        let stage = reader.metadata[key: Provenance.stageKey]
        _ = try Provenance(of: reader, stage: stage == "inject" ? "inject" : GraphTables.stage, schemaVersions: 1...GraphTables.schemaVersion)
        guard reader.schema.names.starts(with: GraphTables.podEdges.names) else {
            throw TableError.unsupported(path: path, detail: "not a pod edge table (columns \(reader.schema.names.joined(separator: ", ")))")
        }
        return reader
    }

    /// Calls `body` with every row: window length and index, window start (nanoseconds), partial, edge.
    public static func forEachRow(_ reader: TableReader, _ body: (Int32, Int64, Int64, Bool, PodEdge) throws -> Void) throws {
        for group in 0..<reader.rowGroupCount {
            let batch = try reader.readRowGroup(group, columns: GraphTables.podEdges.names)
            let lengths = batch["window_len_s"]!.int32s, indices = batch["window_index"]!.int64s, starts = batch["window_start"]!.int64s
            let partial = batch["partial"]!.bools, packets = batch["packets"]!.int64s, bytes = batch["bytes"]!.int64s
            let text = ["src", "dst", "src_kind", "dst_kind", "src_service", "dst_service"].map { batch[$0]!.byteArrays }
            for row in 0..<batch.rowCount {
                guard let sourceKind = NodeKind(rawValue: text[2].string(at: row)), let destinationKind = NodeKind(rawValue: text[3].string(at: row)) else {
                    throw TableError.invalidInput("\(reader.path): row \(row) of row group \(group) has a node kind this version does not know")
                }
                try body(lengths[row], indices[row], starts[row] * 1000, partial[row],
                         PodEdge(source: text[0].string(at: row), destination: text[1].string(at: row), sourceKind: sourceKind,
                                 destinationKind: destinationKind, sourceService: text[4].string(at: row), destinationService: text[5].string(at: row),
                                 packets: packets[row], bytes: bytes[row]))
            }
        }
    }
}
