import Table

/// The names of the inter-stage tables' columns, spelled here only (docs/tables.md lists them).
public enum Column {
    // The window columns every windowed table starts with (docs/tables.md, "Time and windows").
    public static let windowLength = "window_len_s"
    public static let windowIndex = "window_index"
    public static let windowStart = "window_start"
    public static let partial = "partial"

    // Endpoints and what passed between them.
    public static let source = "src"
    public static let destination = "dst"
    public static let sourcePort = "src_port"
    public static let destinationPort = "dst_port"
    public static let ipProtocol = "protocol"
    public static let firstSeen = "first_seen"
    public static let lastSeen = "last_seen"
    public static let packets = "packets"
    public static let bytes = "bytes"
    public static let tcpFlags = "tcp_flags"

    // Graph nodes.
    public static let sourceKind = "src_kind"
    public static let destinationKind = "dst_kind"
    public static let sourceService = "src_service"
    public static let destinationService = "dst_service"
    public static let name = "name"
    public static let kind = "kind"
    public static let service = "service"
    public static let namespace = "namespace"

    // Labels, scores and evaluations.
    public static let rate = "rate_mb_per_min"
    public static let label = "label"
    public static let pathID = "path_id"
    public static let path = "path"
    public static let eventID = "event_id"
    public static let isTest = "is_test"
    public static let model = "model"
    public static let method = "method"
    public static let score = "score"
    public static let threshold = "threshold"
    public static let alert = "alert"
    public static let falsePositiveRate = "fpr"
    public static let truePositiveRate = "tpr"

    // Summaries.
    public static let counter = "counter"
    public static let value = "value"
    public static let firstPacket = "first_packet"
}

/// The window columns, their checks, and the windows they name.
public enum WindowColumns {
    public static let fields = [
        Field(Column.windowLength, .int32, sortKey: true), Field(Column.windowIndex, .int64, sortKey: true),
        Field(Column.windowStart, .timestamp, sortKey: true), Field(Column.partial, .bool),
    ]
    public static let names = fields.map(\.name)

    /// The key of the windows' origin in a windowed table's metadata (`EpochSeconds`).
    public static let originKey = "mimir.origin"

    /// The longest window a table may name, and the furthest from the origin a window may start:
    /// beyond them the window's start in nanoseconds would not fit in 64 bits.
    public static let longestLength: Int32 = 7 * 24 * 3600
    public static let furthestSeconds: Int64 = 9_000_000_000

    /// The lengths and indices of `columns`, checked: lengths from 1 s to a week, windows that start
    /// within `furthestSeconds` of the origin.
    public static func lengthsAndIndices(_ columns: TypedColumns) throws -> (lengths: [Int32], indices: [Int64]) {
        let lengths = try columns.int32s(Column.windowLength, in: 1...longestLength)
        let indices = try columns.int64s(Column.windowIndex)
        for row in indices.indices where indices[row].magnitude > UInt64(furthestSeconds / Int64(lengths[row])) {
            throw ContractError.outOfRange(path: columns.path, column: Column.windowIndex, row: columns.firstRow + row,
                                           value: "\(indices[row])", allowed: "windows within \(furthestSeconds) s of the origin")
        }
        return (lengths, indices)
    }
}
