import Table
import SystemSupport

/// The schemas of mimir-graph's tables (schema version 1).
public enum GraphTables {
    /// The stage that writes these tables.
    public static let stage = "graph"
    /// Their schema version.
    public static let schemaVersion = 1

    /// Directed edges between pods, service addresses (`<service>_VIP`) and `outside`, per window.
    public static let podEdges = try! Schema(WindowColumns.fields + [
        Field(Column.source, .string), Field(Column.destination, .string), Field(Column.sourceKind, .string),
        Field(Column.destinationKind, .string), Field(Column.sourceService, .string), Field(Column.destinationService, .string),
        Field(Column.packets, .int64), Field(Column.bytes, .int64),
    ])

    /// The same traffic between services (a service's pods and its address merged), per window.
    public static let serviceEdges = try! Schema(WindowColumns.fields + [
        Field(Column.source, .string), Field(Column.destination, .string), Field(Column.packets, .int64), Field(Column.bytes, .int64),
    ])

    /// Every node of a window's pod graph.
    public static let nodes = try! Schema(WindowColumns.fields + [
        Field(Column.name, .string), Field(Column.kind, .string), Field(Column.service, .string), Field(Column.namespace, .string),
    ])
}

/// What kind of node an address becomes.
public enum NodeKind: String, Sendable, CaseIterable {
    case pod
    /// A service address: the node `<service>_VIP`.
    case vip
    /// Everything outside the cluster, merged.
    case outside
    /// A node's own address (host-network pods, the kubelet, NodePort traffic before DNAT).
    case node
    /// An address inside the cluster's ranges that no entity owned (not one of ours to name).
    case unknown
}

/// One directed edge of a window's pod graph, as the edge tables store it.
public struct PodEdge: Sendable {
    /// The sending node's name.
    public var source: String
    /// The receiving node's name.
    public var destination: String
    /// The sending node's kind.
    public var sourceKind: NodeKind
    /// The receiving node's kind.
    public var destinationKind: NodeKind
    /// The sending pod's service, or empty.
    public var sourceService: String
    /// The receiving pod's service, or empty.
    public var destinationService: String
    /// Packets on the edge in the window.
    public var packets: Int64
    /// Bytes on the edge in the window.
    public var bytes: Int64

    /// An edge of these ends and totals.
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

/// Reads pod edge tables (graph's, or inject's with attacks added) row by row, checked.
public enum PodEdgeTable {
    /// Opens a pod edge table, checking its provenance and columns.
    public static func open(_ path: String) throws -> TableReader {
        let reader = try TableReader(path: path)
        let stage = reader.metadata[key: Provenance.stageKey]
        _ = try Provenance(of: reader, stage: stage == "inject" ? "inject" : GraphTables.stage, schemaVersions: 1...GraphTables.schemaVersion)
        guard reader.schema.names.starts(with: GraphTables.podEdges.names) else {
            throw ContractError.notTheTable(path: path, expected: "a pod edge table", detail: "columns \(reader.schema.names.joined(separator: ", "))")
        }
        return reader
    }

    /// Calls `body` with every row: window length and index, window start (nanoseconds), partial, edge.
    public static func forEachRow(_ reader: TableReader, _ body: (Int32, Int64, Int64, Bool, PodEdge) throws -> Void) throws {
        try reader.forEachRowGroup(columns: GraphTables.podEdges.names) { columns in
            let (lengths, indices) = try WindowColumns.lengthsAndIndices(columns)
            let starts = try columns.timestamps(Column.windowStart), partial = try columns.bools(Column.partial)
            let packets = try columns.int64s(Column.packets, in: 0...Int64.max), bytes = try columns.int64s(Column.bytes, in: 0...Int64.max)
            let text = try [Column.source, Column.destination, Column.sourceKind, Column.destinationKind, Column.sourceService,
                            Column.destinationService].map { try columns.strings($0) }
            for row in 0..<columns.rowCount {
                let kinds = try [(2, Column.sourceKind), (3, Column.destinationKind)].map { slot, name in
                    guard let kind = NodeKind(rawValue: text[slot].string(at: row)) else {
                        throw ContractError.outOfRange(path: columns.path, column: name, row: columns.firstRow + row, value: "'\(text[slot].string(at: row))'",
                                                       allowed: NodeKind.allCases.map(\.rawValue).joined(separator: ", "))
                    }
                    return kind
                }
                try body(lengths[row], indices[row], starts[row] * Nanoseconds.perMicrosecond, partial[row],
                         PodEdge(source: text[0].string(at: row), destination: text[1].string(at: row), sourceKind: kinds[0],
                                 destinationKind: kinds[1], sourceService: text[4].string(at: row), destinationService: text[5].string(at: row),
                                 packets: packets[row], bytes: bytes[row]))
            }
        }
    }
}
