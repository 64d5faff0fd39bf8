import Table

/// Ground truth (`truth.parquet`, ARCHITECTURE.md "Labels, rates and ground truth"): one row per real
/// attack event, written by the simulator or from a user's record of real events.
public struct TruthEvent: Hashable, Sendable {
    public enum Kind: String, Sendable, CaseIterable, Codable {
        case exfil, dnstunnel, scan, lateral
    }

    public var eventID: Int32
    public var kind: Kind
    /// Nanoseconds since the Unix epoch (stored in microseconds).
    public var start: Int64
    public var end: Int64
    /// The entity the event starts from.
    public var source: String
    /// The entities it passes through, in order.
    public var path: [String]
    /// Bytes the attacker moved (exfiltrated payload; scan and lateral: bytes the source sent).
    public var bytes: Int64

    public init(eventID: Int32, kind: Kind, start: Int64, end: Int64, source: String, path: [String], bytes: Int64) {
        self.eventID = eventID
        self.kind = kind
        self.start = start
        self.end = end
        self.source = source
        self.path = path
        self.bytes = bytes
    }
}

public enum TruthTable {
    public static let schemaVersion = 1
    public static let pathSeparator = ">"
    public static let schema = try! Schema([
        Field("event_id", .int32, sortKey: true),
        Field("kind", .string),
        Field("start", .timestamp, sortKey: true),
        Field("end", .timestamp),
        Field("source", .string),
        Field("path", .string),
        Field("bytes", .int64),
    ])

    public static func write(_ events: [TruthEvent], path: String, provenance: Provenance) throws {
        let batch = try TableBatch(schema: schema, columns: [
            ColumnArray(events.map(\.eventID)),
            ColumnArray(events.map(\.kind.rawValue)),
            ColumnArray(.int64(events.map { $0.start / 1000 })),
            ColumnArray(.int64(events.map { $0.end / 1000 })),
            ColumnArray(events.map(\.source)),
            ColumnArray(events.map { $0.path.joined(separator: pathSeparator) }),
            ColumnArray(events.map(\.bytes)),
        ])
        let writer = try TableWriter(path: path, schema: schema, metadata: provenance.keyValues)
        try writer.write(batch)
        try writer.close()
    }
}
