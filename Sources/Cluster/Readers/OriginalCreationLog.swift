import Foundation
import Contract
import SystemSupport

/// The original project's cluster creation log (mimir-method.md, section 9): a Python 2 pickle of
/// `{second: {name: (ip, '+', namespace, 'pod'|'svc', labels, status)}}` written by a 1 Hz kubectl
/// logger. Second k maps to capture time `captureStart + k + offset`; the logger started 3 s before
/// tcpdump, hence the default offset of -3 s.
public enum OriginalCreationLog {
    public static let defaultOffset = -3.0

    public static func read(path: String, captureStart: Int64, offset: Double = defaultOffset) throws -> [EntityEvent] {
        let root: PickleValue
        do {
            root = try PickleReader.read(path: path)
        } catch let error as PickleError {
            throw EntityLogError(path: path, line: 0, detail: "not a readable pickle: byte offset \(error.offset): \(error.detail)")
        }
        func fail(_ detail: String) -> EntityLogError { EntityLogError(path: path, line: 0, detail: detail) }
        guard case let .dict(seconds) = root else { throw fail("expected a dict of seconds at the top, found another value") }
        var steps: [(Int64, [(key: PickleValue, value: PickleValue)])] = []
        for (key, value) in seconds {
            guard case let .int(second) = key, case let .dict(entries) = value else {
                throw fail("expected {second: {name: tuple}}, found a key or value of another type")
            }
            steps.append((second, entries))
        }
        steps.sort { $0.0 < $1.0 }
        var known: [String: EntityEvent] = [:]
        var events: [EntityEvent] = []
        for (second, entries) in steps {
            let time = captureStart + Int64(((Double(second) + offset) * Double(Nanoseconds.perSecond)).rounded())
            for (key, value) in entries {
                guard case let .string(name) = key, case let .tuple(fields) = value, fields.count >= 5 else {
                    throw fail("second \(second): an entry is not name: (ip, sign, namespace, kind, labels, status)")
                }
                let texts = fields.map { field -> String in if case let .string(text) = field { return text }; return "" }
                let (ipText, sign, namespace, kindText, labelText) = (texts[0], texts[1], texts[2], texts[3], texts[4])
                guard kindText == "pod" || kindText == "svc" else { throw fail("second \(second), \(name): kind '\(kindText)' is neither pod nor svc") }
                var ips: [IPAddress] = []
                if ipText != "None" && !ipText.isEmpty && ipText != "<none>" {
                    guard let address = IPAddress(ipText) else { throw fail("second \(second), \(name): '\(ipText)' is not an address") }
                    ips = [address]
                }
                let kind: EntityEvent.Kind = kindText == "pod" ? .pod : .service
                let identity = "\(kindText)/\(namespace)/\(name)"
                var event = EntityEvent(time: time, change: .added, kind: kind, namespace: namespace, name: name, ips: ips,
                                        labels: parseLabels(labelText))
                if kind == .pod {
                    event.node = ""
                    event.phase = fields.count > 5 ? texts[5] : "Running"
                }
                if sign == "-" {
                    guard known[identity] != nil else { continue }
                    event.change = .deleted
                    known[identity] = nil
                } else if let previous = known[identity] {
                    var unchanged = previous
                    unchanged.time = time
                    unchanged.change = .modified
                    event.change = .modified
                    if unchanged == event { continue }
                    known[identity] = event
                } else {
                    known[identity] = event
                }
                events.append(event)
            }
        }
        return events
    }

    /// The logger's label text: `k=v` pairs joined by commas (`<none>` for none).
    static func parseLabels(_ text: String) -> [String: String] {
        guard text != "<none>" else { return [:] }
        var labels: [String: String] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            labels[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return labels
    }
}
