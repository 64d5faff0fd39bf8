import Foundation
import SystemSupport
import Contract

/// Splits kubectl's `--watch -o json` output, a stream of JSON objects printed one after another
/// (indented, not one per line), into the objects' bytes as they complete.
public struct JSONObjectSplitter {
    private var pending: [UInt8] = []
    private var depth = 0
    private var inString = false
    private var escaped = false
    private var start: Int?
    /// Bytes consumed before `pending` (for error offsets).
    public private(set) var offset = 0

    public init() {}

    /// Feeds bytes; returns the objects completed by them.
    public mutating func feed(_ bytes: some Sequence<UInt8>) throws -> [[UInt8]] {
        var objects: [[UInt8]] = []
        for byte in bytes {
            pending.append(byte)
            let index = pending.count - 1
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"):
                if depth == 0 { start = index }
                depth += 1
            case UInt8(ascii: "}"):
                depth -= 1
                guard depth >= 0 else { throw SplitError(offset: offset + index, detail: "a '}' closes nothing") }
                if depth == 0, let begin = start {
                    objects.append(Array(pending[begin...index]))
                    offset += pending.count
                    pending.removeAll(keepingCapacity: true)
                    start = nil
                }
            case 0x20, 0x09, 0x0A, 0x0D: break
            default:
                guard depth > 0 else { throw SplitError(offset: offset + index, detail: "text outside a JSON object") }
            }
        }
        return objects
    }

    /// Whether the stream stopped in the middle of an object.
    public var isInsideObject: Bool { depth > 0 }

    public struct SplitError: Error {
        public let offset: Int
        public let detail: String
    }
}

/// The JSON event streams of `kubectl get pods -A --watch --output-watch-events -o json` (and the same
/// for services): `{"type": "ADDED"|"MODIFIED"|"DELETED", "object": <a v1 Pod or Service>}`. Fields
/// this reader does not know are ignored.
public enum KubectlWatch {
    /// Reads a recorded stream. The stream carries no observation time, so each event gets the latest
    /// time the object itself records (creation, deletion, status conditions, container starts);
    /// `mimir-record-entities` records the real observation times instead.
    public static func read(path: String) throws -> [EntityEvent] {
        let data = try PositionedInputFile.contents(of: path)
        var splitter = JSONObjectSplitter()
        let objects: [[UInt8]]
        do {
            objects = try splitter.feed(data)
        } catch let error as JSONObjectSplitter.SplitError {
            throw EntityLogError(path: path, line: 0, detail: "byte offset \(error.offset): \(error.detail)")
        }
        guard !splitter.isInsideObject else {
            throw EntityLogError(path: path, line: 0, detail: "the stream ends inside an object (byte offset \(splitter.offset))")
        }
        var events: [EntityEvent] = []
        for (index, bytes) in objects.enumerated() {
            if let event = try event(from: bytes, observedAt: nil, source: "\(path): object \(index + 1)") { events.append(event) }
        }
        return EntityLogs.inTimeOrder(events)
    }

    /// One watch event as an entity event; nil for objects that are neither pods nor services
    /// (kubectl also streams ERROR and BOOKMARK events). `observedAt` overrides the object's own times.
    public static func event(from bytes: [UInt8], observedAt: Int64?, source: String) throws -> EntityEvent? {
        func fail(_ detail: String) -> EntityLogError { EntityLogError(path: source, line: 0, detail: detail) }
        guard let wrapper = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else { throw fail("not a JSON object") }
        guard let type = wrapper["type"] as? String else { throw fail("no 'type': not a kubectl watch event (use --output-watch-events)") }
        let change: EntityEvent.Change
        switch type {
        case "ADDED": change = .added
        case "MODIFIED": change = .modified
        case "DELETED": change = .deleted
        default: return nil
        }
        guard let object = wrapper["object"] as? [String: Any], let metadata = object["metadata"] as? [String: Any],
              let name = metadata["name"] as? String else { throw fail("a \(type) event without object.metadata.name") }
        let namespace = metadata["namespace"] as? String ?? "default"
        let labels = metadata["labels"] as? [String: String] ?? [:]
        let spec = object["spec"] as? [String: Any] ?? [:]
        let status = object["status"] as? [String: Any] ?? [:]
        func addresses(_ texts: [String]) throws -> [IPAddress] {
            try texts.filter { $0 != "None" && !$0.isEmpty }.map { text in
                guard let address = IPAddress(text) else { throw fail("\(name): '\(text)' is not an IPv4 or IPv6 address") }
                return address
            }
        }
        guard let time = observedAt ?? latestTime(in: object) else { throw fail("\(name): the object records no time (metadata.creationTimestamp)") }
        switch object["kind"] as? String {
        case "Pod":
            let podIPs = (status["podIPs"] as? [[String: Any]])?.compactMap { $0["ip"] as? String } ?? (status["podIP"] as? String).map { [$0] } ?? []
            var phase = status["phase"] as? String ?? "Unknown"
            if metadata["deletionTimestamp"] is String && change != .deleted { phase = "Terminating" }
            let hostIPs = (status["hostIPs"] as? [[String: Any]])?.compactMap { $0["ip"] as? String } ?? (status["hostIP"] as? String).map { [$0] } ?? []
            return EntityEvent(time: time, change: change, kind: .pod, namespace: namespace, name: name, ips: try addresses(podIPs),
                               labels: labels, node: spec["nodeName"] as? String ?? "", phase: phase,
                               hostNetwork: spec["hostNetwork"] as? Bool ?? false, hostIPs: try addresses(hostIPs))
        case "Service":
            let clusterIPs = spec["clusterIPs"] as? [String] ?? (spec["clusterIP"] as? String).map { [$0] } ?? []
            return EntityEvent(time: time, change: change, kind: .service, namespace: namespace, name: name, ips: try addresses(clusterIPs),
                               labels: labels, selector: spec["selector"] as? [String: String])
        default:
            return nil
        }
    }

    /// The latest RFC 3339 time the object records about itself.
    static func latestTime(in object: [String: Any]) -> Int64? {
        var times: [Int64] = []
        func collect(_ value: Any, key: String) {
            if let dictionary = value as? [String: Any] {
                for (key, item) in dictionary { collect(item, key: key) }
            } else if let array = value as? [Any] {
                for item in array { collect(item, key: key) }
            } else if let text = value as? String, key.hasSuffix("Timestamp") || key.hasSuffix("Time") || key == "startedAt" || key == "finishedAt",
                      let time = Timestamp.parse(text) {
                times.append(time)
            }
        }
        collect(object, key: "")
        return times.max()
    }
}
