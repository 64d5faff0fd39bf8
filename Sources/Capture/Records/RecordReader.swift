/// A reader of one flow record format: the records in file order, and what it could not use.
protocol RecordReader: AnyObject {
    /// Calls `body` with every record that can be counted.
    func read(_ body: (FlowRecord) throws -> Void) throws
    /// Calls `body` with the start of every record, for the earliest: a reader may read less for it.
    func readStarts(_ body: (Int64) -> Void) throws
    /// What could not be used, by name (summary.parquet's `damaged.*`); `firstPacket` holds the
    /// number of records delivered before the first.
    var damage: PacketCounters { get }
    /// Counts that describe the input (messages, templates, lines), for the summary.
    var tallies: [(String, Int)] { get }
    /// Where each kind of damage first happened, for the person at the terminal.
    var warnings: [String] { get }
    /// Whether a gzip or zstd stream ended inside a member or frame.
    var compressionEndedEarly: Bool { get }
}

extension RecordReader {
    func readStarts(_ body: (Int64) -> Void) throws {
        try read { body($0.start) }
    }
}

/// The fields of one line of a text log, split at a separator, as ranges of the line.
struct LineFields {
    /// More fields than any log has: a line past it is not split further.
    static let most = 1024

    private(set) var starts: [Int] = []
    private(set) var ends: [Int] = []

    var count: Int { ends.count }

    /// Splits `line` at `separator`; false for a line of more than `most` fields.
    mutating func split(_ line: UnsafeRawBufferPointer, at separator: UInt8) -> Bool {
        starts.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        var start = 0
        for (index, byte) in line.enumerated() where byte == separator {
            starts.append(start)
            ends.append(index)
            start = index + 1
            if ends.count > Self.most { return false }
        }
        starts.append(start)
        ends.append(line.count)
        return true
    }

    /// Field `index` of `line`.
    func field(_ index: Int, of line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: line[starts[index]..<ends[index]])
    }
}

/// A text log's damage: counted by name, the first line of each kind kept as a warning.
struct LineDamage {
    private(set) var counters = PacketCounters()
    private(set) var warnings: [String] = []

    /// Counts damage `name` at line `line`, `delivered` records in.
    mutating func record(_ name: String, _ detail: String, line: Int, delivered: Int) {
        if counters.entries[name] == nil { warnings.append("line \(line): \(detail) (counted as damaged.\(name))") }
        counters.record(name, packet: delivered)
    }

    /// Counts lines skipped for their length.
    mutating func recordLongLines(_ count: Int) {
        if count > 0 { counters.record("line_too_long", count: count, packet: nil) }
    }
}
