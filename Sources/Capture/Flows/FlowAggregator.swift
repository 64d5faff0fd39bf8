import Table
import Contract
import SystemSupport

/// Counts packets into address pairs and 5-tuple flows for every window length in one pass.
///
/// Each window length keeps its open windows in a short list. A window closes (its rows are written,
/// in the order their keys first appeared, which depends only on the input) once a packet two or more
/// windows later arrives, so memory is bounded by the flows of the windows in flight, not by the
/// capture's length. A packet for a window already closed (badly
/// out-of-order timestamps) opens it again and is counted under `late_packets`: its rows then appear
/// twice for that window, and readers sum rows with equal keys, as they do across shards.
final class FlowAggregator {
    private let clock: WindowClock
    private let pairs: WindowedRowWriter
    private let flows: WindowedRowWriter
    // Touched on every packet, from one thread, never across a call that could re-enter: dynamic
    // exclusivity checks on these cost a third of the stage's time (measured), so they are off here.
    @exclusivity(unchecked) private var open: [[OpenWindow]]
    @exclusivity(unchecked) private var closedThrough: [Int64]
    @exclusivity(unchecked) private var firstWindow: [Int64?]
    @exclusivity(unchecked) private(set) var latePackets = 0
    /// Per length, the counters of the last packet's window and its time range. Unretained: the
    /// window is held by `open` until it closes, which clears this entry; a retain and release per
    /// packet cost about 7% of the stage's time (perf).
    @exclusivity(unchecked) private var current: [(flows: Unmanaged<FlowHashTable<FiveTupleKey, FlowCounters>>, start: Int64, end: Int64)?]
    /// Every address seen, numbered in order of first appearance: keys hold numbers, and each number
    /// is also the position of the address's text in `addressTexts` (made once: rows repeat the same
    /// few addresses).
    private let addressNumbers = FlowHashTable<IPAddress, UInt32>(emptyValue: .max, capacity: 1024)
    @exclusivity(unchecked) private var addressTexts = ByteArrayColumn()
    /// The last packet's addresses and their numbers: most packets repeat them.
    @exclusivity(unchecked) private var recent: (source: IPAddress, destination: IPAddress, pair: PairKey)?

    /// A window's 5-tuple counters. Its address pairs are the flows summed by pair, so each packet
    /// updates only this table; the pair rows are derived when the window is written.
    private final class OpenWindow {
        var index: Int64
        let flows = FlowHashTable<FiveTupleKey, FlowCounters>(emptyValue: FlowCounters(), capacity: 64)

        init(index: Int64) {
            self.index = index
        }
    }

    /// Windows already written, kept for reuse: a new window's table then needs no fresh memory.
    private var spare: [OpenWindow] = []
    /// Scratch for deriving a window's pairs.
    private let windowPairs = FlowHashTable<PairKey, PairCounters>(emptyValue: PairCounters(), capacity: 64)

    init(clock: WindowClock, pairs: WindowedRowWriter, flows: WindowedRowWriter) {
        self.clock = clock
        self.pairs = pairs
        self.flows = flows
        open = Array(repeating: [], count: clock.lengths.count)
        closedThrough = Array(repeating: .min, count: clock.lengths.count)
        firstWindow = Array(repeating: nil, count: clock.lengths.count)
        current = Array(repeating: nil, count: clock.lengths.count)
    }

    func add(_ summary: PacketSummary, timestamp: Int64, bytes: Int) throws {
        let pair: PairKey
        if let recent, recent.source == summary.source, recent.destination == summary.destination {
            pair = recent.pair
        } else {
            pair = PairKey(source: number(summary.source), destination: number(summary.destination))
            recent = (summary.source, summary.destination, pair)
        }
        let flowKey = FiveTupleKey(pair: pair, sourcePort: summary.sourcePort, destinationPort: summary.destinationPort, ipProtocol: summary.ipProtocol)
        let byteCount = Int64(bytes), ipByteCount = Int64(summary.ipLength)
        for lengthSlot in 0..<clock.lengths.count {
            let flows: Unmanaged<FlowHashTable<FiveTupleKey, FlowCounters>>
            if let cached = current[lengthSlot], timestamp >= cached.start, timestamp < cached.end {
                // Most packets fall in the window of the packet before: no division, no lookup.
                flows = cached.flows
            } else {
                let length = clock.lengths[lengthSlot]
                let index = clock.index(of: timestamp, length: length)
                if firstWindow[lengthSlot] == nil { firstWindow[lengthSlot] = index }
                flows = Unmanaged.passUnretained(try self.window(index, lengthSlot).flows)
                let start = clock.start(ofWindow: index, length: length)
                current[lengthSlot] = (flows, start, start + Int64(length) * Nanoseconds.perSecond)
            }
            flows._withUnsafeGuaranteedRef { $0.update(flowKey) {
                $0.packets += 1
                $0.bytes += byteCount
                $0.ipBytes += ipByteCount
                $0.first = min($0.first, timestamp)
                $0.last = max($0.last, timestamp)
                $0.tcpFlags |= summary.tcpFlags
            } }
        }
    }

    /// Window `index`, opening it (and closing windows two or more behind it) as needed.
    @inline(__always)
    private func window(_ index: Int64, _ lengthSlot: Int) throws -> OpenWindow {
        if let last = open[lengthSlot].last, last.index == index { return last }
        if let window = open[lengthSlot].first(where: { $0.index == index }) { return window }
        if index <= closedThrough[lengthSlot] { latePackets += 1 }
        let newest = max(index, open[lengthSlot].last?.index ?? index)
        // Close what is two or more windows behind the newest (never the window being opened).
        while let oldest = open[lengthSlot].first, oldest.index < newest - 1, oldest.index != index {
            try write(oldest, lengthSlot, lastWindow: nil)
            closedThrough[lengthSlot] = max(closedThrough[lengthSlot], oldest.index)
            open[lengthSlot].removeFirst()
            oldest.flows.removeAll()
            spare.append(oldest)
            if current[lengthSlot]?.flows.toOpaque() == Unmanaged.passUnretained(oldest.flows).toOpaque() { current[lengthSlot] = nil }
        }
        let position = open[lengthSlot].firstIndex { $0.index > index } ?? open[lengthSlot].count
        let window = spare.popLast() ?? OpenWindow(index: index)
        window.index = index
        open[lengthSlot].insert(window, at: position)
        return window
    }

    /// Writes every window still open; the newest of each length is the input's last window (partial).
    func finish() throws {
        for lengthSlot in 0..<clock.lengths.count {
            let newest = open[lengthSlot].last?.index
            for window in open[lengthSlot] { try write(window, lengthSlot, lastWindow: newest) }
            open[lengthSlot] = []
            current[lengthSlot] = nil
        }
    }

    private func write(_ window: OpenWindow, _ lengthSlot: Int, lastWindow: Int64?) throws {
        let length = clock.lengths[lengthSlot]
        let start = clock.start(ofWindow: window.index, length: length)
        let partial = window.index == firstWindow[lengthSlot] || window.index == lastWindow
        windowPairs.removeAll()
        window.flows.forEach { key, counters in
            windowPairs.update(key.pair) {
                $0.packets += counters.packets
                $0.bytes += counters.bytes
                $0.ipBytes += counters.ipBytes
            }
        }
        let texts = addressTexts
        try windowPairs.forEach { key, counters in
            pairs.beginRow(length: length, index: window.index, start: start, partial: partial)
            pairs.string(0, from: texts, at: Int(key.source))
            pairs.string(1, from: texts, at: Int(key.destination))
            pairs.int64(0, counters.packets)
            pairs.int64(1, counters.bytes)
            pairs.int64(2, counters.ipBytes)
            try pairs.flushIfLarge()
        }
        try window.flows.forEach { key, counters in
            flows.beginRow(length: length, index: window.index, start: start, partial: partial)
            flows.string(0, from: texts, at: Int(key.pair.source))
            flows.string(1, from: texts, at: Int(key.pair.destination))
            flows.int32(0, Int32(key.sourcePort))
            flows.int32(1, Int32(key.destinationPort))
            flows.int32(2, Int32(key.ipProtocol))
            flows.int64(0, floorDivide(counters.first, 1000))
            flows.int64(1, floorDivide(counters.last, 1000))
            flows.int64(2, counters.packets)
            flows.int64(3, counters.bytes)
            flows.int64(4, counters.ipBytes)
            flows.int32(3, Int32(counters.tcpFlags))
            try flows.flushIfLarge()
        }
    }

    /// The number of `address` (a new one gets the next number, and its text).
    private func number(_ address: IPAddress) -> UInt32 {
        var result: UInt32 = 0
        addressNumbers.update(address) { number in
            if number == .max {
                number = UInt32(addressTexts.count)
                addressTexts.append(address.description)
            }
            result = number
        }
        return result
    }
}
