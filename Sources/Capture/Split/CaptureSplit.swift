import Table
import SystemSupport
import Contract

/// What `mimir-split` does: cuts a capture into shards as `editcap` does, copying every record
/// unchanged, and describes them in `shards.parquet`.
///
/// Interval mode follows `editcap -i` exactly (measured against editcap 4.0): the first shard runs
/// from the first packet `t0` to `t0 + T` inclusive, shard k holds packets with `t0 + kT < ts <= t0 +
/// (k+1)T`, and a packet goes to the shard of the stream position it arrives at: an out-of-order
/// packet stays in the current shard (counted under `out_of_order`). Time that passes without packets
/// gives header-only shards, as editcap does, unless `skipEmpty`. With `align`, `t0` is the epoch
/// multiple of T at or before the first packet.
public struct CaptureSplit: Sendable {
    public enum Mode: Sendable, Equatable {
        /// Shards of `nanoseconds` of capture time (`editcap -i`).
        case interval(nanoseconds: Int64)
        /// Shards of `packets` packets (`editcap -c`).
        case count(packets: Int)
    }

    public var mode: Mode
    public var align: Bool
    /// Only packets at or after this time (`editcap -A`), nanoseconds since the epoch.
    public var start: Int64?
    /// Only packets before this time (`editcap -B`).
    public var stop: Int64?
    public var skipEmpty: Bool
    /// Describe the shards as byte ranges of the input (an index) instead of writing them, where the
    /// input is stored uncompressed; a compressed input is still cut into files.
    public var index: Bool
    /// Most empty shards in a row before the split is refused (a clock jump, not a real gap).
    public var maxEmptyRun: Int
    public var version: String

    public init(mode: Mode, align: Bool = false, start: Int64? = nil, stop: Int64? = nil, skipEmpty: Bool = false, index: Bool = false,
                maxEmptyRun: Int = 10_000, version: String) {
        self.mode = mode
        self.align = align
        self.start = start
        self.stop = stop
        self.skipEmpty = skipEmpty
        self.index = index
        self.maxEmptyRun = maxEmptyRun
        self.version = version
    }

    public struct Report: Sendable {
        public var packetsRead = 0
        public var packetsWritten = 0
        public var shards = 0
        public var origin: Int64?
        public var counters = PacketCounters()
        public var truncation: Truncation?
        /// The reader's warnings about the file as a whole.
        public var warnings: [String] = []
    }

    public var parameters: JSONValue {
        var params: [String: JSONValue] = ["align": .bool(align), "skip_empty": .bool(skipEmpty), "index": .bool(index)]
        switch mode {
        case let .interval(nanoseconds): params["interval"] = .string(EpochSeconds.format(nanoseconds))
        case let .count(packets): params["count"] = .int(Int64(packets))
        }
        params["start"] = start.map { .string(EpochSeconds.format($0)) } ?? .null
        params["stop"] = stop.map { .string(EpochSeconds.format($0)) } ?? .null
        return .object(params)
    }

    public func run(capturePath: String, directory: String, progress: (Int, Int64) -> Void = { _, _ in }) throws -> Report {
        switch mode {
        case let .interval(nanoseconds) where nanoseconds <= 0:
            throw CaptureError.invalidArgument("the split interval must be above zero")
        case let .count(packets) where packets <= 0:
            throw CaptureError.invalidArgument("the packets per shard must be above zero")
        default:
            break
        }
        // A range holds every record between its ends: packets that --start and --stop leave out would count.
        if index && (start != nil || stop != nil) {
            throw CaptureError.invalidArgument("an index of byte ranges cannot leave packets out: give --start and --stop without --index")
        }
        let reader = try CaptureReader(path: capturePath)
        let storedInput = try reader.storedFile.map { try MappedSourceFile(descriptor: $0, path: capturePath) }
        let shards = ShardWriter(directory: directory, format: reader.format, storedInput: storedInput, ranges: index && storedInput != nil)
        var report = Report()
        var bytesRead: Int64 = 0
        var blockEnd: Int64 = 0
        var currentWindow: Int64 = 0
        var latest = Int64.min
        var outOfOrder = Tally()

        try reader.read(onBlock: { block in
            try shards.passThrough(block)
        }, onPacket: { packet in
            report.packetsRead += 1
            bytesRead += Int64(packet.originalLength)
            if packet.index & 0xFFFF == 0 { progress(packet.index, bytesRead) }
            if let start, packet.timestamp < start { return }
            if let stop, packet.timestamp >= stop { return }
            if packet.timestamp < latest { outOfOrder.add(packet: packet.index) }
            latest = max(latest, packet.timestamp)

            if report.origin == nil {
                let origin: Int64
                switch mode {
                case let .interval(interval):
                    origin = align ? floorDivide(packet.timestamp, interval) * interval : packet.timestamp
                    blockEnd = origin + interval
                case .count:
                    origin = packet.timestamp
                }
                report.origin = origin
                try shards.open(window: 0, windowStart: origin, pcapHeader: reader.pcapFileHeader)
            }
            switch mode {
            case let .interval(interval):
                // editcap moves to the next shard while the packet lies beyond the current one's end.
                if packet.timestamp > blockEnd {
                    let steps = (packet.timestamp - blockEnd - 1) / interval + 1
                    guard skipEmpty || steps - 1 <= Int64(maxEmptyRun) else {
                        throw CaptureError.invalidArgument("""
                            \(capturePath): packet \(packet.index) comes \(EpochSeconds.format(packet.timestamp - blockEnd)) s after \
                            the end of its shard, which would leave \(steps - 1) empty shards in a row (more than \(maxEmptyRun)); \
                            use --skip-empty to write only shards with packets
                            """)
                    }
                    if !skipEmpty {
                        for step in 1..<steps {
                            try shards.open(window: currentWindow + step, windowStart: blockEnd + (step - 1) * interval,
                                            pcapHeader: reader.pcapFileHeader)
                        }
                    }
                    currentWindow += steps
                    blockEnd += steps * interval
                    try shards.open(window: currentWindow, windowStart: blockEnd - interval, pcapHeader: reader.pcapFileHeader)
                }
            case let .count(packets):
                if shards.currentPackets == packets {
                    currentWindow += 1
                    try shards.open(window: currentWindow, windowStart: nil, pcapHeader: reader.pcapFileHeader)
                }
            }
            try shards.write(packet)
            report.packetsWritten += 1
        })
        report.truncation = reader.truncation
        report.warnings = reader.warnings
        report.counters.record("out_of_order", outOfOrder)
        report.counters.merge(reader.damage)
        if let truncation = reader.truncation { report.counters.record("truncated", packet: truncation.packetsRead) }
        try shards.finish()
        report.shards = shards.rows.count
        try writeTable(shards.rows, origin: report.origin, counters: report.counters,
                       input: storedInput.map { (RelativePath.of(capturePath, from: directory) ?? capturePath, $0.mappedSize) },
                       to: directory + "/shards.parquet")
        return report
    }

    /// `input`: the stored input, as a path from `directory`, and its size.
    private func writeTable(_ rows: [ShardWriter.Row], origin: Int64?, counters: PacketCounters, input: (path: String, size: Int)?,
                            to path: String) throws {
        let interval: Int64? = if case let .interval(nanoseconds) = mode { nanoseconds } else { nil }
        let originText = origin.map(EpochSeconds.format) ?? ""
        var extra = [KeyValue(key: WindowColumns.originKey, value: originText), KeyValue(key: "mimir.counters", value: counters.summary)]
        // An index names its input, and its size: the ranges hold only for the input as it was.
        if rows.contains(where: { $0.range != nil }), let input {
            extra += [KeyValue(key: SplitTable.inputKey, value: input.path), KeyValue(key: SplitTable.inputSizeKey, value: String(input.size))]
        }
        let provenance = try Provenance(stage: SplitTable.stage, version: version, schemaVersion: SplitTable.schemaVersion,
                                        params: parameters, extra: extra)
        let micros = { (nanoseconds: Int64) in floorDivide(nanoseconds, 1000) }
        let last = rows.count - 1
        let columns: [ColumnArray] = [
            ColumnArray(rows.map { Int32($0.shard) }),
            ColumnArray(rows.map(\.fileName)),
            ColumnArray(.int64(rows.map { _ in micros(origin ?? 0) })),
            ColumnArray(rows.map { interval == nil ? nil : $0.window }),
            ColumnArray(rows.map { $0.windowStart.map(micros) }),
            ColumnArray(rows.map { row -> Int64? in
                guard let interval, let start = row.windowStart else { return nil }
                return micros(start + interval)
            }),
            ColumnArray(rows.map { $0.firstPacket.map(micros) }),
            ColumnArray(rows.map { $0.lastPacket.map(micros) }),
            ColumnArray(rows.map { Int64($0.packets) }),
            ColumnArray(rows.map { $0.bytes }),
            ColumnArray(rows.indices.map { $0 == 0 || $0 == last }),
            ColumnArray(rows.map { $0.range.map { Int64($0.lowerBound) } }),
            ColumnArray(rows.map { $0.range.map { Int64($0.count) } }),
            ColumnArray(rows.map { row in row.range == nil ? nil : CaptureRange.text(row.header) }),
        ]
        let writer = try TableWriter(path: path, schema: SplitTable.schema, metadata: provenance.keyValues)
        try writer.write(TableBatch(schema: SplitTable.schema, columns: columns))
        try writer.close()
    }
}
