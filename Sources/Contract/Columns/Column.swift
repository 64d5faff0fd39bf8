import Table

/// The names of the inter-stage tables' columns, spelled here only (docs/tables.md lists them).
public enum Column {
    // The window columns every windowed table starts with (docs/tables.md).
    /// The window's length in seconds (int32).
    public static let windowLength = "window_len_s"
    /// The window's number: floor((time - origin) / length) (int64).
    public static let windowIndex = "window_index"
    /// The window's start (timestamp).
    public static let windowStart = "window_start"
    /// Whether the capture's start or end cuts the window (bool).
    public static let partial = "partial"

    // Endpoints and what passed between them.
    /// The sending address, pod, service or `outside` (string).
    public static let source = "src"
    /// The receiving address, pod, service or `outside` (string).
    public static let destination = "dst"
    /// The sender's port; ICMP's type (int32).
    public static let sourcePort = "src_port"
    /// The receiver's port; ICMP's code (int32).
    public static let destinationPort = "dst_port"
    /// The IP protocol number (int32).
    public static let ipProtocol = "protocol"
    /// The flow's first packet in the window (timestamp).
    public static let firstSeen = "first_seen"
    /// The flow's last packet in the window (timestamp).
    public static let lastSeen = "last_seen"
    /// Packets counted (int64, never negative).
    public static let packets = "packets"
    /// Bytes counted (int64, never negative): in pairs and flows, frame bytes (the link header
    /// included; null where the source has no frames, as flow records).
    public static let bytes = "bytes"
    /// IP bytes counted, IP headers included (int64, never negative): what flow records count.
    public static let ipBytes = "ip_bytes"
    /// The TCP flags seen in the flow, OR-ed (int32).
    public static let tcpFlags = "tcp_flags"

    // Graph nodes.
    /// The sending node's kind (`NodeKind`, string).
    public static let sourceKind = "src_kind"
    /// The receiving node's kind (`NodeKind`, string).
    public static let destinationKind = "dst_kind"
    /// The sending pod's service, or empty (string).
    public static let sourceService = "src_service"
    /// The receiving pod's service, or empty (string).
    public static let destinationService = "dst_service"
    /// A graph node's name (string).
    public static let name = "name"
    /// A node's kind, or an attack's (`exfil`, `scan`, ...; `none` for a benign window) (string).
    public static let kind = "kind"
    /// A node's service (string).
    public static let service = "service"
    /// A node's namespace (string).
    public static let namespace = "namespace"

    // Labels, scores and evaluations.
    /// The injected exfiltration rate, MB per minute (double).
    public static let rate = "rate_mb_per_min"
    /// Whether the window holds an attack (bool).
    public static let label = "label"
    /// The attack path's number; -1 for none (int32).
    public static let pathID = "path_id"
    /// An attack path: entity names joined by `>` (string).
    public static let path = "path"
    /// The ground-truth event's number; -1 for none (int32).
    public static let eventID = "event_id"
    /// Whether the window belongs to the test period (bool).
    public static let isTest = "is_test"
    /// Which model scored: a window length, `fused` or `operator` (string).
    public static let model = "model"
    /// Which method scored: `mimir`, `load`, `novelty`, `allow_list`, ... (string).
    public static let method = "method"
    /// A window's score (double).
    public static let score = "score"
    /// The threshold a score alerts above (double).
    public static let threshold = "threshold"
    /// Whether the score alerts (bool).
    public static let alert = "alert"
    /// The false-positive rate (double).
    public static let falsePositiveRate = "fpr"
    /// The true-positive rate (double).
    public static let truePositiveRate = "tpr"

    // Summaries.
    /// A summary counter's name (string).
    public static let counter = "counter"
    /// A summary counter's value (int64).
    public static let value = "value"
    /// The number of the first packet a counter counted, if any (int64, nullable).
    public static let firstPacket = "first_packet"
}

/// The window columns, their checks, and the windows they name.
public enum WindowColumns {
    /// The four columns every windowed table starts with.
    public static let fields = [
        Field(Column.windowLength, .int32, sortKey: true), Field(Column.windowIndex, .int64, sortKey: true),
        Field(Column.windowStart, .timestamp, sortKey: true), Field(Column.partial, .bool),
    ]
    /// Their names.
    public static let names = fields.map(\.name)

    /// The key of the windows' origin in a windowed table's metadata (`EpochSeconds`).
    public static let originKey = "mimir.origin"

    /// The longest window a table may name, and the furthest from the origin a window may start:
    /// beyond them the window's start in nanoseconds would not fit in 64 bits.
    public static let longestLength: Int32 = 7 * 24 * 3600
    /// Windows may start at most this many seconds (about 285 years) before or after the origin.
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
