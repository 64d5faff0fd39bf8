/// Checks one observation domain's message sequence numbers for lost records.
///
/// RFC 7011 numbers a message by the data records sent before it, options records included.
/// Exporters differ: softflowd counts the message's own flow records in and options records out.
/// So the tracker keeps every reading the numbers so far agree with (before or after the message's
/// records; with or without options records) and reports a gap only when none explains a number.
struct IPFIXSequence {
    private struct Convention: OptionSet {
        let rawValue: UInt8
        static let beforeAll = Convention(rawValue: 1), beforeFlows = Convention(rawValue: 2)
        static let afterAll = Convention(rawValue: 4), afterFlows = Convention(rawValue: 8)
        static let every: Convention = [.beforeAll, .beforeFlows, .afterAll, .afterFlows]
    }

    private var last: (sequence: UInt32, records: Int, flowRecords: Int)?
    private var conventions = Convention.every

    /// Takes a message's number and its data records (all, and those of flow templates); returns the
    /// records lost before it (nil: none), or 0 for a gap whose size cannot be told.
    mutating func check(sequence: UInt32, records: Int, flowRecords: Int) -> Int? {
        defer { last = (sequence, records, flowRecords) }
        guard let last else { return nil }
        func expected(_ convention: Convention) -> UInt32 {
            let added: Int
            switch convention {
            case .beforeAll: added = last.records
            case .beforeFlows: added = last.flowRecords
            case .afterAll: added = records
            default: added = flowRecords
            }
            return last.sequence &+ UInt32(truncatingIfNeeded: added)
        }
        let candidates: [Convention] = [.beforeAll, .beforeFlows, .afterAll, .afterFlows]
        let agreeing = Convention(candidates.filter { conventions.contains($0) && expected($0) == sequence })
        if !agreeing.isEmpty {
            conventions = agreeing
            return nil
        }
        let reading = candidates.first { conventions.contains($0) } ?? .beforeAll
        conventions = .every
        let lost = sequence &- expected(reading)
        return lost < 1 << 31 ? Int(lost) : 0
    }

    /// Forgets the last message: its record count was not known (a data set without its template).
    mutating func forget() { last = nil }
}
