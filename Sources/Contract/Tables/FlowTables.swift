import Table

/// The schemas of mimir-flows' and mimir-records' tables (schema version 2: `ip_bytes` added, `bytes`
/// nullable). Every windowed table starts with `WindowColumns.fields`.
public enum FlowTables {
    /// The stage that writes these tables from a capture.
    public static let stage = "flows"
    /// The stage that writes them from flow records.
    public static let recordsStage = "records"
    /// mimir-simulate writes a pairs table too: what one capture of the whole cluster would count.
    public static let truthStage = "simulate"
    /// Their schema version.
    public static let schemaVersion = 2

    /// Directed address-pair totals per window: what tshark's IP conversation table counts (`bytes`,
    /// frame lengths), and the same packets' IP lengths (`ip_bytes`, what flow records count).
    public static let pairs = try! Schema(WindowColumns.fields + [
        Field(Column.source, .string), Field(Column.destination, .string), Field(Column.packets, .int64),
        Field(Column.bytes, .int64, nullable: true), Field(Column.ipBytes, .int64),
    ])

    /// 5-tuple flows per window. For ICMP and ICMPv6 the ports hold the type and code.
    public static let flows = try! Schema(WindowColumns.fields + [
        Field(Column.source, .string), Field(Column.destination, .string), Field(Column.sourcePort, .int32),
        Field(Column.destinationPort, .int32), Field(Column.ipProtocol, .int32), Field(Column.firstSeen, .timestamp),
        Field(Column.lastSeen, .timestamp), Field(Column.packets, .int64), Field(Column.bytes, .int64, nullable: true),
        Field(Column.ipBytes, .int64), Field(Column.tcpFlags, .int32),
    ])

    /// Counters of the whole input: packets by link type, non-IP packets by kind, damage by reason.
    public static let summary = try! Schema([
        Field(Column.counter, .string, sortKey: true), Field(Column.value, .int64), Field(Column.firstPacket, .int64, nullable: true),
    ])
}

/// Which bytes a stage counts from a pairs table.
public enum ByteUnit: String, CaseIterable, Sendable {
    /// Frame lengths, link header included, as tshark's conversations count them (captures only).
    case frame
    /// IP lengths, IP header included, as flow records count them.
    case ip

    /// The pairs and flows column that holds them.
    public var column: String { self == .frame ? Column.bytes : Column.ipBytes }
}

/// One row of a flows table, as the feature stage reads it.
public struct FlowRow {
    /// The window's length in seconds.
    public var length: Int32
    /// The window's index.
    public var index: Int64
    /// The sending address.
    public var source: String
    /// The receiving address.
    public var destination: String
    /// The sender's port (ICMP: the type).
    public var sourcePort: Int32
    /// The receiver's port (ICMP: the code).
    public var destinationPort: Int32
    /// The IP protocol number.
    public var ipProtocol: Int32
    /// The TCP flags seen, OR-ed.
    public var tcpFlags: Int32
}

extension FlowTables {
    /// Opens a table of mimir-flows or mimir-records (or mimir-simulate's single-node pairs), checking
    /// its provenance and that its columns start with `schema`'s; returns it with its windows' origin
    /// (nanoseconds since the epoch).
    public static func open(_ path: String, as schema: Schema, named name: String) throws -> (reader: TableReader, origin: Int64) {
        let reader = try TableReader(path: path)
        let writers = schema == pairs ? [stage, recordsStage, truthStage] : [stage, recordsStage]
        let written = reader.metadata[key: Provenance.stageKey]
        let writer = writers.first { $0 == written } ?? stage
        let provenance = try Provenance(of: reader, stage: writer, schemaVersions: schemaVersion...schemaVersion)
        guard reader.schema.names.starts(with: schema.names) else {
            throw ContractError.notTheTable(path: path, expected: name, detail: "columns \(reader.schema.names.joined(separator: ", "))")
        }
        guard let text = provenance.extra.first(where: { $0.key == WindowColumns.originKey })?.value, let origin = EpochSeconds.parse(text) else {
            throw ContractError.notTheTable(path: path, expected: name, detail: "it has no \(WindowColumns.originKey) entry: it was not written by mimir-flows")
        }
        return (reader, origin)
    }

    /// Calls `body` with every row of a pairs table: window length and index, source, destination,
    /// packets and bytes in `unit` (never negative). A table without frame bytes (from flow records)
    /// read in frames is an error naming the row.
    public static func forEachPair(_ reader: TableReader, bytes unit: ByteUnit,
                                   _ body: (Int32, Int64, String, String, Int64, Int64) throws -> Void) throws {
        try reader.forEachRowGroup(columns: [Column.windowLength, Column.windowIndex, Column.source, Column.destination,
                                             Column.packets, unit.column]) { columns in
            let (lengths, indices) = try WindowColumns.lengthsAndIndices(columns)
            let sources = try columns.strings(Column.source), destinations = try columns.strings(Column.destination)
            let packets = try columns.int64s(Column.packets, in: 0...Int64.max), bytes = try columns.int64s(unit.column, in: 0...Int64.max)
            for row in 0..<columns.rowCount {
                try body(lengths[row], indices[row], sources.string(at: row), destinations.string(at: row), packets[row], bytes[row])
            }
        }
    }

    /// Calls `body` with every row of a flows table.
    public static func forEachFlow(_ reader: TableReader, _ body: (FlowRow) throws -> Void) throws {
        try reader.forEachRowGroup(columns: [Column.windowLength, Column.windowIndex, Column.source, Column.destination, Column.sourcePort,
                                             Column.destinationPort, Column.ipProtocol, Column.tcpFlags]) { columns in
            let (lengths, indices) = try WindowColumns.lengthsAndIndices(columns)
            let sources = try columns.strings(Column.source), destinations = try columns.strings(Column.destination)
            let sourcePorts = try columns.int32s(Column.sourcePort, in: 0...65535)
            let destinationPorts = try columns.int32s(Column.destinationPort, in: 0...65535)
            let protocols = try columns.int32s(Column.ipProtocol, in: 0...255), flags = try columns.int32s(Column.tcpFlags, in: 0...0xFFF)
            for row in 0..<columns.rowCount {
                try body(FlowRow(length: lengths[row], index: indices[row], source: sources.string(at: row), destination: destinations.string(at: row),
                                 sourcePort: sourcePorts[row], destinationPort: destinationPorts[row], ipProtocol: protocols[row], tcpFlags: flags[row]))
            }
        }
    }
}
