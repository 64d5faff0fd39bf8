/// Named counts, each with the index of the first packet it happened to (if a packet is meant):
/// recoverable damage under stable snake_case names (`truncated_ipv4_header`), and what the stages
/// tally for their summaries (`out_of_order`, `not_ip.ethertype_0x0806`). The damaged packet is
/// skipped, the stage goes on, and the counts go into the summary table and the outputs' metadata.
public struct PacketCounters: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var count: Int
        public var firstPacket: Int?
    }

    public private(set) var entries: [String: Entry] = [:]

    public init() {}

    public mutating func record(_ name: String, count: Int = 1, packet: Int?) {
        if let existing = entries[name] {
            entries[name] = Entry(count: existing.count + count, firstPacket: existing.firstPacket ?? packet)
        } else {
            entries[name] = Entry(count: count, firstPacket: packet)
        }
    }

    /// Adds `other`'s counts, each under `prefix` + its name; `other` counted its first packets from
    /// `after` packets on (a later file's).
    public mutating func merge(_ other: PacketCounters, prefix: String = "", after: Int = 0) {
        for (name, entry) in other.entries { record(prefix + name, count: entry.count, packet: entry.firstPacket.map { $0 + after }) }
    }

    /// `name=count` pairs sorted by name, for summaries and metadata.
    public var summary: String {
        entries.keys.sorted().map { "\($0)=\(entries[$0]!.count)" }.joined(separator: ",")
    }
}

/// A count and its first packet, for the per-packet tallies of a hot loop (no string, no dictionary);
/// moved into `PacketCounters` when the loop ends.
struct Tally {
    var count = 0
    var firstPacket: Int?

    @inline(__always)
    mutating func add(packet: Int) {
        if count == 0 { firstPacket = packet }
        count += 1
    }
}

extension PacketCounters {
    mutating func record(_ name: String, _ tally: Tally) {
        if tally.count > 0 { record(name, count: tally.count, packet: tally.firstPacket) }
    }
}
