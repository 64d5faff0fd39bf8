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
        /// Where each kind of damage first happened in each file, after its name (text logs: the line).
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
        // Each record read is taken (counted in the report, its names noted) or refused as damage.
        func take(_ record: FlowRecord) -> Bool {
            if report.records & 0xFFFF == 0 { progress(report.records) }
            // No window's or pair's sum can exceed the files': while that fits 63 bits, so do they.
            let (packets, packetsOverflow) = report.packets.addingReportingOverflow(record.packets)
            let (bytes, bytesOverflow) = report.ipBytes.addingReportingOverflow(record.ipBytes)
            guard !packetsOverflow, !bytesOverflow else {
                counters.record("damaged.record_total_beyond_2^63", packet: report.records)
                return false
            }
            guard FlowAggregator.accepts(record, lengths: windowLengths) else {
                counters.record("damaged.record_spans_too_many_windows", packet: report.records)
                return false
            }
            report.records += 1
            (report.packets, report.ipBytes) = (packets, bytes)
            if record.names != nil { report.entities.observe(record) }
            return true
        }
        // Each file's reader counts its damage from its own first record: moved on by the records the
        // readers before it delivered.
        var delivered = 0
        func readEveryFile(_ consume: (FlowRecord) throws -> Void) throws {
            for (path, format) in zip(paths, formats) {
                let reader = try Self.open(path, format)
                var read = 0
                try reader.read { record in
                    read += 1
                    try consume(record)
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
            try readEveryFile { record in if take(record) { try aggregator.add(record) } }
        } else {
            // Records need not come in time order: the windows' origin is the earliest start in all
            // the files, so the records wait in a scratch file until it is known.
            let spill = try RecordSpill(directory: directory)
            var earliest: Int64?
            try readEveryFile { record in
                guard take(record) else { return }
                earliest = min(earliest ?? record.start, record.start)
                try spill.append(record)
            }
            let origin = earliest.map { WindowClock.origin(firstPacket: $0, alignedTo: align ? windowLengths.max() : nil) } ?? 0
            (aggregator, tables) = try open(directory, origin: origin)
            try spill.forEach { try aggregator.add($0) }
        }
        report.origin = aggregator.clock.origin
        try aggregator.finish()
        if aggregator.latePackets > 0 { counters.record("late_windows", count: aggregator.latePackets, packet: nil) }
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
                                        countsFrames: false)
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
