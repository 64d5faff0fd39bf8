import Table
import Contract

/// What `mimir-flows` does: one pass over a capture that writes `pairs.parquet`, `flows.parquet` and
/// `summary.parquet` into a directory, for every window length at once.
public struct FlowExtraction: Sendable {
    public var windowLengths: [Int]
    /// The origin in nanoseconds (from `--origin`, as split decided it); nil: decided from the input.
    public var origin: Int64?
    /// Without an explicit origin: align it to an epoch multiple of the longest window.
    public var align: Bool
    public var filter: String?
    public var countsOuterHeader: Bool
    /// For one node's capture of a cluster: the rule that picks the copies this node's share counts.
    public var nodeRule: NodeCopyRule?
    /// The stage's declared implementation version, written into the tables' provenance.
    public var version: String

    public init(windowLengths: [Int], origin: Int64? = nil, align: Bool = false, filter: String? = nil,
                countsOuterHeader: Bool = false, nodeRule: NodeCopyRule? = nil, version: String) {
        self.windowLengths = windowLengths
        self.origin = origin
        self.align = align
        self.filter = filter
        self.countsOuterHeader = countsOuterHeader
        self.nodeRule = nodeRule
        self.version = version
    }

    /// What the tables hold: the whole capture, or a node's share.
    public var observation: Observation {
        nodeRule.map { Observation(source: .nodeShare, nodes: [$0.node]) } ?? .wholeCapture
    }

    /// What a run saw, for the one-line summary and the tests.
    public struct Report: Sendable {
        public var packets = 0
        public var bytes: Int64 = 0
        public var ipPackets = 0
        /// Every counter of `summary.parquet`, by name: its value and first packet.
        public var counters: [String: (value: Int64, firstPacket: Int?)] = [:]
        public var truncation: Truncation?
        /// The reader's warnings about the file as a whole.
        public var warnings: [String] = []
        public var origin: Int64?
    }

    public var parameters: JSONValue {
        var params: [String: JSONValue] = [
            "windows": .array(windowLengths.sorted().map { .int(Int64($0)) }),
            "align": .bool(align),
            "count_outer_header": .bool(countsOuterHeader),
        ]
        params["origin"] = origin.map { .string(EpochSeconds.format($0)) } ?? .null
        params["filter"] = filter.map { .string($0) } ?? .null
        if let nodeRule { params["node"] = .string(nodeRule.node) }
        return .object(params)
    }

    /// Reads `capturePath` (with `range`, the shard of an index those bytes of it are) and writes the
    /// three tables into `directory`.
    /// - Parameter progress: called now and then with the packets and bytes read so far.
    public func run(capturePath: String, range: CaptureRange? = nil, directory: String,
                    progress: (Int, Int64) -> Void = { _, _ in }) throws -> Report {
        try CaptureError.checkWindowLengths(windowLengths)
        let reader = try CaptureReader(path: capturePath, range: range)
        let packetFilter = try filter.map(PacketFilter.init)
        let dissector = Dissector(countsOuterHeader: countsOuterHeader)
        var report = Report()
        var counters = PacketCounters()
        // Tallied per packet without a string or a dictionary: on an overlay network every packet is tunnelled.
        var laterFragments = Tally(), icmpErrors = Tally(), lengthFromCapture = Tally(), chainsCut = Tally()
        var tunnels = [Tally](repeating: Tally(), count: Tunnel.allCases.count)
        var notCounted = [Tally](repeating: Tally(), count: NodeCopyRule.Verdict.allCases.count)
        var summary = PacketSummary()
        var aggregator: FlowAggregator?
        // The same aggregator, unretained (`aggregator` keeps it): reading the optional for every
        // packet cost a retain and a release each.
        var counting: Unmanaged<FlowAggregator>?
        var tables: FlowTableSet?
        var previousTimestamp = Int64.min
        var linkTypes = LinkTypeTally()
        let longest = windowLengths.max()!

        try reader.read { packet in
            if packet.index & 0xFFFF == 0 { progress(packet.index, report.bytes) }
            if aggregator == nil {
                // The origin is the capture's first packet, of whatever kind (ARCHITECTURE.md).
                let origin = self.origin ?? WindowClock.origin(firstPacket: packet.timestamp, alignedTo: align ? longest : nil)
                report.origin = origin
                tables = try openTables(in: directory, origin: origin)
                aggregator = FlowAggregator(clock: WindowClock(origin: origin, lengths: windowLengths),
                                            pairs: tables!.pairs, flows: tables!.flows)
                counting = Unmanaged.passUnretained(aggregator!)
            }
            report.packets += 1
            report.bytes += Int64(packet.originalLength)
            linkTypes.count(packet.linkType)
            if packet.timestamp < previousTimestamp { counters.record("out_of_order", packet: packet.index) }
            previousTimestamp = max(previousTimestamp, packet.timestamp)
            if let packetFilter, try !packetFilter.matches(packet) {
                counters.record("filtered_out", packet: packet.index)
                return
            }
            switch dissector.dissect(packet.data, originalLength: packet.originalLength, linkType: packet.linkType, into: &summary) {
            case .ip:
                break
            case let .notIP(kind):
                counters.record("not_ip.\(kind)", packet: packet.index)
                return
            case let .damaged(reason):
                counters.record("damaged.\(reason)", packet: packet.index)
                return
            case .unsupportedLinkType:
                counters.record("skipped_link_type.\(packet.linkType)", packet: packet.index)
                return
            }
            report.ipPackets += 1
            if summary.isLaterFragment { laterFragments.add(packet: packet.index) }
            if summary.isICMPError { icmpErrors.add(packet: packet.index) }
            if summary.ipLengthFromCapture { lengthFromCapture.add(packet: packet.index) }
            if summary.extensionChainCut { chainsCut.add(packet: packet.index) }
            if let tunnel = summary.tunnel { tunnels[tunnel.ordinal].add(packet: packet.index) }
            if let nodeRule {
                let verdict = nodeRule.verdict(summary)
                if verdict != .counts {
                    notCounted[verdict.ordinal].add(packet: packet.index)
                    return
                }
            }
            try counting!._withUnsafeGuaranteedRef { try $0.add(summary, timestamp: packet.timestamp, bytes: packet.originalLength) }
        }
        for (linkType, count) in linkTypes.counts {
            counters.record("link_type.\(linkType)", count: count, packet: nil)
        }
        counters.record("later_fragments", laterFragments)
        counters.record("icmp_errors", icmpErrors)
        counters.record("ipv4_length_from_capture", lengthFromCapture)
        counters.record("ipv6_extension_chain_not_followed", chainsCut)
        for tunnel in Tunnel.allCases { counters.record("tunnel.\(tunnel.rawValue)", tunnels[tunnel.ordinal]) }
        if nodeRule != nil {
            for verdict in NodeCopyRule.Verdict.allCases where verdict != .counts {
                counters.record("node_rule.\(verdict.rawValue)", notCounted[verdict.ordinal])
            }
        }
        counters.merge(reader.damage, prefix: "damaged.")
        if aggregator == nil {
            // No packet at all: the tables still exist, empty, so the stage's outputs are complete.
            tables = try openTables(in: directory, origin: origin ?? 0)
        }
        try aggregator?.finish()
        if let late = aggregator?.latePackets, late > 0 { counters.record("late_packets", count: late, packet: nil) }
        report.truncation = reader.truncation
        report.warnings = reader.warnings
        if let truncation = reader.truncation { counters.record("truncated_at_offset", count: truncation.offset, packet: truncation.packetsRead) }
        counters.record("packets", count: report.packets, packet: nil)
        counters.record("bytes", count: Int(report.bytes), packet: nil)
        counters.record("ip_packets", count: report.ipPackets, packet: nil)
        report.counters = counters.entries.mapValues { (Int64($0.count), $0.firstPacket) }
        try tables!.close(summary: counters)
        return report
    }

    private func openTables(in directory: String, origin: Int64) throws -> FlowTableSet {
        try FlowTableSet(directory: directory, stage: FlowTables.stage, version: version, parameters: parameters, origin: origin,
                         observation: nodeRule != nil ? observation : nil)
    }
}

/// Packets per link type, counted without a string or a dictionary lookup per packet.
struct LinkTypeTally {
    private(set) var counts: [(LinkType, Int)] = []
    private var last = 0

    @inline(__always)
    mutating func count(_ linkType: LinkType) {
        if last < counts.count && counts[last].0 == linkType {
            counts[last].1 += 1
            return
        }
        if let slot = counts.firstIndex(where: { $0.0 == linkType }) {
            last = slot
        } else {
            counts.append((linkType, 0))
            last = counts.count - 1
        }
        counts[last].1 += 1
    }
}
