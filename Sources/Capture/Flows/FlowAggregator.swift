import Table
import Contract
import SystemSupport

/// Counts packets (or flow records) into address pairs and 5-tuple flows for every window length in
/// one pass.
///
/// Each window length keeps its open windows in a short list. A window closes (its rows are written,
/// in the order their keys first appeared, which depends only on the input) once a packet two or more
/// windows later arrives, so memory is bounded by the flows of the windows in flight, not by the
/// capture's length. A packet for a window already closed (badly
/// out-of-order timestamps) opens it again and is counted under `late_packets`: its rows then appear
/// twice for that window, and readers sum rows with equal keys, as they do across shards.
///
/// Flow records span windows and arrive when they end, so windows stay open longer: for as long as
/// the longest record seen so far, plus `recordLag`, or, with a memory budget, until the open
/// windows would take more than it: the oldest are then written early (a record reaching one later
/// opens it again, as a late packet does).
final class FlowAggregator {
    let clock: WindowClock
    private let pairs: WindowedRowWriter
    private let flows: WindowedRowWriter
    /// Whether the input has frame lengths (captures); flow records have only IP lengths, and their
    /// tables leave `bytes` null.
    private let countsFrames: Bool
    /// Per length, how many windows beyond the usual one stay open (for records).
    @exclusivity(unchecked) private var extraOpen: [Int64]
    /// The longest record seen, nanoseconds.
    private var longestRecord: Int64 = 0
    /// How long windows stay open after the longest record's span, for records that arrive out of
    /// order (an exporter's idle timeout, a log's buffering).
    static let recordLag: Int64 = 120 * Nanoseconds.perSecond
    /// The most windows of one length a record may cover (7.6 days of 10 s windows); a longer one is
    /// refused (damage): a few bytes of a file must not make millions of rows.
    static let maximumWindowsPerRecord: Int64 = 1 << 16
    // Touched on every packet, from one thread, never across a call that could re-enter: dynamic
    // exclusivity checks on these cost a third of the stage's time (measured), so they are off here.
    @exclusivity(unchecked) private var open: [[OpenWindow]]
    @exclusivity(unchecked) private var closedThrough: [Int64]
    @exclusivity(unchecked) private var firstWindow: [Int64?]
    /// The most the open windows took (estimated; nil without a budget).
    var windowMemoryPeak: Int? { memory?.peak }
    /// Windows written before the longest record's reach had passed them, to keep to the budget.
    var windowsWrittenEarly: Int { memory?.writtenEarly ?? 0 }
    /// Windows opened again after they were written (a late packet's, or a late record's).
    @exclusivity(unchecked) private(set) var latePackets = 0
    /// Per length, the counters of the last packet's window and its time range. Unretained: the
    /// window is held by `open` until it closes, which clears this entry; a retain and release per
    /// packet cost about 7% of the stage's time (perf).
    @exclusivity(unchecked) private var current: [(flows: Unmanaged<FlowHashTable<FiveTupleKey, FlowCounters>>, start: Int64, end: Int64)?]
    /// Every address seen, numbered in order of first appearance: keys hold numbers, and each number
    /// is also the position of the address's text in `addressTexts` (made once: rows repeat the same
    /// few addresses).
    private let addressNumbers = AddressNumbers()
    @exclusivity(unchecked) private var addressTexts = ByteArrayColumn()

    /// A window's 5-tuple counters. Its address pairs are the flows summed by pair, so each packet
    /// updates only this table; the pair rows are derived when the window is written.
    private final class OpenWindow {
        var index: Int64
        let flows = FlowHashTable<FiveTupleKey, FlowCounters>(emptyValue: FlowCounters(), capacity: 64)

        init(index: Int64) {
            self.index = index
        }
    }

    /// Windows already written, kept for reuse: a new window's table then needs no fresh memory. A
    /// few suffice, as windows open about as often as they close.
    private var spare: [OpenWindow] = []
    private static let spareWindows = 16
    /// What the open windows take, for a budget (records: one long record keeps every window it
    /// spans open, and a busy day of windows does not fit in memory); nil: no budget (captures).
    @exclusivity(unchecked) private var memory: OpenWindowMemory?
    /// Scratch for deriving a window's pairs.
    private let windowPairs = FlowHashTable<PairKey, PairCounters>(emptyValue: PairCounters(), capacity: 64)

    /// - Parameter memoryBudget: bytes the open windows may take before the oldest are written early
    ///   (never the newest two of a length); nil: no budget.
    init(clock: WindowClock, pairs: WindowedRowWriter, flows: WindowedRowWriter, countsFrames: Bool = true, memoryBudget: Int? = nil) {
        self.clock = clock
        memory = memoryBudget.map { OpenWindowMemory(budget: $0) }
        self.pairs = pairs
        self.flows = flows
        self.countsFrames = countsFrames
        extraOpen = Array(repeating: 0, count: clock.lengths.count)
        open = Array(repeating: [], count: clock.lengths.count)
        closedThrough = Array(repeating: .min, count: clock.lengths.count)
        firstWindow = Array(repeating: nil, count: clock.lengths.count)
        current = Array(repeating: nil, count: clock.lengths.count)
    }

    func add(_ summary: PacketSummary, timestamp: Int64, bytes: Int) throws {
        let flowKey = FiveTupleKey(pair: pair(summary.source, summary.destination), sourcePort: summary.sourcePort, destinationPort: summary.destinationPort, ipProtocol: summary.ipProtocol)
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
            _ = flows._withUnsafeGuaranteedRef { $0.update(flowKey) {
                $0.packets += 1
                $0.bytes += byteCount
                $0.ipBytes += ipByteCount
                $0.first = min($0.first, timestamp)
                $0.last = max($0.last, timestamp)
                $0.tcpFlags |= summary.tcpFlags
            } }
        }
    }

    /// Counts a flow record, its packets and IP bytes spread over the windows it overlaps
    /// (docs/records.md, "Counting"): its P packets are placed evenly over its span D, packet j at
    /// `start + floor((2j + 1) D / 2P)` (the middle of its share of the span); a window holds the
    /// packets placed in it, and of the bytes B `round(B J / P)` through the J-th packet, so the parts
    /// add up exactly, a record inside one window counts whole, and only windows that hold a packet get
    /// a row: at most P, found without visiting the others. Each window's part keeps the record's
    /// flags; its first and last times are the span clipped to the window. The record is one that
    /// `accepts`.
    func add(_ record: FlowRecord) throws {
        let span = record.end - record.start
        if span > longestRecord {
            longestRecord = span
            for (slot, length) in clock.lengths.enumerated() {
                extraOpen[slot] = (span + Self.recordLag) / (Int64(length) * Nanoseconds.perSecond) + 1
            }
        }
        let key = FiveTupleKey(pair: pair(record.source, record.destination), sourcePort: record.sourcePort,
                               destinationPort: record.destinationPort, ipProtocol: record.ipProtocol)
        // The record's numbers as locals: the counters' closures then capture numbers, not a copy of
        // the record (its names make copying it cost a retain).
        let (start, end, recordPackets, ipBytes, flags) = (record.start, record.end, record.packets, record.ipBytes, record.tcpFlags)
        let spread = RecordSpread(start: start, span: span, packets: recordPackets)
        for (slot, length) in clock.lengths.enumerated() {
            if let cached = current[slot], start >= cached.start, end < cached.end {
                // Most records lie inside the window of the record before: counted whole, no division.
                let isNew = cached.flows._withUnsafeGuaranteedRef { $0.update(key) {
                    $0.packets += recordPackets
                    $0.ipBytes += ipBytes
                    $0.first = min($0.first, start)
                    $0.last = max($0.last, end)
                    $0.tcpFlags |= flags
                } }
                if isNew { memory?.entries += 1 }
                continue
            }
            let first = clock.index(of: start, length: length), last = clock.index(of: end, length: length)
            firstWindow[slot] = min(firstWindow[slot] ?? first, first)
            var placed: Int64 = 0, bytesBefore: Int64 = 0
            repeat {
                // The window of the next packet to place (of the start for a record without packets, or
                // inside one window).
                let index = recordPackets == 0 || first == last ? first : clock.index(of: spread.time(ofPacket: placed), length: length)
                let windowStart = clock.start(ofWindow: index, length: length)
                let windowEnd = index == last ? end : clock.start(ofWindow: index + 1, length: length)
                let through = index == last ? recordPackets : spread.packets(before: windowEnd)
                let bytesThrough = recordPackets == 0 ? ipBytes : Self.share(ipBytes, of: through, in: recordPackets)
                let (packets, bytes) = (through - placed, bytesThrough - bytesBefore)
                (placed, bytesBefore) = (through, bytesThrough)
                let flows = try window(index, slot).flows
                current[slot] = (Unmanaged.passUnretained(flows), windowStart, clock.start(ofWindow: index + 1, length: length))
                let isNew = flows.update(key) {
                    $0.packets += packets
                    $0.ipBytes += bytes
                    $0.first = min($0.first, max(start, windowStart))
                    $0.last = max($0.last, index == last ? end : windowEnd - 1)
                    $0.tcpFlags |= flags
                }
                if isNew { memory?.entries += 1 }
            } while placed < recordPackets
        }
        try keepToBudget()
    }

    /// The span, in nanoseconds, from which a record is refused in windows of `lengths`: it would cover
    /// more than `maximumWindowsPerRecord` windows of one length.
    static func refusedSpan(lengths: [Int]) -> Int64 {
        guard let shortest = lengths.min() else { return .max }
        let (span, overflow) = maximumWindowsPerRecord.multipliedReportingOverflow(by: Int64(shortest) * Nanoseconds.perSecond)
        return overflow ? .max : span
    }

    /// `round(value * part / whole)`, halves up, exact for any 63-bit value and part; all of `value`
    /// when `part` reaches `whole`.
    static func share(_ value: Int64, of part: Int64, in whole: Int64) -> Int64 {
        guard part < whole else { return value }
        let product = UInt64(value).multipliedFullWidth(by: UInt64(part))
        let (quotient, remainder) = UInt64(whole).dividingFullWidth(product)
        return Int64(quotient) + (remainder >= UInt64(whole) - remainder ? 1 : 0)
    }

    /// Window `index`, opening it (and closing windows two or more behind it) as needed.
    @inline(__always)
    private func window(_ index: Int64, _ lengthSlot: Int) throws -> OpenWindow {
        if let last = open[lengthSlot].last, last.index == index { return last }
        // The open windows are in index order, and records keep many open: found by binary search.
        var position = lowerBound(index, lengthSlot)
        let openBefore = open[lengthSlot].count
        if position < openBefore, open[lengthSlot][position].index == index { return open[lengthSlot][position] }
        if index <= closedThrough[lengthSlot] { latePackets += 1 }
        let newest = max(index, open[lengthSlot].last?.index ?? index)
        // Close what is two or more windows behind the newest (never the window being opened).
        var closing = 0
        while closing < open[lengthSlot].count, open[lengthSlot][closing].index < newest - 1 - extraOpen[lengthSlot],
              open[lengthSlot][closing].index != index {
            try close(open[lengthSlot][closing], lengthSlot)
            closing += 1
        }
        if closing > 0 { open[lengthSlot].removeFirst(closing) }
        memory?.windows += 1
        try keepToBudget()
        if open[lengthSlot].count != openBefore { position = lowerBound(index, lengthSlot) }
        let window = spare.popLast() ?? OpenWindow(index: index)
        window.index = index
        open[lengthSlot].insert(window, at: position)
        return window
    }

    /// Writes an open window and keeps it spare (or frees it); its caller removes it from `open`.
    private func close(_ window: OpenWindow, _ lengthSlot: Int) throws {
        try write(window, lengthSlot, lastWindow: nil)
        closedThrough[lengthSlot] = max(closedThrough[lengthSlot], window.index)
        memory?.release(window.flows.count)
        window.flows.removeAll()
        if spare.count < Self.spareWindows { spare.append(window) }
        if current[lengthSlot]?.flows.toOpaque() == Unmanaged.passUnretained(window.flows).toOpaque() { current[lengthSlot] = nil }
    }

    /// Writes the oldest windows early if the open ones take more than the budget.
    private func keepToBudget() throws {
        if memory?.exceedsBudget() == true { try writeOldestWindows() }
    }

    /// Writes the open windows that start first, of any length, until their memory is a quarter below
    /// the budget (so that the next few windows do not write again at once), or only the newest two of
    /// each length are left: what packets keep open.
    private func writeOldestWindows() throws {
        var closed = Array(repeating: 0, count: clock.lengths.count)
        while memory!.isAboveRelief {
            var oldest: (slot: Int, start: Int64)?
            for slot in 0..<clock.lengths.count where closed[slot] < open[slot].count - 2 {
                let start = clock.start(ofWindow: open[slot][closed[slot]].index, length: clock.lengths[slot])
                if start < oldest?.start ?? .max { oldest = (slot, start) }
            }
            guard let (slot, _) = oldest else { break }
            try close(open[slot][closed[slot]], slot)
            closed[slot] += 1
            memory!.writtenEarly += 1
        }
        for (slot, count) in closed.enumerated() where count > 0 { open[slot].removeFirst(count) }
    }

    /// The position of the first open window of `lengthSlot` whose index is at least `index`.
    private func lowerBound(_ index: Int64, _ lengthSlot: Int) -> Int {
        var (low, high) = (0, open[lengthSlot].count)
        while low < high {
            let middle = (low + high) / 2
            if open[lengthSlot][middle].index < index { low = middle + 1 } else { high = middle }
        }
        return low
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
            pairs.int64(1, orNull: countsFrames ? counters.bytes : nil)
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
            flows.int64(3, orNull: countsFrames ? counters.bytes : nil)
            flows.int64(4, counters.ipBytes)
            flows.int32(3, Int32(counters.tcpFlags))
            try flows.flushIfLarge()
        }
    }

    /// The numbered pair of two addresses (a new address's text is made once, here).
    @inline(__always)
    private func pair(_ source: IPAddress, _ destination: IPAddress) -> PairKey {
        let (sourceNumber, destinationNumber) = addressNumbers.numbers(source, destination) { addressTexts.append($0.description) }
        return PairKey(source: sourceNumber, destination: destinationNumber)
    }
}

/// An estimate of what a flow aggregator's open windows take, so that a budget can be kept without
/// measuring the heap: each window a page of entries and a small index at least, each flow room for
/// two entries (a table's entries double) and four index slots (its index is at most half full and
/// doubles). Measured on a day of conn.log whose windows stayed open for 12 hours (docs/records.md):
/// the process's peak memory beyond what it takes without the long record was within this estimate.
struct OpenWindowMemory {
    let budget: Int
    var windows = 0
    var entries = 0
    var writtenEarly = 0

    static let bytesPerWindow = 8 * 1024
    static let bytesPerEntry = 2 * MemoryLayout<(key: FiveTupleKey, value: FlowCounters)>.stride + 4 * MemoryLayout<UInt32>.stride

    /// The most the open windows took, as seen when the budget was checked.
    private(set) var peak = 0

    var bytes: Int { windows * Self.bytesPerWindow + entries * Self.bytesPerEntry }

    /// Whether the open windows take more than the budget (noting the peak).
    mutating func exceedsBudget() -> Bool {
        peak = max(peak, bytes)
        return bytes > budget
    }
    /// Above where writing windows early stops.
    var isAboveRelief: Bool { bytes > budget / 4 * 3 }

    /// A window of `entries` flows written and emptied.
    mutating func release(_ entries: Int) {
        windows -= 1
        self.entries -= entries
    }
}
