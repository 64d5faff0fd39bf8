/// Recoverable damage, counted under stable snake_case names (`truncated_ipv4_header`), each with the
/// index of the first packet it happened to: the damaged packet is skipped, the stage goes on, and
/// the counts go into the summary table and the outputs' metadata.
public struct DamageCounters: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var count: Int
        public var firstPacket: Int
    }

    public private(set) var entries: [String: Entry] = [:]

    public init() {}

    public mutating func record(_ name: String, packet: Int) {
        if let existing = entries[name] {
            entries[name] = Entry(count: existing.count + 1, firstPacket: existing.firstPacket)
        } else {
            entries[name] = Entry(count: 1, firstPacket: packet)
        }
    }

    public mutating func merge(_ other: DamageCounters) {
        for (name, entry) in other.entries {
            if let existing = entries[name] {
                entries[name] = Entry(count: existing.count + entry.count, firstPacket: min(existing.firstPacket, entry.firstPacket))
            } else {
                entries[name] = entry
            }
        }
    }

    public var total: Int { entries.values.reduce(0) { $0 + $1.count } }

    /// `name=count` pairs sorted by name, for summaries and metadata.
    public var summary: String {
        entries.keys.sorted().map { "\($0)=\(entries[$0]!.count)" }.joined(separator: ",")
    }
}
