import ArgumentParser
import Capture
import StageSupport
import Contract

/// mimir-split: cut a capture into shards as editcap does, one streaming pass.
struct SplitCommand: StageCommand {
    static let version = "3"

    static let configuration = CommandConfiguration(
        commandName: "mimir-split",
        abstract: "Cut a capture into shards by time or by packet count, as editcap -i / -c do.",
        discussion: """
        Reads a pcap or pcapng capture (plain, .gz or .zst; recognised by content) and writes into \
        --out DIR the shards shard-00000.pcap... (pcapng in, pcapng out) with every record copied \
        unchanged, and shards.parquet describing them (file, origin, window, first and last packet, \
        packets, bytes, partial).

        --interval follows editcap -i: the first shard runs from the first packet t0 to t0 + T \
        inclusive, shard k holds packets with t0 + kT < time <= t0 + (k+1)T, and packets go by their \
        position in the stream (an out-of-order packet stays in the current shard; they are counted). \
        Time without packets gives header-only shards, as editcap writes them, unless --skip-empty. \
        --count follows editcap -c; --start and --stop follow editcap -A and -B. Pass the origin in \
        shards.parquet to mimir-flows --origin so every shard agrees on window indices.

        --index writes no shard files: each row of shards.parquet gives its shard as bytes of the \
        capture (offset and length of its records, header the file header or section and interface \
        blocks it needs), the bytes its file would hold, for mimir-flows --offset, --length and --header. The \
        capture is then stored once; it must not change while the index is used.

        Example: mimir-split capture.pcap.gz --interval 60 --out artifacts/split
        """,
        version: version)

    @Argument(help: "The capture (pcap or pcapng, optionally gzip or zstd compressed).")
    var capture: String

    @OptionGroup var out: OutputDirectory

    @Option(help: "Seconds of capture per shard (editcap -i), above 0; may have up to nine decimals.")
    var interval: PositiveSeconds?

    @Option(help: "Packets per shard (editcap -c).")
    var count: Int?

    @Flag(help: "With --interval: shard boundaries at epoch multiples of the interval instead of the first packet.")
    var align = false

    @Option(help: "Only packets at or after this time, in epoch seconds (editcap -A).")
    var start: EpochTime?

    @Option(help: "Only packets before this time, in epoch seconds (editcap -B).")
    var stop: EpochTime?

    @Flag(help: "Write no header-only shards for time without packets.")
    var skipEmpty = false

    @Flag(help: "Write no shard files: shards.parquet gives each shard as byte ranges of the capture (offset, length, header), which mimir-flows --offset, --length and --header read. A compressed capture is cut into files all the same.")
    var index = false

    func validate() throws {
        guard (interval == nil) != (count == nil) else {
            throw ValidationError("give exactly one of --interval SECONDS and --count PACKETS")
        }
        if let count, count <= 0 { throw ValidationError("--count must be above zero") }
        if align && interval == nil { throw ValidationError("--align goes with --interval") }
    }

    func run() throws {
        let out = try self.out.create()
        let mode: CaptureSplit.Mode = if let interval { .interval(nanoseconds: interval.nanoseconds) } else { .count(packets: count ?? 1) }
        let split = CaptureSplit(mode: mode, align: align, start: start?.nanoseconds, stop: stop?.nanoseconds, skipEmpty: skipEmpty,
                                 index: index, version: Self.version)
        let progress = Progress("mimir-split")
        let report = try split.run(capturePath: capture, directory: out) { packets, bytes in
            progress.update("\(humanCount(packets)) packets, \(humanCount(Int(bytes))) bytes")
        }
        for warning in report.warnings { progress.warn("\(capture): \(warning)") }
        if let truncation = report.truncation { progress.warn("\(capture): \(truncation)") }
        let counters = report.counters.summary
        progress.finish("\(humanCount(report.packetsWritten)) of \(humanCount(report.packetsRead)) packets into \(report.shards) shards"
                        + (counters.isEmpty ? "" : " (\(counters))"), outputs: "\(out)/shards.parquet")
    }
}

StageMain.run(SplitCommand.self)
