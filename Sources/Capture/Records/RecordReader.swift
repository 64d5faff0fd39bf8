/// A reader of one flow record format: the records in file order, and what it could not use.
protocol RecordReader: AnyObject {
    /// Calls `body` with every record that can be counted, and what it says of its endpoints (nil for
    /// most records).
    func read(_ body: (FlowRecord, RecordNames?) throws -> Void) throws
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

/// The fields of one line of a text log, split at a separator, as ranges of the line. Kept in memory
/// of its own, allocated once: splitting is the text readers' hottest loop.
final class LineFields {
    /// More fields than any log has: a line past it is not split further.
    static let most = 1024

    /// Field i runs from `bounds[2i]` to `bounds[2i + 1]`.
    private let bounds = UnsafeMutableBufferPointer<Int>.allocate(capacity: 2 * (LineFields.most + 1))
    private(set) var count = 0

    deinit { bounds.deallocate() }

    /// Splits `line` at `separator`; false for a line of more than `most` fields.
    func split(_ line: UnsafeRawBufferPointer, at separator: UInt8) -> Bool {
        var fields = 0, start = 0
        for index in 0..<line.count where line[index] == separator {
            guard fields < Self.most else {
                count = fields
                return false
            }
            bounds[2 * fields] = start
            bounds[2 * fields + 1] = index
            fields += 1
            start = index + 1
        }
        bounds[2 * fields] = start
        bounds[2 * fields + 1] = line.count
        count = fields + 1
        return true
    }

    /// Field `index` of `line`.
    func field(_ index: Int, of line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: line.baseAddress.map { $0 + bounds[2 * index] }, count: bounds[2 * index + 1] - bounds[2 * index])
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
