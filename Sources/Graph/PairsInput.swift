import Contract
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
    /// What the tables together show: one capture, or the shares of some nodes.
    public let observation: Observation
    public private(set) var windows: [Window: [Pair: (packets: Int64, bytes: Int64)]] = [:]
    /// The first and last window index of each length.
    private var indexRanges: [Int32: ClosedRange<Int64>] = [:]

    /// Reads every table, counting bytes in `unit`; refuses tables of another stage or schema, with
    /// different origins, or from flow records (which have no frames) read in frame bytes.
    public init(paths: [String], bytes unit: ByteUnit) throws {
        var origin: Int64?
        var windows: [Window: [Pair: (packets: Int64, bytes: Int64)]] = [:]
        var observations: [(observation: Observation, path: String)] = []
        for path in paths {
            let (reader, value) = try FlowTables.open(path, as: FlowTables.pairs, named: "a pairs table")
            if unit == .frame && reader.metadata[key: Provenance.stageKey] == FlowTables.recordsStage {
                throw TableError.mismatch(path: path, detail: "it was counted from flow records, which count IP bytes, not frames: "
                                          + "give mimir-graph --bytes ip")
            }
            observations.append((try Observation(of: reader), path))
            if let origin, origin != value {
                throw TableError.mismatch(path: path, detail: "its windows start at \(EpochSeconds.format(value)), the other tables' at "
                                          + "\(EpochSeconds.format(origin)); give flows the same --origin for every shard")
            }
            origin = value
            try FlowTables.forEachPair(reader, bytes: unit) { length, index, source, destination, packets, bytes in
                let pair = Pair(source: source, destination: destination)
                let window = Window(length: length, index: index)
                let total = windows[window, default: [:]][pair] ?? (0, 0)
                let (sumPackets, packetsOverflow) = total.packets.addingReportingOverflow(packets)
                let (sumBytes, bytesOverflow) = total.bytes.addingReportingOverflow(bytes)
                guard !packetsOverflow, !bytesOverflow else {
                    throw TableError.mismatch(path: path, detail: "the packets or bytes of \(source) -> \(destination) in window \(index) of \(length) s exceed 2^63")
                }
                windows[window, default: [:]][pair] = (sumPackets, sumBytes)
            }
        }
        guard let origin else { throw TableError.invalidInput("mimir-graph needs at least one pairs table") }
        self.origin = origin
        self.windows = windows
        observation = try Observation.sum(observations)
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
