/// Counts packets into address pairs and 5-tuple flows for every window length in one pass.
///
/// Each window length keeps its open windows in a short list. A window closes (its rows are sorted and
/// written) once a packet two or more windows later arrives, so memory is bounded by the flows of the
/// windows in flight, not by the capture's length. A packet for a window already closed (badly
/// out-of-order timestamps) opens it again and is counted under `late_packets`: its rows then appear
/// twice for that window, and readers sum rows with equal keys, as they do across shards.
final class FlowAggregator {
    private let clock: WindowClock
    private let pairs: WindowedRowWriter
    private let flows: WindowedRowWriter
    private var open: [[OpenWindow]]
    private var closedThrough: [Int64]
    private var firstWindow: [Int64?]
    private(set) var latePackets = 0
    private var addressText: [IPAddress: String] = [:]

    private struct OpenWindow {
        var index: Int64
        var pairs = FlowHashTable<PairKey, PairCounters>(emptyValue: PairCounters(), capacity: 256)
        var flows = FlowHashTable<FiveTupleKey, FlowCounters>(emptyValue: FlowCounters(), capacity: 1024)
    }

    init(clock: WindowClock, pairs: WindowedRowWriter, flows: WindowedRowWriter) {
        self.clock = clock
        self.pairs = pairs
        self.flows = flows
        open = Array(repeating: [], count: clock.lengths.count)
        closedThrough = Array(repeating: .min, count: clock.lengths.count)
        firstWindow = Array(repeating: nil, count: clock.lengths.count)
    }

    func add(_ summary: PacketSummary, timestamp: Int64, bytes: Int) throws {
        let pairKey = PairKey(source: summary.source, destination: summary.destination)
        let flowKey = FiveTupleKey(pair: pairKey, sourcePort: summary.sourcePort, destinationPort: summary.destinationPort,
                                   ipProtocol: summary.ipProtocol)
        let byteCount = Int64(bytes)
        for lengthSlot in 0..<clock.lengths.count {
            let index = clock.index(of: timestamp, length: clock.lengths[lengthSlot])
            if firstWindow[lengthSlot] == nil { firstWindow[lengthSlot] = index }
            let slot = try window(index, lengthSlot)
            open[lengthSlot][slot].pairs.update(pairKey) {
                $0.packets += 1
                $0.bytes += byteCount
            }
            open[lengthSlot][slot].flows.update(flowKey) {
                $0.packets += 1
                $0.bytes += byteCount
                $0.first = min($0.first, timestamp)
                $0.last = max($0.last, timestamp)
                $0.tcpFlags |= summary.tcpFlags
            }
        }
    }

    /// The slot of window `index`, opening it (and closing windows two or more behind it) as needed.
    @inline(__always)
    private func window(_ index: Int64, _ lengthSlot: Int) throws -> Int {
        if let last = open[lengthSlot].indices.last, open[lengthSlot][last].index == index { return last }
        if let slot = open[lengthSlot].firstIndex(where: { $0.index == index }) { return slot }
        if index <= closedThrough[lengthSlot] { latePackets += 1 }
        let newest = max(index, open[lengthSlot].last?.index ?? index)
        // Close what is two or more windows behind the newest (never the window being opened).
        while let oldest = open[lengthSlot].first, oldest.index < newest - 1, oldest.index != index {
            try write(oldest, lengthSlot, lastWindow: nil)
            closedThrough[lengthSlot] = max(closedThrough[lengthSlot], oldest.index)
            open[lengthSlot].removeFirst()
        }
        let position = open[lengthSlot].firstIndex { $0.index > index } ?? open[lengthSlot].count
        open[lengthSlot].insert(OpenWindow(index: index), at: position)
        return position
    }

    /// Writes every window still open; the newest of each length is the input's last window (partial).
    func finish() throws {
        for lengthSlot in 0..<clock.lengths.count {
            let newest = open[lengthSlot].last?.index
            for window in open[lengthSlot] { try write(window, lengthSlot, lastWindow: newest) }
            open[lengthSlot] = []
        }
    }

    private func write(_ window: OpenWindow, _ lengthSlot: Int, lastWindow: Int64?) throws {
        let length = clock.lengths[lengthSlot]
        let start = clock.start(ofWindow: window.index, length: length)
        let partial = window.index == firstWindow[lengthSlot] || window.index == lastWindow
        for (key, counters) in window.pairs.entries.sorted(by: { ($0.0.source, $0.0.destination) < ($1.0.source, $1.0.destination) }) {
            pairs.beginRow(length: length, index: window.index, start: start, partial: partial)
            pairs.string(0, text(key.source))
            pairs.string(1, text(key.destination))
            pairs.int64(0, counters.packets)
            pairs.int64(1, counters.bytes)
            try pairs.flushIfLarge()
        }
        let sortedFlows = window.flows.entries.sorted { a, b in
            (a.0.pair.source, a.0.pair.destination, a.0.ipProtocol, a.0.sourcePort, a.0.destinationPort)
                < (b.0.pair.source, b.0.pair.destination, b.0.ipProtocol, b.0.sourcePort, b.0.destinationPort)
        }
        for (key, counters) in sortedFlows {
            flows.beginRow(length: length, index: window.index, start: start, partial: partial)
            flows.string(0, text(key.pair.source))
            flows.string(1, text(key.pair.destination))
            flows.int32(0, Int32(key.sourcePort))
            flows.int32(1, Int32(key.destinationPort))
            flows.int32(2, Int32(key.ipProtocol))
            flows.int64(0, floorDivide(counters.first, 1000))
            flows.int64(1, floorDivide(counters.last, 1000))
            flows.int64(2, counters.packets)
            flows.int64(3, counters.bytes)
            flows.int32(3, Int32(counters.tcpFlags))
            try flows.flushIfLarge()
        }
    }

    private func text(_ address: IPAddress) -> String {
        if let known = addressText[address] { return known }
        let formatted = address.description
        if addressText.count < 1 << 20 { addressText[address] = formatted }
        return formatted
    }
}
