import Foundation
import Table
import SystemSupport
import Contract

/// A user's own incident records as a ground-truth table (`mimir-truth`): CSV with a header line, a
/// JSON array of objects, or JSON lines. Fields: `kind` (exfil, dnstunnel, scan, lateral), `start`
/// and `end` (RFC 3339), and optionally `event_id` (default: 1, 2, ... in file order), `source`, `path`
/// (entity names joined by `>`) and `bytes`. Every error names the file and the record.
public enum TruthImport {
    public enum Format: String, CaseIterable, Sendable { case csv, json, jsonl }

    public static let fields = TruthTable.schema.names

    public static func format(of path: String) -> Format? {
        let lower = path.lowercased()
        if lower.hasSuffix(".csv") { return .csv }
        if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") { return .jsonl }
        if lower.hasSuffix(".json") { return .json }
        return nil
    }

    /// The events of `path`, sorted by start.
    public static func read(path: String, format: Format) throws -> [TruthEvent] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw TableError.mismatch(path: path, detail: "no such file")
        }
        guard (try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType) == .typeRegular else {
            throw TableError.mismatch(path: path, detail: "not a regular file")
        }
        let data = Data(try PositionedInputFile.contents(of: path))
        guard let text = String(data: data, encoding: .utf8) else { throw TableError.mismatch(path: path, detail: "not UTF-8 text") }
        let records: [(where: String, fields: [String: String])]
        switch format {
        case .csv: records = try csvRecords(text, path: path)
        case .json: records = try jsonRecords(text, path: path)
        case .jsonl:
            records = try text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { number, line in
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard !trimmed.isEmpty else { return nil }
                return ("line \(number + 1)", try object(trimmed, path: path, where: "line \(number + 1)"))
            }
        }
        guard !records.isEmpty else { throw TableError.mismatch(path: path, detail: "no incident records") }
        var ids = Set<Int32>()
        let events = try records.enumerated().map { position, record in
            let event = try self.event(record.fields, position: position) { TableError.mismatch(path: path, detail: "\(record.where): \($0)") }
            guard ids.insert(event.eventID).inserted else {
                throw TableError.mismatch(path: path, detail: "\(record.where): event_id \(event.eventID) appears twice")
            }
            return event
        }
        return events.sorted { ($0.start, $0.eventID) < ($1.start, $1.eventID) }
    }

    private static func event(_ fields: [String: String], position: Int, fail: (String) -> TableError) throws -> TruthEvent {
        if let unknown = fields.keys.first(where: { !Self.fields.contains($0) }) {
            throw fail("unknown field '\(unknown)' (fields: \(Self.fields.joined(separator: ", ")))")
        }
        func required(_ name: String) throws -> String {
            guard let value = fields[name], !value.isEmpty else { throw fail("'\(name)' is missing") }
            return value
        }
        let kindText = try required(Column.kind)
        guard let kind = TruthEvent.Kind(rawValue: kindText) else {
            throw fail("kind '\(kindText)' is not one of \(TruthEvent.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        func time(_ name: String) throws -> Int64 {
            let text = try required(name)
            guard let value = Timestamp.parse(text) else { throw fail("\(name) '\(text)' is not an RFC 3339 time such as 2026-11-28T10:00:00Z") }
            return value
        }
        let start = try time(TruthTable.start), end = try time(TruthTable.end)
        guard start < end else { throw fail("end must be after start") }
        func integer<T: FixedWidthInteger>(_ name: String, _ fallback: T) throws -> T {
            guard let text = fields[name], !text.isEmpty else { return fallback }
            guard let value = T(text), value >= 0 else { throw fail("\(name) '\(text)' is not a whole number from 0 to \(T.max)") }
            return value
        }
        let id: Int32 = try integer(Column.eventID, Int32(clamping: position + 1))
        let path = (fields[Column.path] ?? "").split(separator: Character(TruthTable.pathSeparator)).map(String.init)
        let source = fields[TruthTable.source].flatMap { $0.isEmpty ? nil : $0 } ?? path.first ?? ""
        return TruthEvent(eventID: id, kind: kind, start: start, end: end, source: source, path: path,
                          bytes: try integer(Column.bytes, Int64(0)))
    }

    /// RFC 4180: a header line, fields separated by commas, quoted fields may hold commas, quotes
    /// (doubled) and line breaks.
    static func csvRecords(_ text: String, path: String) throws -> [(where: String, fields: [String: String])] {
        var rows: [(line: Int, values: [String])] = []
        var values: [String] = [], field = "", quoted = false, atFieldStart = true, line = 1, rowLine = 1
        var characters = Array(text).makeIterator()
        var pending: Character? = nil
        func endRow() {
            values.append(field)
            if !(values.count == 1 && values[0].isEmpty) { rows.append((rowLine, values)) }
            (values, field, atFieldStart) = ([], "", true)
        }
        while let character = pending ?? characters.next() {
            pending = nil
            if quoted {
                if character == "\"" {
                    let next = characters.next()
                    if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                } else {
                    if character == "\n" || character == "\r\n" { line += 1 }
                    field.append(character)
                }
                continue
            }
            switch character {
            case "\"" where atFieldStart: quoted = true; atFieldStart = false
            case ",": values.append(field); field = ""; atFieldStart = true
            case "\n", "\r\n", "\r":
                endRow()
                line += 1
                rowLine = line
            default: field.append(character); atFieldStart = false
            }
        }
        if quoted { throw TableError.mismatch(path: path, detail: "line \(rowLine): a quoted field is not closed") }
        if !field.isEmpty || !values.isEmpty { endRow() }
        guard let header = rows.first else { return [] }
        let names = header.values.map { $0.trimmingCharacters(in: .whitespaces) }
        return try rows.dropFirst().map { row in
            guard row.values.count == names.count else {
                throw TableError.mismatch(path: path, detail: "line \(row.line): \(row.values.count) fields, the header has \(names.count)")
            }
            return ("line \(row.line)", Dictionary(zip(names, row.values.map { $0.trimmingCharacters(in: .whitespaces) }), uniquingKeysWith: { first, _ in first }))
        }
    }

    private static func jsonRecords(_ text: String, path: String) throws -> [(where: String, fields: [String: String])] {
        let records: [Record]
        do { records = try JSONDecoder().decode([Record].self, from: Data(text.utf8)) } catch {
            throw TableError.mismatch(path: path, detail: "expected a JSON array of incident objects: \(describe(error))")
        }
        return records.enumerated().map { ("record \($0.offset)", $0.element.fields) }
    }

    private static func object(_ line: String, path: String, where place: String) throws -> [String: String] {
        do { return try JSONDecoder().decode(Record.self, from: Data(line.utf8)).fields } catch {
            throw TableError.mismatch(path: path, detail: "\(place): expected a JSON incident object: \(describe(error))")
        }
    }

    private static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case let .dataCorrupted(context), let .typeMismatch(_, context), let .valueNotFound(_, context), let .keyNotFound(_, context):
            let place = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return (place.isEmpty ? "" : place + ": ") + context.debugDescription
        @unknown default: return "\(error)"
        }
    }

    /// One incident object: its values as text (whole numbers written out, `path` lists joined by `>`).
    private struct Record: Decodable {
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        var fields: [String: String] = [:]

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            for key in container.allKeys {
                if let text = try? container.decode(String.self, forKey: key) {
                    fields[key.stringValue] = text
                } else if let number = try? container.decode(Int64.self, forKey: key) {
                    fields[key.stringValue] = String(number)
                } else if let names = try? container.decode([String].self, forKey: key) {
                    fields[key.stringValue] = names.joined(separator: TruthTable.pathSeparator)
                } else {
                    throw DecodingError.typeMismatch(String.self, .init(codingPath: container.codingPath + [key],
                                                                        debugDescription: "values must be text, whole numbers or lists of names"))
                }
            }
        }
    }
}
