import ArgumentParser
import Foundation
import Runner

/// `mimir`: runs pipelines of stages, skipping what is fresh; explains why a stage would run; shows
/// runs, logs and the exact command of a stage.
struct Mimir: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mimir",
        abstract: "Run Mimir pipelines: every stage whose inputs, parameters or implementation changed, and nothing else.",
        discussion: """
            A pipeline (pipelines/NAME.yaml) names stages (stages/STAGE.yaml) with their parameters and how \
            outputs feed inputs. A stage runs when the key of its run (implementation version, parameters, \
            the content digests of its inputs) has no intact recorded run in the ledger, artifacts/ledger.sqlite. \
            Timestamps are never compared. Outputs land in artifacts/PIPELINE/STEP[/SWEEP VALUE][/SHARD]/.
            """,
        subcommands: [Run.self, Status.self, Cancel.self, Explain.self, Command.self, Log.self, GC.self, Recover.self, Digest.self, LaunchTask.self])
}

/// Options every subcommand shares.
struct Locations: ParsableArguments {
    @Option(help: "The artifacts directory (outputs, logs, the ledger).")
    var artifacts = "artifacts"

    @Option(help: "The directory of the stage declarations.")
    var stages = "stages"

    @Option(help: "Where the stage executables are (default: beside mimir, then the PATH).")
    var bin: String?

    /// The workspace; a ledger rebuilt on opening is announced on stderr.
    func workspace(_ access: Workspace.Access = .read) throws -> Workspace {
        let own = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        let workspace = try Workspace(artifacts: artifacts, stagesDirectory: stages, binDirectory: bin ?? own, access: access)
        if !workspace.stoppedStages.isEmpty {
            let stages = workspace.stoppedStages.map { stage in
                let run = try? workspace.ledger.run(id: stage.run)
                return (run.map { "\($0.pipeline) \($0.job)" } ?? "run \(stage.run)") + " (process \(stage.pid))"
            }
            FileHandle.standardError.write(Data("mimir: stopped what a killed runner had left running: \(stages.joined(separator: ", "))\n".utf8))
        }
        if let recovery = workspace.recovery {
            var message = "mimir: \(Ledger.path(artifacts: workspace.artifacts)) was missing or empty; rebuilt it from the run manifests: \(recovery.kept) runs recovered"
            if recovery.dropped > 0 { message += ", \(recovery.dropped) whose outputs changed will run again" }
            FileHandle.standardError.write(Data((message + "\n").utf8))
        }
        return workspace
    }
}

/// Runs `body`, turning a runner error into its message and exit code.
func guarded(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as RunnerError {
        FileHandle.standardError.write(Data("mimir: error: \(error.description)\n".utf8))
        throw ExitCode(error.exitCode)
    }
}

/// A pipeline planned without running anything: the scheduler (which can then give each decided job's
/// plan) and what it decided for every job.
struct DryRun {
    let workspace: Workspace
    let pipeline: PipelineDeclaration
    let scheduler: Scheduler
    let reports: [JobReport]

    init(_ locations: Locations, pipeline name: String, strict: Bool = false) throws {
        workspace = try locations.workspace()
        pipeline = try workspace.pipeline(name)
        var options = RunOptions()
        options.dryRun = true
        options.strict = strict
        scheduler = try Scheduler(workspace: workspace, pipeline: pipeline, options: options, executor: LocalExecutor(capacity: 1),
                                  reporter: RunReporter(quiet: true))
        reports = try scheduler.run()
    }

    /// The reports of the jobs `STEP`, `STEP@VALUE`, `STEP#SHARD` or `STEP@VALUE#SHARD` (`#1.3` under a fan-out per node; a bare step
    /// matches all of its jobs); refuses a text that matches none.
    func matching(_ text: String) throws -> [JobReport] {
        guard let wanted = JobID(parsing: text) else { throw RunnerError.usage("'\(text)' is not STEP[@SWEEP VALUE][#SHARD]") }
        let found = reports.filter { report in
            report.job.step == wanted.step && (wanted.sweepValue == nil || report.job.sweepValue == wanted.sweepValue)
                && (wanted.shards.isEmpty || report.job.shards == wanted.shards)
        }
        guard !found.isEmpty else { throw RunnerError.usage("\(pipeline.name) has no job \(text)") }
        return found
    }
}

extension JobOutcome {
    var word: String {
        switch self {
        case .fresh: "fresh"
        case .ran: "ran"
        case .recorded: "recorded"
        case .wouldRun: "stale"
        case .waits: "waits"
        case .failed: "failed"
        case .interrupted: "interrupted"
        case .blocked: "blocked"
        case .submitted: "submitted"
        }
    }

    var detail: String {
        switch self {
        case let .wouldRun(reason): reason
        case let .waits(on): "runs after \(on)"
        case let .failed(reason): reason
        case let .blocked(by): "\(by) failed"
        case let .ran(seconds): String(format: "%.1f s", seconds)
        case let .submitted(batchID): "Slurm task \(batchID)"
        default: ""
        }
    }
}

// ArgumentParser exits 64 on a usage error (an unknown option, a value that does not parse); the
// runner's documented code for a wrong request is 2, as the stages' is.
do {
    var command = try Mimir.parseAsRoot()
    try command.run()
} catch {
    guard Mimir.exitCode(for: error) == .validationFailure else { Mimir.exit(withError: error) }
    FileHandle.standardError.write(Data((Mimir.fullMessage(for: error) + "\n").utf8))
    exit(2)
}
