import Table

/// Writes shards one after another: each a complete capture in the input's format (pcap: the input's
/// file header, so the same byte order and timestamp precision; pcapng: the current section header and
/// every interface description seen so far, so each shard stands alone), with every record copied
/// unchanged. When the input is memory-mapped, a shard's consecutive records are one span of the
/// input and go out in one write. Each shard is published (renamed into place) when the next one
/// starts; shards are not fsynced one by one (the caller or the runner syncs the directory once).
final class ShardWriter {
    struct Row {
        var shard: Int
        var fileName: String
        var window: Int64
        var windowStart: Int64?
        var firstPacket: Int64?
        var lastPacket: Int64?
        var packets = 0
        var bytes: Int64 = 0
    }

    private let directory: String
    private let format: CaptureFormat
    private var file: AtomicOutputFile?
    private(set) var rows: [Row] = []
    /// pcapng: the blocks a new shard starts with (section header, interface descriptions).
    private var preamble: [[UInt8]] = []
    private let spansStayValid: Bool
    /// Records not yet written: one contiguous span of the mapped input.
    private var pending: UnsafeRawBufferPointer?

    init(directory: String, format: CaptureFormat, spansStayValid: Bool) {
        self.directory = directory
        self.format = format
        self.spansStayValid = spansStayValid
    }

    private func writePending() throws {
        if let span = pending { try file!.write(span) }
        pending = nil
    }

    var currentPackets: Int { rows.last?.packets ?? 0 }

    /// Starts the next shard (publishing the current one).
    func open(window: Int64, windowStart: Int64?, pcapHeader: [UInt8]) throws {
        try writePending()
        try file?.publish(durable: false)
        let shard = rows.count
        let fileName = "shard-" + String(shard).leftPadded(to: 5) + (format == .pcap ? ".pcap" : ".pcapng")
        let next = try AtomicOutputFile(path: directory + "/" + fileName)
        switch format {
        case .pcap: try next.write(pcapHeader)
        case .pcapng: for block in preamble { try next.write(block) }
        }
        file = next
        rows.append(Row(shard: shard, fileName: fileName, window: window, windowStart: windowStart))
    }

    func write(_ packet: CapturedPacket) throws {
        let record = packet.record
        if spansStayValid {
            if let span = pending, span.baseAddress! + span.count == record.baseAddress! {
                pending = UnsafeRawBufferPointer(start: span.baseAddress, count: span.count + record.count)
            } else {
                try writePending()
                pending = record
            }
        } else {
            try file!.write(record)
        }
        rows[rows.count - 1].packets += 1
        rows[rows.count - 1].bytes += Int64(packet.originalLength)
        if rows[rows.count - 1].firstPacket == nil { rows[rows.count - 1].firstPacket = packet.timestamp }
        rows[rows.count - 1].lastPacket = packet.timestamp
    }

    /// A pcapng block that is not a packet: remembered for later shards if a shard needs it to stand
    /// alone, and written into the current shard.
    func passThrough(_ block: CaptureBlock) throws {
        try writePending()
        let bytes = Array(block.bytes)
        switch block.kind {
        case .sectionHeader: preamble = [bytes]
        case .interfaceDescription: preamble.append(bytes)
        case .other: if file == nil { preamble.append(bytes) }
        }
        try file?.write(bytes)
    }

    func finish() throws {
        try writePending()
        try file?.publish(durable: false)
        file = nil
    }
}
