import ArgumentParser
import Capture
import Cluster
import StageSupport
import Contract

/// mimir-flows: per-window traffic tables from a capture, for every window length in one pass.
struct FlowsCommand: StageCommand {
    static let version = "4"

    static let configuration = CommandConfiguration(
        commandName: "mimir-flows",
        abstract: "Count a capture's traffic per time window: address pairs, 5-tuple flows and a summary.",
        discussion: """
        Reads a pcap or pcapng capture (plain, .gz or .zst; recognised by content) and writes into \
        --out DIR: pairs.parquet (directed address-pair packets and bytes, as tshark's IP \
        conversations count them), flows.parquet (5-tuple flows with first and last packet time and \
        TCP flags) and summary.parquet (packets by link type, non-IP packets, damage by reason). \
        Every window length given to --windows is counted in the same pass. Windows start at the \
        first packet (or --origin, as mimir-split decided it for a shard): \
        window_index = floor((ts - origin) / length).

        With --node and --cluster the capture is that node's `tcpdump -i any` capture of a cluster \
        captured on every node, and only the copies the node rule counts are counted (docs/captures.md, \
        "Every node's capture"): the tables of every node then add up to what one capture of the \
        whole cluster would show. The tables record it (mimir.observation).

        Example: mimir-flows capture.pcap.gz --windows 10,60 --out artifacts/flows
        """,
        version: version)

    @Argument(help: "The capture (pcap or pcapng, optionally gzip or zstd compressed), or a shard of it with --offset.")
    var capture: String

    @OptionGroup var out: OutputDirectory

    @OptionGroup var windowing: WindowOptions

    @Option(help: "A BPF filter in tcpdump's syntax, e.g. 'tcp port 80'; only matching packets are counted.")
    var filter: String?

    @Flag(help: "Count tunnelled packets (VXLAN, Geneve, GRE, IP-in-IP) by their outer header, not the inner packet.")
    var countOuterHeader = false

    @Option(help: "The node whose capture this is, one of --cluster's: count only the copies the node rule counts.")
    var node: String?

    @Option(help: "The cluster's addressing (cluster.yaml), for --node (checked, and otherwise unused, without it).")
    var cluster: String?

    @Option(help: "Read only the bytes of the capture from this offset, with --length and --header: a shard of mimir-split --index (its row's offset).")
    var offset: Int?

    @Option(help: "With --offset: how many bytes (the row's length).")
    var length: Int?

    @Option(help: "With --offset: the header blocks the shard needs, OFFSET+LENGTH,... (the row's header).")
    var header: String?

    func validate() throws {
        if node != nil && cluster == nil { throw ValidationError("--node needs --cluster, the cluster's addressing") }
        guard [offset == nil, length == nil, header == nil].allSatisfy({ $0 }) || [offset, length].allSatisfy({ $0 != nil }) && header != nil else {
            throw ValidationError("--offset, --length and --header go together: a shard of an index is all three")
        }
        _ = try shardRange()
    }

    /// The shard of an index that --offset, --length and --header give.
    func shardRange() throws -> CaptureRange? {
        guard let offset, let length, let header else { return nil }
        guard offset >= 0, length >= 0, offset <= Int.max - length else { throw ValidationError("--offset and --length must be 0 or more") }
        guard let blocks = CaptureRange.ranges(header), !blocks.isEmpty else {
            throw ValidationError("--header '\(header)' is not OFFSET+LENGTH,... (one range or more)")
        }
        return CaptureRange(header: blocks, body: offset..<offset + length)
    }

    /// The node rule for --node, from --cluster's layout.
    func nodeRule() throws -> NodeCopyRule? {
        guard let cluster else { return nil }
        let settings = try ClusterSettings.read(path: cluster)
        guard let node else { return nil }
        guard let rule = NodeCopyRule(node: node, of: settings.nodeLayout, serviceRange: settings.serviceCIDR) else {
            throw settings.unknownNode(node, path: cluster)
        }
        return rule
    }

    func run() throws {
        let out = try self.out.create()
        let extraction = FlowExtraction(windowLengths: windowing.windows, origin: windowing.origin?.nanoseconds, align: windowing.align,
                                        filter: filter, countsOuterHeader: countOuterHeader, nodeRule: try nodeRule(), version: Self.version)
        let progress = Progress("mimir-flows")
        let report = try extraction.run(capturePath: capture, range: try shardRange(), directory: out) { packets, bytes in
            progress.update("\(humanCount(packets)) packets, \(humanCount(Int(bytes))) bytes")
        }
        for warning in report.warnings { progress.warn("\(capture): \(warning)") }
        if let truncation = report.truncation { progress.warn("\(capture): \(truncation)") }
        let damaged = report.counters.filter { $0.key.hasPrefix("damaged.") }.reduce(Int64(0)) { $0 + $1.value.value }
        let rate = Double(report.packets) / max(progress.elapsed, 1e-9)
        progress.finish("\(humanCount(report.packets)) packets (\(humanCount(report.ipPackets)) IP, \(damaged) damaged), "
                        + "\(humanCount(Int(rate))) packets/s", outputs: "tables in \(out)")
    }
}

StageMain.run(FlowsCommand.self)
