import Foundation

/// Every entity log mimir-graph accepts, recognised by its content: ours (JSON lines with an
/// `event` field), kubectl's watch streams (JSON objects with `type` and `object`), and the original
/// project's pickled creation log.
public enum EntityLogFormat: String, Sendable {
    case mimir, kubectl, originalPickle

    public static func detect(path: String) throws -> EntityLogFormat {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw EntityLogError(path: path, line: 0, detail: "cannot read the file")
        }
        defer { try? handle.close() }
        let head = [UInt8](handle.readData(ofLength: 4096))
        guard let first = head.firstIndex(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else {
            throw EntityLogError(path: path, line: 0, detail: "the file is empty")
        }
        if head[first] == 0x80 || head[first] == UInt8(ascii: "(") || head[first] == UInt8(ascii: "}") { return .originalPickle }
        guard head[first] == UInt8(ascii: "{") else {
            throw EntityLogError(path: path, line: 0, detail: String(format: "not an entity log: it starts with 0x%02x, expected a JSON object or a pickle", head[first]))
        }
        let text = String(decoding: head, as: UTF8.self)
        if text.contains("\"object\"") && text.contains("\"type\"") { return .kubectl }
        return .mimir
    }
}

public enum EntityLogs {
    /// Several logs (kubectl's two streams, say) merged in time order; events of equal time keep the
    /// order of the files and of their lines.
    public static func read(paths: [String], captureStart: Int64, originalOffset: Double = OriginalCreationLog.defaultOffset) throws -> [EntityEvent] {
        inTimeOrder(try paths.flatMap { try read(path: $0, captureStart: captureStart, originalOffset: originalOffset) })
    }

    /// A stable sort by time.
    static func inTimeOrder(_ events: [EntityEvent]) -> [EntityEvent] {
        events.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
    }

    /// Reads any accepted entity log into events in time order. `captureStart` (nanoseconds since the
    /// epoch) places the original's log, whose times count seconds from the logger's start.
    public static func read(path: String, captureStart: Int64, originalOffset: Double = OriginalCreationLog.defaultOffset) throws -> [EntityEvent] {
        switch try EntityLogFormat.detect(path: path) {
        case .mimir: try EntityLogReader.read(path: path)
        case .kubectl: try KubectlWatch.read(path: path)
        case .originalPickle: try OriginalCreationLog.read(path: path, captureStart: captureStart, offset: originalOffset)
        }
    }
}
