import ArgumentParser
import Dispatch
import Foundation
import Runner

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run pipelines: every stale stage and shard, in dependency order.",
        discussion: """
            Example: mimir run pipelines/demo-train.yaml -j 2
            A second run with nothing changed runs nothing. --only, --from and --until take the \
            outputs of the steps before from their recorded runs. Ctrl-C stops the running stages; \
            they are recorded as interrupted and count for nothing.
            """)

    @OptionGroup var locations: Locations

    @Argument(help: "Pipelines (pipelines/NAME.yaml or NAME), run one after the other.")
    var pipelines: [String]

    @Option(name: .short, help: "How many stages or shards run at once.")
    var jobs = 1

    @Option(help: "Run only this step (repeatable), from the recorded outputs of the steps before it.")
    var only: [String] = []

    @Option(help: "Run this step and every step after it.")
    var from: String?

    @Option(help: "Run this step and every step it needs, nothing after it.")
    var until: String?

    @Option(help: "Run this step even if it is fresh (repeatable).")
    var force: [String] = []

    @Option(help: "Run only this shard of sharded steps: I, or N.I under a fan-out per node (with the job that cut it).",
            transform: { text in
                guard let path = JobID.shardPath(text) else { throw ValidationError("--shard takes I or N.I (whole numbers), not '\(text)'") }
                return path
            })
    var shard: [Int]?

    @Flag(help: "Say what would run and why; run nothing.")
    var dryRun = false

    @Flag(help: "Add each stage executable's digest to the keys (a rebuilt binary reruns its stages).")
    var strict = false

    @Flag(help: "Wait for another runner working on the same artifacts instead of refusing.")
    var wait = false

    @OptionGroup(title: "Slurm") var batch: ExecutorOptions

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("-j must be at least 1") }
    }

    func run() throws {
        try guarded {
            let workspace = try locations.workspace(dryRun ? .read : .exclusive(wait: wait))
            var options = RunOptions()
            (options.jobs, options.only, options.from, options.until) = (jobs, only, from, until)
            (options.force, options.shard, options.dryRun, options.strict) = (force, shard, dryRun, strict)
            options.detach = batch.detach
            let reporter = RunReporter()
            for name in pipelines {
                let (pipelineStarted, hashedBefore) = (Date(), workspace.digests.bytesHashed)
                let pipeline = try workspace.pipeline(name)
                let executor = dryRun ? LocalExecutor(capacity: jobs) : try batch.make(workspace: workspace, pipeline: pipeline.name, jobs: jobs, reporter: reporter)
                let scheduler = try Scheduler(workspace: workspace, pipeline: pipeline, options: options, executor: executor, reporter: reporter)
                let reports = try withSignalsStopping(scheduler) { try scheduler.run() }
                if dryRun {
                    print(table(reports.map { [$0.job.description, $0.outcome.word, $0.outcome.detail] }, header: ["job", "state", "why"]))
                    continue
                }
                let ran = reports.filter { if case .ran = $0.outcome { true } else { false } }.count
                let fresh = reports.filter { $0.outcome == .fresh || $0.outcome == .recorded }.count
                let failed = reports.filter { if case .failed = $0.outcome { true } else { false } }.map(\.job.description)
                let submitted = reports.filter { if case .submitted = $0.outcome { true } else { false } }.count
                let queued = submitted == 0 ? "" : ", \(submitted) submitted to Slurm (mimir status \(pipeline.name) collects them)"
                reporter.line(String(format: "%@: %d ran, %d fresh%@, %.2f s, %@ hashed", pipeline.name, ran, fresh, queued,
                                     Date().timeIntervalSince(pipelineStarted), byteCount(workspace.digests.bytesHashed - hashedBefore)))
                if !failed.isEmpty { throw RunnerError.stagesFailed(failed) }
            }
        }
    }
}

/// Runs `body` with SIGINT, SIGTERM and SIGHUP asking the scheduler to stop instead of killing the runner.
func withSignalsStopping<T>(_ scheduler: Scheduler, _ body: () throws -> T) throws -> T {
    let sources = [SIGINT, SIGTERM, SIGHUP].map { number -> DispatchSourceSignal in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler { scheduler.requestStop() }
        source.resume()
        return source
    }
    defer {
        for source in sources { source.cancel() }
    }
    return try body()
}

/// A plain text table with aligned columns.
func table(_ rows: [[String]], header: [String]) -> String {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    return all.map { row in
        row.enumerated().map { column, cell in
            column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}

/// "0 B", "12.3 MB", "1.52 GB".
func byteCount(_ bytes: Int64) -> String {
    switch bytes {
    case 1_000_000_000...: String(format: "%.2f GB", Double(bytes) / 1e9)
    case 1_000_000...: String(format: "%.1f MB", Double(bytes) / 1e6)
    case 1_000...: String(format: "%.1f kB", Double(bytes) / 1e3)
    default: "\(bytes) B"
    }
}
