import Dispatch
import Synchronization
import Table
import SystemSupport

/// Writes shards one after another: each a complete capture in the input's format (pcap: the input's
/// file header, so the same byte order and timestamp precision; pcapng: the current section header and
/// every interface description seen so far, so each shard stands alone), with every record copied
/// unchanged. When the input is a file stored uncompressed, a shard's consecutive records are one range
/// of it, written into the shard straight from the input's mapping (`AtomicOutputFile.append`): the
/// kernel copies them once, as `cp` does. Each shard is published (renamed into place) when the next
/// one starts; shards are not fsynced one by one (the caller or the runner syncs the directory once).
///
/// The files are created, filled and published on two more threads (`ShardFiles`): the reader parses
/// the next records while the kernel copies the last ones.
///
/// As an index (`ranges`, for an input stored uncompressed), no file is written: each shard is the
/// bytes of the input its file would hold, the header blocks it needs (pcap: the file header; pcapng:
/// the section header and interface descriptions so far) and one range of records and blocks.
final class ShardWriter {
    struct Row {
        var shard: Int
        /// The shard's file; nil for a shard of the index.
        var fileName: String?
        /// Index: the input's bytes after the header: the shard's records and blocks, in order.
        var range: Range<Int>?
        /// Index: where the header blocks lie in the input.
        var header: [Range<Int>] = []
        var window: Int64
        var windowStart: Int64?
        var firstPacket: Int64?
        var lastPacket: Int64?
        var packets = 0
        var bytes: Int64 = 0
    }

    private let directory: String
    private let format: CaptureFormat
    private let files = ShardFiles()
    /// The shards written so far, in order; complete after `finish`.
    private(set) var rows: [Row] = []
    // Updated for every packet, from one thread, never across a call that could re-enter: exclusivity
    // checks on them were a tenth of the reading thread's time (perf), so they are off.
    /// The open shard's row.
    @exclusivity(unchecked) private var current: Row?
    /// pcapng: the blocks a new shard starts with (section header, interface descriptions), and
    /// where they lie in the input.
    private var preamble: [(bytes: [UInt8], offset: Int)] = []
    /// Whether the shards are an index of byte ranges rather than files.
    private let ranges: Bool
    /// Index: where the last shard's bytes ended (an empty shard is an empty range there).
    private var lastEnd = 0
    /// The input file, when records' stream offsets are offsets in it.
    private let storedInput: MappedSourceFile?
    /// Records of `storedInput` not yet handed over: one contiguous range.
    @exclusivity(unchecked) private var pendingRange: Range<Int>?
    /// Records of a decompressed input not yet handed over, copied out of the reader's buffer.
    private var pendingBytes: [UInt8] = []
    private static let handOverBytes = 1 << 20

    /// `ranges`: write an index instead of files; needs `storedInput`.
    init(directory: String, format: CaptureFormat, storedInput: MappedSourceFile?, ranges: Bool = false) {
        precondition(!ranges || storedInput != nil)
        self.directory = directory
        self.format = format
        self.storedInput = storedInput
        self.ranges = ranges
    }

    /// A split that stopped early (a damaged input) leaves what it handed over written when it returns.
    deinit { files.waitForJobs() }

    private func handOver() throws {
        if let range = pendingRange, let storedInput {
            try files.append(range, of: storedInput)
        } else if !pendingBytes.isEmpty {
            try files.write(pendingBytes)
        }
        pendingRange = nil
        pendingBytes = []
    }

    var currentPackets: Int { current?.packets ?? 0 }

    /// Starts the next shard (publishing the current one).
    func open(window: Int64, windowStart: Int64?, pcapHeader: [UInt8]) throws {
        try handOver()
        closeCurrent()
        let shard = rows.count
        if ranges {
            let header = format == .pcap ? [0..<pcapHeader.count] : preamble.map { $0.offset..<($0.offset + $0.bytes.count) }
            lastEnd = max(lastEnd, header.last?.upperBound ?? 0)
            current = Row(shard: shard, header: header, window: window, windowStart: windowStart)
            return
        }
        let fileName = "shard-" + String(shard).leftPadded(to: 5) + (format == .pcap ? ".pcap" : ".pcapng")
        try files.start(path: directory + "/" + fileName, header: format == .pcap ? pcapHeader : preamble.flatMap(\.bytes))
        current = Row(shard: shard, fileName: fileName, window: window, windowStart: windowStart)
    }

    /// Ends the current shard's row (an index's empty shard: an empty range where the last one ended).
    private func closeCurrent() {
        guard var row = current else { return }
        if ranges {
            row.range = row.range ?? lastEnd..<lastEnd
            lastEnd = row.range!.upperBound
        }
        rows.append(row)
        current = nil
    }

    /// Index: adds the input's bytes `bytes` to the current shard's range.
    private func extendRange(_ bytes: Range<Int>) throws {
        guard bytes.lowerBound >= (current!.range?.upperBound ?? lastEnd) else {
            // A pcapng file's simple packet blocks before its first timestamp are delivered late.
            throw CaptureError.invalidArgument("the records of shard \(current!.shard) do not follow one another in the file "
                                               + "(simple packet blocks held back for a time): cut this capture into files, without --index")
        }
        current!.range = (current!.range?.lowerBound ?? bytes.lowerBound)..<bytes.upperBound
    }

    func write(_ packet: CapturedPacket) throws {
        if ranges {
            try extendRange(packet.recordOffset..<packet.recordOffset + packet.record.count)
        } else if storedInput == nil {
            pendingBytes.append(contentsOf: packet.record)
            if pendingBytes.count >= Self.handOverBytes { try handOver() }
        } else {
            let record = packet.recordOffset..<packet.recordOffset + packet.record.count
            if let range = pendingRange, range.upperBound == record.lowerBound {
                pendingRange = range.lowerBound..<record.upperBound
            } else {
                try handOver()
                pendingRange = record
            }
        }
        current!.packets += 1
        current!.bytes += Int64(packet.originalLength)
        if current!.firstPacket == nil { current!.firstPacket = packet.timestamp }
        current!.lastPacket = packet.timestamp
    }

    /// A pcapng block that is not a packet: remembered for later shards if a shard needs it to stand
    /// alone, and written into the current shard.
    func passThrough(_ block: CaptureBlock) throws {
        try handOver()
        let bytes = Array(block.bytes)
        switch block.kind {
        case .sectionHeader: preamble = [(bytes, block.offset)]
        case .interfaceDescription: preamble.append((bytes, block.offset))
        case .other: if current == nil { preamble.append((bytes, block.offset)) }
        }
        guard current != nil else { return }
        if ranges {
            try extendRange(block.offset..<block.offset + bytes.count)
        } else {
            try files.write(bytes)
        }
    }

    /// Publishes the last shard and waits for every file to be written; throws the first failure.
    func finish() throws {
        try handOver()
        closeCurrent()
        try files.finish()
    }
}

/// The shard files, written on two serial queues (lanes) that take the shards in turn: one lane
/// creates or publishes a file while the other copies (on the bench capture, when shards were
/// filled with copy_file_range, best of 6: one lane 1.18 s, two 0.85 s, four 0.78 s, in a slow spell
/// of the machine; with mapped writes, 6 interleaved rounds showed no lane count ahead of two).
/// Within a lane the jobs run in the order they arrive. A failure stops every later job and is thrown
/// to the reader at its next call. At most `inFlight` jobs wait, so memory stays bounded when the
/// disk is slower than the reader.
///
/// `@unchecked Sendable`: a lane's `current` is touched only on its queue; `failure` is behind a mutex.
private final class ShardFiles: @unchecked Sendable {
    private final class Lane: @unchecked Sendable {
        let queue: DispatchQueue
        var current: AtomicOutputFile?

        init(_ number: Int) {
            queue = DispatchQueue(label: "mimir-split.shards.\(number)")
        }
    }

    private let lanes = [Lane(0), Lane(1)]
    /// The lane of the shard being written; nil before the first.
    private var lane: Lane?
    private var shards = 0
    private let slots = DispatchSemaphore(value: ShardFiles.inFlight)
    private static let inFlight = 64
    private let failure = Mutex<(any Error)?>(nil)

    func start(path: String, header: [UInt8]) throws {
        try publishCurrent()
        let next = lanes[shards % lanes.count]
        shards += 1
        lane = next
        try submit(on: next) { lane in
            let file = try AtomicOutputFile(path: path)
            try file.write(header)
            lane.current = file
        }
    }

    func append(_ range: Range<Int>, of source: MappedSourceFile) throws {
        try submit(on: lane!) { try $0.current!.append(range, of: source) }
    }

    func write(_ bytes: [UInt8]) throws {
        try submit(on: lane!) { try $0.current!.write(bytes) }
    }

    func finish() throws {
        try publishCurrent()
        waitForJobs()
        try throwFailure()
    }

    func waitForJobs() {
        for lane in lanes { lane.queue.sync {} }
    }

    private func publishCurrent() throws {
        guard let lane else { return }
        try submit(on: lane) { lane in
            try lane.current?.publish(durable: false)
            lane.current = nil
        }
    }

    private func submit(on lane: Lane, _ job: @escaping @Sendable (Lane) throws -> Void) throws {
        try throwFailure()
        slots.wait()
        lane.queue.async {
            defer { self.slots.signal() }
            guard self.failure.withLock({ $0 == nil }) else { return }
            do { try job(lane) } catch let error { self.failure.withLock { $0 = error } }
        }
    }

    private func throwFailure() throws {
        if let error = failure.withLock({ $0 }) { throw error }
    }
}
