import Table
import SystemSupport

/// Ground truth (`truth.parquet`, ARCHITECTURE.md "Labels, rates and ground truth"): one row per real
/// attack event, written by the simulator or from a user's record of real events.
public struct TruthEvent: Hashable, Sendable {
    /// The kinds of attack events.
    public enum Kind: String, Sendable, CaseIterable, Codable {
        case exfil, dnstunnel, scan, lateral
    }

    /// The event's number.
    public var eventID: Int32
    /// What kind of attack it was.
    public var kind: Kind
    /// Nanoseconds since the Unix epoch (stored in microseconds).
    public var start: Int64
    /// When it ended, nanoseconds since the epoch.
    public var end: Int64
    /// The entity the event starts from.
    public var source: String
    /// The entities it passes through, in order.
    public var path: [String]
    /// Bytes the attacker moved (exfiltrated payload; scan and lateral: bytes the source sent).
    public var bytes: Int64

    /// An event of these fields.
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

/// truth.parquet: its schema, reader and writer.
public enum TruthTable {
    /// Its schema version.
    public static let schemaVersion = 1
    /// What joins a path's entity names.
    public static let pathSeparator = ">"
    /// The columns of an event's start, end and first entity (truth.parquet's own).
    public static let start = "start", end = "end", source = "source"
    /// One row per event.
    public static let schema = try! Schema([
        Field(Column.eventID, .int32, sortKey: true),
        Field(Column.kind, .string),
        Field(start, .timestamp, sortKey: true),
        Field(end, .timestamp),
        Field(source, .string),
        Field(Column.path, .string),
        Field(Column.bytes, .int64),
    ])

    /// Reads ground truth written by mimir-simulate (or by hand, with the same columns).
    public static func read(path: String) throws -> [TruthEvent] {
        let reader = try TableReader(path: path)
        guard Set(reader.schema.names).isSuperset(of: schema.names) else {
            throw ContractError.notTheTable(path: path, expected: "a ground-truth table", detail: "expected the columns \(schema.names.joined(separator: ", "))")
        }
        let columns = try reader.readAllTyped(columns: schema.names)
        let ids = try columns.int32s(Column.eventID), kinds = try columns.strings(Column.kind)
        // Microseconds that fit in nanoseconds.
        let representable = Int64.min / Nanoseconds.perMicrosecond ... Int64.max / Nanoseconds.perMicrosecond
        let starts = try columns.timestamps(start), ends = try columns.timestamps(end)
        let sources = try columns.strings(source), paths = try columns.strings(Column.path), bytes = try columns.int64s(Column.bytes, in: 0...Int64.max)
        return try (0..<columns.rowCount).map { row in
            guard let kind = TruthEvent.Kind(rawValue: kinds.string(at: row)) else {
                throw ContractError.outOfRange(path: path, column: Column.kind, row: row, value: "'\(kinds.string(at: row))'",
                                               allowed: TruthEvent.Kind.allCases.map(\.rawValue).joined(separator: ", "))
            }
            for (name, value) in [(start, starts[row]), (end, ends[row])] where !representable.contains(value) {
                throw ContractError.outOfRange(path: path, column: name, row: row, value: "\(value) µs", allowed: "the years 1678 to 2261")
            }
            guard starts[row] <= ends[row] else {
                throw ContractError.outOfRange(path: path, column: end, row: row, value: "\(ends[row]) µs", allowed: "times at or after its start")
            }
            return TruthEvent(eventID: ids[row], kind: kind, start: starts[row] * Nanoseconds.perMicrosecond, end: ends[row] * Nanoseconds.perMicrosecond,
                              source: sources.string(at: row), path: paths.string(at: row).split(separator: Character(pathSeparator)).map(String.init),
                              bytes: bytes[row])
        }
    }

    /// Writes `events` as a ground-truth table.
    public static func write(_ events: [TruthEvent], path: String, provenance: Provenance) throws {
        let batch = try TableBatch(schema: schema, columns: [
            ColumnArray(events.map(\.eventID)),
            ColumnArray(events.map(\.kind.rawValue)),
            ColumnArray(.int64(events.map { Nanoseconds.microseconds($0.start) })),
            ColumnArray(.int64(events.map { Nanoseconds.microseconds($0.end) })),
            ColumnArray(events.map(\.source)),
            ColumnArray(events.map { $0.path.joined(separator: pathSeparator) }),
            ColumnArray(events.map(\.bytes)),
        ])
        let writer = try TableWriter(path: path, schema: schema, metadata: provenance.keyValues)
        try writer.write(batch)
        try writer.close()
    }
}
