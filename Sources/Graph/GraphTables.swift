import Capture
import Table

/// The schemas of mimir-graph's tables (schema version 1).
public enum GraphTables {
    public static let stage = "graph"
    public static let schemaVersion = 1

    /// Directed edges between pods, service addresses (`<service>_VIP`) and `outside`, per window.
    public static let podEdges = try! Schema(FlowTables.windowFields + [
        Field("src", .string), Field("dst", .string), Field("src_kind", .string), Field("dst_kind", .string),
        Field("src_service", .string), Field("dst_service", .string), Field("packets", .int64), Field("bytes", .int64),
    ])

    /// The same traffic between services (a service's pods and its address merged), per window.
    public static let serviceEdges = try! Schema(FlowTables.windowFields + [
        Field("src", .string), Field("dst", .string), Field("packets", .int64), Field("bytes", .int64),
    ])

    /// Every node of a window's pod graph.
    public static let nodes = try! Schema(FlowTables.windowFields + [
        Field("name", .string), Field("kind", .string), Field("service", .string), Field("namespace", .string),
    ])
}
