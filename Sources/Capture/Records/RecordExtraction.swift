import Contract
import Table

/// What `mimir-records` does: reads a file of flow records and writes the tables mimir-flows writes
/// from a capture (`pairs.parquet`, `flows.parquet`, `summary.parquet`), for every window length at
/// once, counting IP bytes (`bytes` stays null: records know no frames) and recording the `records`
/// observation. A record's packets and bytes are spread over the windows it overlaps (docs/records.md).
///
/// Records need not come in time order, so without `--origin` they are counted once the whole file
/// has been read and its earliest start (the windows' origin) is known (`RecordSpill`).
public struct RecordExtraction: Sendable {
    public var windowLengths: [Int]
    /// The origin in nanoseconds; nil: the earliest record's start (or with `align` the epoch multiple
    /// of the longest window at or before it).
    public var origin: Int64?
    public var align: Bool
    /// The stage's declared implementation version, written into the tables' provenance.
    public var version: String
    /// Bytes the open windows may take (docs/records.md, "Speed and memory"): a record keeps open the
    /// windows it spans, and one connection logged after a day would otherwise keep the whole day's.
    public var windowMemory: Int

    public static let defaultWindowMemory = 256 << 20

    public init(windowLengths: [Int], origin: Int64? = nil, align: Bool = false, version: String,
                windowMemory: Int = Self.defaultWindowMemory) {
        self.windowLengths = windowLengths
        self.origin = origin
        self.align = align
        self.version = version
        self.windowMemory = windowMemory
    }

    /// What a run saw, for the one-line summary and the tests.
    public struct Report: Sendable {
        /// Records counted (one per direction that carried traffic).
        public var records = 0
        public var packets: Int64 = 0
        public var ipBytes: Int64 = 0
        /// Every counter of `summary.parquet`, by name: its value and first record.
        public var counters: [String: (value: Int64, firstRecord: Int?)] = [:]
        /// Where each kind of damage first happened in each file, after its name (text logs: the line).
        public var warnings: [String] = []
        /// The pods and services the records name.
        public var entities = RecordEntities()
        public var origin: Int64?
        /// The most the open windows took (estimated bytes; see `windowMemory`).
        public var windowMemoryPeak = 0
    }

    public var parameters: JSONValue {
        var params: [String: JSONValue] = [
            "windows": .array(windowLengths.sorted().map { .int(Int64($0)) }),
            "align": .bool(align),
        ]
        params["origin"] = origin.map { .string(EpochSeconds.format($0)) } ?? .null
        return .object(params)
    }

    /// Reads the files at `paths`, in order, as one stream of records (rotated logs, a collector's
    /// files), and writes the three tables into `directory`. The files hold one kind of records:
    /// IPFIX, Zeek conn.log (either layout) or VPC flow logs.
    /// - Parameter progress: called now and then with the records read so far.
    public func run(recordsPaths paths: [String], directory: String, progress: (Int) -> Void = { _ in }) throws -> Report {
        try CaptureError.checkWindowLengths(windowLengths)
        guard let first = paths.first else { throw CaptureError.invalidArgument("no flow records file given") }
        // Every file is recognised before any is read: a wrong one fails the run at once.
        let formats = try paths.map(Self.format(of:))
        if let (path, format) = zip(paths, formats).first(where: { $0.1.kind != formats[0].kind }) {
            throw CaptureError.invalidArgument("\(first) holds \(formats[0].kind) but \(path) holds \(format.kind): "
                                               + "give mimir-records one kind of flow records at a time")
        }
        var report = Report()
        var counters = PacketCounters()
        let intake = RecordIntake(refusedSpan: FlowAggregator.refusedSpan(lengths: windowLengths))
        // Each record read is taken (counted, its names noted) or refused as damage.
        func take(_ record: FlowRecord, _ names: RecordNames?) -> Bool {
            if intake.records & 0xFFFF == 0 { progress(intake.records) }
            if let refusal = intake.refusal(of: record) {
                counters.record(refusal, packet: intake.records)
                return false
            }
            if let names { report.entities.observe(record, names) }
            return true
        }
        // Each file's reader counts its damage from its own first record: moved on by the records the
        // readers before it delivered.
        var delivered = 0
        func readEveryFile(_ consume: (FlowRecord, RecordNames?) throws -> Void) throws {
            for (path, format) in zip(paths, formats) {
                let reader = try Self.open(path, format)
                var read = 0
                try reader.read { record, names in
                    read += 1
                    try consume(record, names)
                }
                counters.merge(reader.damage, prefix: "damaged.", after: delivered)
                if reader.compressionEndedEarly { counters.record("damaged.compressed_stream_truncated", packet: delivered + read) }
                counters.record("format.\(format.rawValue)", count: 1, packet: nil)
                for (name, value) in reader.tallies { counters.record(name, count: value, packet: nil) }
                report.warnings += reader.warnings.map { "\(path): \($0)" }
                delivered += read
            }
        }
        let aggregator: FlowAggregator, tables: FlowTableSet
        if let origin {
            (aggregator, tables) = try open(directory, origin: origin)
            try readEveryFile { record, names in if take(record, names) { try aggregator.add(record) } }
        } else {
            // Records need not come in time order: the windows' origin is the earliest start in all
            // the files, so the records wait in a scratch file until it is known.
            let spill = try RecordSpill(directory: directory)
            try readEveryFile { record, names in
                if take(record, names) { try spill.append(record) }
            }
            let origin = intake.earliest.map { WindowClock.origin(firstPacket: $0, alignedTo: align ? windowLengths.max() : nil) } ?? 0
            (aggregator, tables) = try open(directory, origin: origin)
            try spill.forEach { try aggregator.add($0) }
        }
        report.origin = aggregator.clock.origin
        try aggregator.finish()
        report.windowMemoryPeak = aggregator.windowMemoryPeak ?? 0
        if aggregator.latePackets > 0 { counters.record("late_windows", count: aggregator.latePackets, packet: nil) }
        if aggregator.windowsWrittenEarly > 0 {
            counters.record("windows_written_early", count: aggregator.windowsWrittenEarly, packet: nil)
            let budget = windowMemory % (1 << 20) == 0 ? "\(windowMemory >> 20) MiB" : "\(windowMemory >> 10) KiB"
            report.warnings.append("\(aggregator.windowsWrittenEarly) windows were written before the longest record's reach had passed "
                                   + "them, as the open windows took over \(budget): a record reaching one later added its rows again "
                                   + "(late_windows), which readers sum")
        }
        (report.records, report.packets, report.ipBytes) = (intake.records, intake.packets, intake.ipBytes)
        counters.record("records", count: report.records, packet: nil)
        counters.record("ip_packets", count: Int(report.packets), packet: nil)
        counters.record("ip_bytes", count: Int(report.ipBytes), packet: nil)
        report.counters = counters.entries.mapValues { (Int64($0.count), $0.firstPacket) }
        try tables.close(summary: counters)
        return report
    }

    /// The tables in `directory` and the aggregator that fills them, for windows from `origin`.
    private func open(_ directory: String, origin: Int64) throws -> (FlowAggregator, FlowTableSet) {
        let tables = try FlowTableSet(directory: directory, stage: FlowTables.recordsStage, version: version, parameters: parameters,
                                      origin: origin, observation: Observation(source: .records))
        let aggregator = FlowAggregator(clock: WindowClock(origin: origin, lengths: windowLengths), pairs: tables.pairs, flows: tables.flows,
                                        countsFrames: false, memoryBudget: windowMemory)
        return (aggregator, tables)
    }

    /// The file's format, from its first 64 KiB, or an error naming the file and saying what it looks like.
    static func format(of path: String) throws -> RecordFormat {
        let input = BufferedInput(try openByteSource(path: path).0, capacity: 1 << 16)
        _ = try input.request(1 << 16)
        switch RecordFormat.detect(Array(input.window.prefix(1 << 16))) {
        case let .success(format): return format
        case let .failure(failure): throw CaptureError.notFlowRecords(path: path, detail: failure.detail)
        }
    }

    static func open(_ path: String, _ format: RecordFormat) throws -> RecordReader {
        let input = BufferedInput(try openByteSource(path: path).0)
        switch format {
        case .ipfix: return IPFIXReader(input)
        case .zeekTSV: return ZeekConnReader(TextLines(input), layout: .tsv, path: path)
        case .zeekJSON: return ZeekConnReader(TextLines(input), layout: .json, path: path)
        case .vpcFlowLog: return VPCFlowLogReader(TextLines(input), path: path)
        }
    }

}

/// The records a run counts, and their totals. A record is refused (as damage) when the totals
/// would pass 2^63 (no window's or pair's sum can exceed the files': while that fits 63 bits, so do
/// they) or when it spans too many windows. Asked about every record, from one thread: dynamic
/// exclusivity checks are off, as in the flow aggregator.
private final class RecordIntake {
    private let refusedSpan: Int64
    @exclusivity(unchecked) private(set) var records = 0
    @exclusivity(unchecked) private(set) var packets: Int64 = 0
    @exclusivity(unchecked) private(set) var ipBytes: Int64 = 0
    /// The earliest start counted.
    @exclusivity(unchecked) private(set) var earliest: Int64?

    init(refusedSpan: Int64) {
        self.refusedSpan = refusedSpan
    }

    /// Nil for a record counted (added to the totals); otherwise the damage's name.
    func refusal(of record: FlowRecord) -> String? {
        let (packets, packetsOverflow) = self.packets.addingReportingOverflow(record.packets)
        let (bytes, bytesOverflow) = ipBytes.addingReportingOverflow(record.ipBytes)
        guard !packetsOverflow, !bytesOverflow else { return "damaged.record_total_beyond_2^63" }
        guard record.end - record.start < refusedSpan else { return "damaged.record_spans_too_many_windows" }
        records += 1
        (self.packets, ipBytes) = (packets, bytes)
        earliest = min(earliest ?? record.start, record.start)
        return nil
    }
}
