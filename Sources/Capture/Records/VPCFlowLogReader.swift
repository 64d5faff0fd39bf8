import Contract

/// Reads AWS VPC flow logs as delivered to S3: space-separated lines under a header line naming the
/// fields (the default format, version 2, or a custom one of versions 2 to 5 and later), or the
/// default format's lines without a header. Each line is one flow of one aggregation interval:
/// `packets` and `bytes` (IP bytes) from `srcaddr` to `dstaddr` between `start` and `end` (whole
/// seconds). Where a custom format has them, `pkt-srcaddr` and `pkt-dstaddr` name the packet's own
/// addresses (an EKS pod's, not its node's interface). Rejected traffic counts (it was sent).
/// `NODATA` lines carry no traffic; `SKIPDATA` lines (records AWS lost) and unreadable lines are damage.
final class VPCFlowLogReader: RecordReader {
    /// The default format's fields (version 2).
    static let defaultFields = ["version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
                                "packets", "bytes", "start", "end", "action", "log-status"]

    private enum Field: Int, CaseIterable {
        case source, destination, packetSource, packetDestination, sourcePort, destinationPort, ipProtocol, packets, bytes
        case start, end, tcpFlags, logStatus

        var name: String {
            switch self {
            case .source: "srcaddr"
            case .destination: "dstaddr"
            case .packetSource: "pkt-srcaddr"
            case .packetDestination: "pkt-dstaddr"
            case .sourcePort: "srcport"
            case .destinationPort: "dstport"
            case .ipProtocol: "protocol"
            case .packets: "packets"
            case .bytes: "bytes"
            case .start: "start"
            case .end: "end"
            case .tcpFlags: "tcp-flags"
            case .logStatus: "log-status"
            }
        }
    }

    private var log = LineDamage()
    private let lines: TextLines
    private let path: String
    private var columns: [Int] = []
    private var columnCount = 0
    private var delivered = 0
    private var noData = 0
    private let fields = LineFields()

    init(_ lines: TextLines, path: String) {
        self.lines = lines
        self.path = path
    }

    var damage: PacketCounters { log.counters }
    var warnings: [String] { log.warnings }
    var compressionEndedEarly: Bool { lines.compressionEndedEarly }
    var tallies: [(String, Int)] { [("lines", lines.number), ("vpc_nodata_lines", noData)] }

    /// Whether a first line is a header line: lower-case field names, srcaddr and dstaddr among them.
    static func isHeader(_ line: String) -> Bool {
        let names = line.split(separator: " ")
        return names.contains("srcaddr") && names.contains("dstaddr")
            && names.allSatisfy { $0.allSatisfy { $0 == "-" || ($0.isASCII && ($0.isLowercase || $0.isNumber)) } }
    }

    /// Whether a first line is a default-format line without a header (version 2, an interface ID).
    static func isDefaultLine(_ line: String) -> Bool {
        let values = line.split(separator: " ")
        return values.count == defaultFields.count && values[0] == "2" && (values[2].hasPrefix("eni-") || values[2] == "-")
    }

    func read(_ body: (FlowRecord, RecordNames?) throws -> Void) throws {
        while let line = try lines.next() {
            guard !line.isEmpty else { continue }
            if lines.number == 1 {
                let text = String(decoding: line, as: UTF8.self)
                if Self.isHeader(text) {
                    try useFields(text.split(separator: " ").map(String.init))
                    continue
                }
                try useFields(Self.defaultFields)
            }
            guard fields.split(line, at: 0x20), fields.count == columnCount else {
                count("vpc_wrong_field_count", "\(fields.count) fields where the header names \(columnCount)")
                continue
            }
            func value(_ field: Field) -> UnsafeRawBufferPointer? {
                let column = columns[field.rawValue]
                guard column >= 0 else { return nil }
                let bytes = fields.field(column, of: line)
                return LogValues.equals(bytes, "-") ? nil : bytes
            }
            if let status = value(.logStatus) {
                if LogValues.equals(status, "NODATA") {
                    noData += 1
                    continue
                }
                if LogValues.equals(status, "SKIPDATA") {
                    count("vpc_skipdata", "SKIPDATA: AWS lost records of this interval")
                    continue
                }
            }
            guard let record = record(value) else { continue }
            delivered += 1
            try body(record, nil)
        }
        log.recordLongLines(lines.skippedLong)
    }

    private func record(_ value: (Field) -> UnsafeRawBufferPointer?) -> FlowRecord? {
        func read<T>(_ field: Field, _ parse: (UnsafeRawBufferPointer) -> T?) -> T? {
            guard let bytes = value(field) else {
                count("vpc_missing_\(field.name)", "no \(field.name)")
                return nil
            }
            guard let parsed = parse(bytes) else {
                count("vpc_bad_\(field.name)", "\(field.name) '\(LogValues.shown(bytes))' unreadable")
                return nil
            }
            return parsed
        }
        let count64: (UnsafeRawBufferPointer) -> Int64? = { LogValues.unsigned($0).flatMap { $0 <= UInt64(Int64.max) ? Int64($0) : nil } }
        let seconds: (UnsafeRawBufferPointer) -> Int64? = { LogValues.unsigned($0).flatMap { $0 <= 9_000_000_000 ? Int64($0) * 1_000_000_000 : nil } }
        guard let source = read(value(.packetSource) != nil ? .packetSource : .source, LogValues.address),
              let destination = read(value(.packetDestination) != nil ? .packetDestination : .destination, LogValues.address),
              let ipProtocol = read(.ipProtocol, { LogValues.unsigned($0).flatMap { $0 <= 255 ? UInt8($0) : nil } }),
              let packets = read(.packets, count64), let bytes = read(.bytes, count64),
              let start = read(.start, seconds), let end = read(.end, seconds) else { return nil }
        guard source.isIPv4 == destination.isIPv4 else {
            count("vpc_mixed_address_families", "an IPv4 and an IPv6 address")
            return nil
        }
        guard start <= end else {
            count("record_end_before_start", "end before start")
            return nil
        }
        let flags = value(.tcpFlags).flatMap(LogValues.unsigned).map { UInt8(truncatingIfNeeded: $0) } ?? 0
        return FlowRecord(source: source, destination: destination, sourcePort: value(.sourcePort).flatMap(LogValues.port) ?? 0,
                          destinationPort: value(.destinationPort).flatMap(LogValues.port) ?? 0, ipProtocol: ipProtocol,
                          tcpFlags: flags, start: start, end: end, packets: packets, ipBytes: bytes)
    }

    private func useFields(_ names: [String]) throws {
        columns = Field.allCases.map { names.firstIndex(of: $0.name) ?? -1 }
        columnCount = names.count
        let required: [Field] = [.ipProtocol, .packets, .bytes, .start, .end]
        let missing = required.filter { columns[$0.rawValue] < 0 }.map(\.name)
            + (columns[Field.source.rawValue] < 0 && columns[Field.packetSource.rawValue] < 0 ? ["srcaddr"] : [])
            + (columns[Field.destination.rawValue] < 0 && columns[Field.packetDestination.rawValue] < 0 ? ["dstaddr"] : [])
        guard missing.isEmpty else {
            throw CaptureError.badLine(path: path, line: lines.number, detail: "the flow log's format has no \(missing.joined(separator: ", ")): "
                                       + "mimir-records needs srcaddr, dstaddr, protocol, packets, bytes, start and end")
        }
    }

    private func count(_ name: String, _ detail: String) {
        log.record(name, detail, line: lines.number, delivered: delivered)
    }
}
