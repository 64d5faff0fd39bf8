import Contract
import SystemSupport
import Table

/// The address pairs a single capture of the whole cluster would count: every copy a view marks
/// `singleNodeCopy`, windowed by the clock of the node that records it. Written beside the per-node
/// captures as the truth that their node shares must add up to (docs/simulator.md).
struct SingleNodePairs {
    /// The table's file name in the output directory.
    static let fileName = "single-node-pairs.parquet"

    private struct Key: Hashable {
        var length: Int32
        var index: Int64
        var source: IPAddress
        var destination: IPAddress
    }

    private struct Count {
        var packets: Int64 = 0
        var bytes: Int64 = 0
        var ipBytes: Int64 = 0

        mutating func add(bytes size: Int, ipBytes ipSize: Int) {
            packets += 1
            bytes += Int64(size)
            ipBytes += Int64(ipSize)
        }
    }

    let clock: WindowClock
    private var counts: [Key: Count] = [:]

    init(clock: WindowClock) { self.clock = clock }

    /// Counts one copy of `bytes` bytes on the wire, `ipBytes` of them its IP packet's, seen at
    /// `timestamp` (its node's clock).
    mutating func add(source: IPAddress, destination: IPAddress, bytes: Int, ipBytes: Int, timestamp: Int64) {
        for length in clock.lengths {
            let key = Key(length: Int32(length), index: clock.index(of: timestamp, length: length), source: source, destination: destination)
            counts[key, default: Count()].add(bytes: bytes, ipBytes: ipBytes)  // one lookup per copy and window length
        }
    }

    /// Writes the table (flows' pairs schema) in window, then address order.
    func write(to path: String, provenance: Provenance) throws {
        let writer = try WindowedRowWriter(path: path, schema: FlowTables.pairs, metadata: provenance.keyValues + [
            KeyValue(key: WindowColumns.originKey, value: EpochSeconds.format(clock.origin)),
        ])
        let keys = counts.keys.sorted {
            ($0.length, $0.index, $0.source.description, $0.destination.description)
                < ($1.length, $1.index, $1.source.description, $1.destination.description)
        }
        var span: [Int32: ClosedRange<Int64>] = [:]
        for key in keys { span[key.length] = span[key.length].map { min($0.lowerBound, key.index)...max($0.upperBound, key.index) } ?? key.index...key.index }
        for key in keys {
            let count = counts[key]!
            let range = span[key.length]!
            writer.beginRow(length: Int(key.length), index: key.index, start: clock.start(ofWindow: key.index, length: Int(key.length)),
                            partial: key.index == range.lowerBound || key.index == range.upperBound)
            writer.string(0, key.source.description)
            writer.string(1, key.destination.description)
            writer.int64(0, count.packets)
            writer.int64(1, count.bytes)
            writer.int64(2, count.ipBytes)
            try writer.flushIfLarge()
        }
        try writer.close()
    }
}
