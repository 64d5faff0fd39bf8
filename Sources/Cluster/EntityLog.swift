import Foundation
import Table
import SystemSupport
import Contract

/// Writes an entity log in our format: JSON lines in time order, published atomically by `finish`.
public final class EntityLogWriter {
    private let output: AtomicOutputFile
    private var lastTime = Int64.min
    public private(set) var count = 0

    public init(path: String) throws {
        output = try AtomicOutputFile(path: path)
    }

    public var path: String { output.path }

    /// - Precondition: events arrive in time order, as the format requires.
    public func append(_ event: EntityEvent) throws {
        precondition(event.time >= lastTime, "entity events must be written in time order")
        lastTime = event.time
        try output.write(Array((event.jsonLine() + "\n").utf8))
        count += 1
    }

    public func finish(durable: Bool = true) throws {
        try output.publish(durable: durable)
    }
}

/// Reads an entity log in our format, checking every line: fields, types, addresses, time order.
public enum EntityLogReader {
    public static func read(path: String) throws -> [EntityEvent] {
        let data = Data(try PositionedInputFile.contents(of: path))
        var events: [EntityEvent] = []
        var lineNumber = 0
        var previous = Int64.min
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            let event = try parse(line: Data(line), path: path, lineNumber: lineNumber)
            guard event.time >= previous else {
                throw EntityLogError(path: path, line: lineNumber, detail: "events must be in time order; this one is earlier than the line before")
            }
            previous = event.time
            events.append(event)
        }
        return events
    }

    static func parse(line: Data, path: String, lineNumber: Int) throws -> EntityEvent {
        func fail(_ detail: String) -> EntityLogError { EntityLogError(path: path, line: lineNumber, detail: detail) }
        guard let object = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any] else {
            throw fail("not a JSON object")
        }
        func string(_ key: String) throws -> String {
            guard let value = object[key] as? String else { throw fail("'\(key)' is missing or not a string") }
            return value
        }
        func map(_ key: String) throws -> [String: String]? {
            guard let value = object[key] else { return nil }
            guard let dictionary = value as? [String: String] else { throw fail("'\(key)' must be an object of strings") }
            return dictionary
        }
        let timeText = try string("time")
        guard let time = Timestamp.parse(timeText) else { throw fail("'time' is '\(timeText)', expected an RFC 3339 time such as 2026-11-28T10:00:03.250Z") }
        guard let change = EntityEvent.Change(rawValue: try string("event")) else { throw fail("'event' must be added, modified or deleted") }
        guard let kind = EntityEvent.Kind(rawValue: try string("kind")) else { throw fail("'kind' must be pod or service") }
        func addresses(_ key: String) throws -> [IPAddress] {
            guard let texts = object[key] as? [String] else { throw fail("'\(key)' is missing or not a list of strings") }
            return try texts.map { text in
                guard let address = IPAddress(text) else { throw fail("'\(text)' in '\(key)' is not an IPv4 or IPv6 address") }
                return address
            }
        }
        let ips = try addresses("ips")
        guard let labels = try map("labels") else { throw fail("'labels' is missing") }
        var event = EntityEvent(time: time, change: change, kind: kind, namespace: try string("namespace"),
                                name: try string("name"), ips: ips, labels: labels)
        switch kind {
        case .pod:
            event.node = try string("node")
            event.phase = try string("phase")
            if let hostNetwork = object["host_network"] {
                guard let flag = hostNetwork as? Bool else { throw fail("'host_network' must be true or false") }
                event.hostNetwork = flag
            }
            if object["host_ips"] != nil { event.hostIPs = try addresses("host_ips") }
        case .service:
            event.selector = try map("selector")
        }
        return event
    }
}
