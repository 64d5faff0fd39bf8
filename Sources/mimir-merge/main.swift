import ArgumentParser
import Capture
import Cluster
import StageSupport

/// mimir-merge: per-node captures merged into one file in time order, as mergecap does.
struct MergeCommand: StageCommand {
    static let version = "2"

    static let configuration = CommandConfiguration(
        commandName: "mimir-merge",
        abstract: "Merge captures into one in time order, as mergecap -w does.",
        discussion: """
        Reads pcap or pcapng captures (plain, .gz or .zst; recognised by content), for example one per \
        node, and writes one capture holding every packet in time order: at each step the earliest of the \
        inputs' next packets, the last input's on a tie, so packets out of order within an input stay in \
        its order (mergecap's rule). pcapng by default (an interface per link type, nanosecond \
        timestamps), or pcap with --format pcap when every packet has one link type. Captured bytes and \
        original lengths are kept. The pipelines do not need it: they process each node's capture on its own.

        With --cluster cluster.yaml, each input is NODE=FILE, one node's `tcpdump -i any` capture, and \
        the copies the node rule does not count are left out (docs/captures.md, "Every node's capture"): \
        the merged file shows every packet as one capture of the whole cluster would, and mimir-flows \
        counts it as the sum of the nodes' shares.

        Example: mimir-merge node-a.pcap node-b.pcap node-c.pcap --out cluster.pcapng
        Example: mimir-merge --cluster cluster.yaml node-a=a.pcap node-b=b.pcap --out cluster.pcapng
        """,
        version: version)

    @Argument(help: "The captures to merge (NODE=FILE with --cluster).")
    var inputs: [String]

    @Option(help: "The cluster's addressing (cluster.yaml): leave out the copies the node rule does not count; inputs are NODE=FILE.")
    var cluster: String?

    /// The inputs' files and, with --cluster, their nodes.
    var files: [(node: String?, path: String)] {
        inputs.map { input in
            guard cluster != nil, let equals = input.firstIndex(of: "=") else { return (nil, input) }
            return (String(input[..<equals]), String(input[input.index(after: equals)...]))
        }
    }

    @Option(help: "The merged capture to write (published when complete).")
    var out: String

    @Option(help: "pcapng (the default, as mergecap) or pcap.")
    var format = CaptureFileFormat.pcapng

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one capture to merge") }
        if cluster != nil, let bare = files.first(where: { $0.node == nil || $0.node!.isEmpty }) {
            throw ValidationError("with --cluster every input is NODE=FILE, not '\(bare.path)'")
        }
        guard !files.contains(where: { $0.path == out }) else { throw ValidationError("--out \(out) is one of the inputs") }
    }

    /// Each input's node rule, from --cluster.
    func nodeRules() throws -> [NodeCopyRule?] {
        guard let cluster else { return [] }
        let settings = try ClusterSettings.read(path: cluster)
        return try files.map { file in
            guard let rule = NodeCopyRule(node: file.node!, of: settings.nodeLayout, serviceRange: settings.serviceCIDR) else {
                throw settings.unknownNode(file.node!, path: cluster)
            }
            return rule
        }
    }

    func run() throws {
        let progress = Progress("mimir-merge")
        let paths = files.map(\.path)
        let report = try CaptureMerge(format: format, nodeRules: try nodeRules()).run(inputs: paths, output: out) { packets in
            progress.update("\(humanCount(packets)) packets")
        }
        for warning in report.warnings { progress.warn(warning) }
        for (path, truncation) in report.truncations { progress.warn("\(path): \(truncation)") }
        let counts = paths.indices.map { input in
            "\(humanCount(report.perInput[input])) from \(paths[input])" + (cluster == nil ? "" : " (\(humanCount(report.leftOut[input])) copies left out)")
        }.joined(separator: ", ")
        progress.finish("\(humanCount(report.packets)) packets (\(counts))", outputs: out)
    }
}

extension CaptureFileFormat: ExpressibleByArgument {}

StageMain.run(MergeCommand.self)
