import ArgumentParser
import Capture
import StageSupport

/// mimir-merge: per-node captures merged into one file in time order, as mergecap does.
struct MergeCommand: StageCommand {
    static let version = "1"

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

        Example: mimir-merge node-a.pcap node-b.pcap node-c.pcap --out cluster.pcapng
        """,
        version: version)

    @Argument(help: "The captures to merge.")
    var inputs: [String]

    @Option(help: "The merged capture to write (published when complete).")
    var out: String

    @Option(help: "pcapng (the default, as mergecap) or pcap.")
    var format = CaptureFileFormat.pcapng

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one capture to merge") }
        guard !inputs.contains(out) else { throw ValidationError("--out \(out) is one of the inputs") }
    }

    func run() throws {
        let progress = Progress("mimir-merge")
        let report = try CaptureMerge(format: format).run(inputs: inputs, output: out) { packets in
            progress.update("\(humanCount(packets)) packets")
        }
        for warning in report.warnings { progress.warn(warning) }
        for (path, truncation) in report.truncations { progress.warn("\(path): \(truncation)") }
        let counts = zip(inputs, report.perInput).map { "\(humanCount($1)) from \($0)" }.joined(separator: ", ")
        progress.finish("\(humanCount(report.packets)) packets (\(counts))", outputs: out)
    }
}

extension CaptureFileFormat: ExpressibleByArgument {}

StageMain.run(MergeCommand.self)
