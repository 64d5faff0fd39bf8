import Contract
import Table

/// What `mimir-records` does: reads a file of flow records and writes the tables mimir-flows writes
/// from a capture (`pairs.parquet`, `flows.parquet`, `summary.parquet`), for every window length at
/// once, counting IP bytes (`bytes` stays null: records know no frames) and recording the `records`
/// observation. A record's packets and bytes are spread over the windows it overlaps (docs/records.md).
///
/// Records need not come in time order, so without `--origin` the file is read twice: once for the
/// earliest start (the windows' origin), once to count.
public struct RecordExtraction: Sendable {
    public var windowLengths: [Int]
    /// The origin in nanoseconds; nil: the earliest record's start (or with `align` the epoch multiple
    /// of the longest window at or before it).
    public var origin: Int64?
    public var align: Bool
    /// The stage's declared implementation version, written into the tables' provenance.
    public var version: String

    public init(windowLengths: [Int], origin: Int64? = nil, align: Bool = false, version: String) {
        self.windowLengths = windowLengths
        self.origin = origin
        self.align = align
        self.version = version
    }

    /// What a run saw, for the one-line summary and the tests.
    public struct Report: Sendable {
        /// Records counted (one per direction that carried traffic).
        public var records = 0
        public var packets: Int64 = 0
        public var ipBytes: Int64 = 0
        /// Every counter of `summary.parquet`, by name: its value and first record.
        public var counters: [String: (value: Int64, firstRecord: Int?)] = [:]
        /// Where each kind of damage first happened (text logs: the line).
        public var warnings: [String] = []
        /// The pods and services the records name.
        public var entities = RecordEntities()
        public var origin: Int64?
    }

    public var parameters: JSONValue {
        var params: [String: JSONValue] = [
            "windows": .array(windowLengths.sorted().map { .int(Int64($0)) }),
            "align": .bool(align),
        ]
        params["origin"] = origin.map { .string(EpochSeconds.format($0)) } ?? .null
        return .object(params)
    }

    /// Reads `path` and writes the three tables into `directory`.
    /// - Parameter progress: called now and then with the records read so far.
    public func run(recordsPath path: String, directory: String, progress: (Int) -> Void = { _ in }) throws -> Report {
        try CaptureError.checkWindowLengths(windowLengths)
        var report = Report()
        let format = try Self.format(of: path)
        let origin = try self.origin ?? Self.earliestStart(path, format).map {
            WindowClock.origin(firstPacket: $0, alignedTo: align ? windowLengths.max() : nil)
        } ?? 0
        report.origin = origin
        let tables = try FlowTableSet(directory: directory, stage: FlowTables.recordsStage, version: version, parameters: parameters,
                                      origin: origin, observation: Observation(source: .records))
        let aggregator = FlowAggregator(clock: WindowClock(origin: origin, lengths: windowLengths), pairs: tables.pairs, flows: tables.flows,
                                        countsFrames: false)
        var counters = PacketCounters()
        let reader = try Self.open(path, format)
        try reader.read { record in
            if report.records & 0xFFFF == 0 { progress(report.records) }
            // No window's or pair's sum can exceed the file's: while that fits 63 bits, so do they.
            let (packets, packetsOverflow) = report.packets.addingReportingOverflow(record.packets)
            let (bytes, bytesOverflow) = report.ipBytes.addingReportingOverflow(record.ipBytes)
            guard !packetsOverflow, !bytesOverflow else {
                counters.record("damaged.record_total_beyond_2^63", packet: report.records)
                return
            }
            guard try aggregator.add(record) else {
                counters.record("damaged.record_spans_too_many_windows", packet: report.records)
                return
            }
            report.records += 1
            (report.packets, report.ipBytes) = (packets, bytes)
            if record.sourcePod != nil || record.destinationPod != nil || record.destinationService != nil { report.entities.observe(record) }
        }
        try aggregator.finish()
        counters.merge(reader.damage, prefix: "damaged.")
        if reader.compressionEndedEarly { counters.record("damaged.compressed_stream_truncated", packet: report.records) }
        if aggregator.latePackets > 0 { counters.record("late_windows", count: aggregator.latePackets, packet: nil) }
        counters.record("format.\(format.rawValue)", count: 1, packet: nil)
        for (name, value) in reader.tallies { counters.record(name, count: value, packet: nil) }
        report.warnings = reader.warnings
        counters.record("records", count: report.records, packet: nil)
        counters.record("ip_packets", count: Int(report.packets), packet: nil)
        counters.record("ip_bytes", count: Int(report.ipBytes), packet: nil)
        report.counters = counters.entries.mapValues { (Int64($0.count), $0.firstPacket) }
        try tables.close(summary: counters)
        return report
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

    /// The earliest start of any record, or nil for a file without one.
    private static func earliestStart(_ path: String, _ format: RecordFormat) throws -> Int64? {
        var earliest: Int64?
        try open(path, format).readStarts { earliest = min(earliest ?? $0, $0) }
        return earliest
    }
}
