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

    /// Reads ground truth written by mimir-simulate (or by hand, with the same columns).
    public static func read(path: String) throws -> [TruthEvent] {
        let reader = try TableReader(path: path)
        guard reader.schema.names.starts(with: schema.names) else {
            throw TableError.unsupported(path: path, detail: "not a ground-truth table: expected the columns \(schema.names.joined(separator: ", "))")
        }
        let batch = try reader.readAll(columns: schema.names)
        let ids = batch["event_id"]!.int32s, kinds = batch["kind"]!.byteArrays, starts = batch["start"]!.int64s, ends = batch["end"]!.int64s
        let sources = batch["source"]!.byteArrays, paths = batch["path"]!.byteArrays, bytes = batch["bytes"]!.int64s
        return try (0..<batch.rowCount).map { row in
            guard let kind = TruthEvent.Kind(rawValue: kinds.string(at: row)) else {
                throw TableError.invalidInput("\(path): row \(row): kind '\(kinds.string(at: row))' is not exfil, dnstunnel, scan or lateral")
            }
            return TruthEvent(eventID: ids[row], kind: kind, start: starts[row] * 1000, end: ends[row] * 1000, source: sources.string(at: row),
                              path: paths.string(at: row).split(separator: Character(pathSeparator)).map(String.init), bytes: bytes[row])
        }
    }

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
