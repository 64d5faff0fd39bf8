import Contract

/// Reads Zeek's conn.log in either layout: TSV with its `#separator`, `#fields`, `#unset_field` and
/// `#empty_field` header (every header block of a concatenated file applies to the lines after it;
/// another log's `#path` is refused), or JSON lines (Zeek's `LogAscii::use_json`; `ts` as epoch
/// seconds or ISO 8601). An entry that cannot be counted (a field missing, unset or unreadable, a
/// wrong number of fields) is damage, named by the field, with the first such line in the warnings.
final class ZeekConnReader: RecordReader {
    enum Layout { case tsv, json }

    private var log = LineDamage()
    private let lines: TextLines
    private let layout: Layout
    private let path: String
    private var delivered = 0
    /// TSV: the separator, the unset and empty markers, and each field's column (-1: absent).
    private var separator: UInt8 = 0x09
    private var unset: [UInt8] = Array("-".utf8), empty: [UInt8] = Array("(empty)".utf8)
    private var columns: [Int]?
    private var columnCount = 0
    /// Per line: the values of the fields taken (nil: absent or unset). Written for every field of
    /// every line from one thread, never across a call that could re-enter: dynamic exclusivity checks
    /// are off, as in the flow aggregator.
    @exclusivity(unchecked) private var values = [UnsafeRawBufferPointer?](repeating: nil, count: ZeekConnection.Field.allCases.count)
    private let fields = LineFields()
    private static let names = ZeekConnection.Field.allCases.map { Array($0.name.utf8) }

    init(_ lines: TextLines, layout: Layout, path: String) {
        self.lines = lines
        self.layout = layout
        self.path = path
    }

    var damage: PacketCounters { log.counters }
    var warnings: [String] { log.warnings }
    var compressionEndedEarly: Bool { lines.compressionEndedEarly }
    var tallies: [(String, Int)] { [("lines", lines.number)] }

    func read(_ body: (FlowRecord, RecordNames?) throws -> Void) throws {
        while let line = try lines.next() {
            guard !line.isEmpty else { continue }
            switch layout {
            case .tsv:
                if line[0] == UInt8(ascii: "#") {
                    try header(line)
                    continue
                }
                guard let columns else { throw fail("a data line before the #fields header") }
                guard fields.split(line, at: separator), fields.count == columnCount else {
                    count("zeek_wrong_field_count", "\(fields.count) fields where #fields names \(columnCount)")
                    continue
                }
                for (field, column) in columns.enumerated() {
                    values[field] = column < 0 ? nil : tsvValue(fields.field(column, of: line))
                }
            case .json:
                guard JSONLine.scan(line, names: Self.names, into: &values) else {
                    count("zeek_not_json", "not a JSON object")
                    continue
                }
            }
            do {
                let connection = try ZeekConnection({ values[$0.rawValue] }, time: Self.time)
                try connection.forEachRecord { record in
                    delivered += 1
                    try body(record, nil)
                }
            } catch let problem as ZeekConnection.Problem {
                let name = problem.field.name
                count("zeek_\(problem.missing ? "missing" : "bad")_\(name)", problem.missing ? "no \(name)" : "\(name) unreadable")
            }
        }
        log.recordLongLines(lines.skippedLong)
    }

    /// `ts`: epoch seconds, or an ISO 8601 time (JSON logs written with `JSON::TS_ISO8601`).
    private static func time(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        if bytes.contains(UInt8(ascii: "T")) { return Timestamp.parse(String(decoding: bytes, as: UTF8.self)) }
        return LogValues.seconds(bytes)
    }

    private func tsvValue(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        LogValues.equals(bytes, unset) || LogValues.equals(bytes, empty) ? nil : bytes
    }

    private func header(_ line: UnsafeRawBufferPointer) throws {
        let text = String(decoding: line, as: UTF8.self)
        if text.hasPrefix("#separator ") {
            let value = Self.unescaped(String(text.dropFirst("#separator ".count)))
            guard value.count == 1 else { throw fail("#separator must be one byte, got '\(text.dropFirst(11))'") }
            separator = value[0]
            return
        }
        let parts = text.split(separator: Character(Unicode.Scalar(separator)), omittingEmptySubsequences: false).map(String.init)
        switch parts.first {
        case "#unset_field": unset = Array((parts.dropFirst().first ?? "-").utf8)
        case "#empty_field": empty = Array((parts.dropFirst().first ?? "(empty)").utf8)
        case "#path":
            guard parts.count > 1, parts[1] == "conn" else {
                throw fail("a Zeek \(parts.dropFirst().first ?? "unnamed") log, not conn.log")
            }
        case "#fields":
            let names = Array(parts.dropFirst())
            let columns = ZeekConnection.Field.allCases.map { names.firstIndex(of: $0.name) ?? -1 }
            if let missing = ZeekConnection.Field.allCases.first(where: { !$0.isOptional && columns[$0.rawValue] < 0 }) {
                throw fail("#fields has no \(missing.name): mimir-records needs \(ZeekConnection.Field.allCases.filter { !$0.isOptional }.map(\.name).joined(separator: ", "))")
            }
            self.columns = columns
            columnCount = names.count
        default:
            break  // #set_separator, #open, #close, #types, comments
        }
    }

    /// Zeek's header escapes (`\x09`).
    private static func unescaped(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            if rest.hasPrefix("\\x"), rest.count >= 4, let value = UInt8(rest.dropFirst(2).prefix(2), radix: 16) {
                bytes.append(value)
                rest = rest.dropFirst(4)
            } else {
                bytes += Array(String(rest.first!).utf8)
                rest = rest.dropFirst()
            }
        }
        return bytes
    }

    private func count(_ name: String, _ detail: String) {
        log.record(name, detail, line: lines.number, delivered: delivered)
    }

    private func fail(_ detail: String) -> CaptureError {
        .badLine(path: path, line: lines.number, detail: detail)
    }
}
