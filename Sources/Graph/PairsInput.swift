import Capture
import Table

/// The address-pair tables of one capture (its shards), merged by window: what graph builds from.
public struct MergedPairs {
    public struct Window: Hashable, Comparable, Sendable {
        public var length: Int32
        public var index: Int64

        public static func < (a: Window, b: Window) -> Bool { (a.length, a.index) < (b.length, b.index) }
    }

    public struct Pair: Hashable, Sendable {
        public var source: String
        public var destination: String
    }

    /// The windows' origin, nanoseconds since the epoch (`mimir.origin` of the tables).
    public let origin: Int64
    public private(set) var windows: [Window: [Pair: (packets: Int64, bytes: Int64)]] = [:]
    /// The first and last window index of each length.
    private var indexRanges: [Int32: ClosedRange<Int64>] = [:]

    /// Reads every table; refuses tables of another stage or schema, or with different origins.
    public init(paths: [String]) throws {
        var origin: Int64?
        for path in paths {
            let reader = try TableReader(path: path)
            let provenance = try Provenance(of: reader, stage: FlowTables.stage, schemaVersions: 1...FlowTables.schemaVersion)
            guard let text = provenance.extra.first(where: { $0.key == "mimir.origin" })?.value, let value = EpochSeconds.parse(text) else {
                throw TableError.unsupported(path: path, detail: "the table has no mimir.origin entry: it was not written by mimir-flows")
            }
            if let origin, origin != value {
                throw TableError.unsupported(path: path, detail: "its windows start at \(text), the other tables' at \(EpochSeconds.format(origin)); give flows the same --origin for every shard")
            }
            origin = value
            guard reader.schema.names.starts(with: FlowTables.pairs.names) else {
                throw TableError.unsupported(path: path, detail: "not a pairs table (columns \(reader.schema.names.joined(separator: ", ")))")
            }
            for group in 0..<reader.rowGroupCount {
                let batch = try reader.readRowGroup(group, columns: ["window_len_s", "window_index", "src", "dst", "packets", "bytes"])
                let lengths = batch["window_len_s"]!.int32s, indices = batch["window_index"]!.int64s
                let sources = batch["src"]!.byteArrays, destinations = batch["dst"]!.byteArrays
                let packets = batch["packets"]!.int64s, bytes = batch["bytes"]!.int64s
                for row in 0..<batch.rowCount {
                    let pair = Pair(source: sources.string(at: row), destination: destinations.string(at: row))
                    let window = Window(length: lengths[row], index: indices[row])
                    let total = windows[window, default: [:]][pair] ?? (0, 0)
                    windows[window, default: [:]][pair] = (total.packets + packets[row], total.bytes + bytes[row])
                }
            }
        }
        guard let origin else { throw TableError.invalidInput("mimir-graph needs at least one pairs table") }
        self.origin = origin
        for window in windows.keys {
            let range = indexRanges[window.length] ?? window.index...window.index
            indexRanges[window.length] = min(range.lowerBound, window.index)...max(range.upperBound, window.index)
        }
    }

    /// Whether a window is the first or last of its length (cut by the capture's start or end).
    public func isPartial(_ window: Window) -> Bool {
        guard let range = indexRanges[window.length] else { return false }
        return window.index == range.lowerBound || window.index == range.upperBound
    }

}
