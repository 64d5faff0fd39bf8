import ArgumentParser
import Foundation
import Runner

/// Where `mimir run` runs stages: here, or on a Slurm cluster.
enum ExecutorKind: String, ExpressibleByArgument, CaseIterable {
    case local, slurm
}

/// The options that choose and set up the executor.
struct ExecutorOptions: ParsableArguments {
    @Option(help: "Where stages run: local (here, -j at once) or slurm (job arrays through sbatch). Default: local, or slurm while the pipeline has Slurm tasks outstanding.")
    var executor: ExecutorKind?

    @Option(help: "The Slurm partition (sbatch --partition).")
    var partition: String?

    @Option(help: "The Slurm account (sbatch --account).")
    var account: String?

    @Option(help: "The Slurm QOS (sbatch --qos).")
    var qos: String?

    @Option(help: "A further sbatch option, one argument (repeatable): --slurm-option=--constraint=fast.")
    var slurmOption: [String] = []

    @Flag(help: "With Slurm: return once the ready jobs are submitted; a later mimir run or mimir status collects them and submits the next.")
    var detach = false

    var slurmSettings: SlurmSettings {
        SlurmSettings(partition: partition, account: account, qos: qos, options: slurmOption)
    }

    /// Whether an option only Slurm takes was given (it implies `--executor slurm`).
    private var asksForSlurm: Bool { slurmSettings != SlurmSettings() || detach }

    func validate() throws {
        if asksForSlurm && executor == .local { throw ValidationError("--partition, --account, --qos, --slurm-option and --detach need --executor slurm") }
        do { try slurmSettings.validate() } catch let error as RunnerError { throw ValidationError(error.description) }
    }

    /// The executor for one pipeline, as these options choose it.
    func make(workspace: Workspace, pipeline: String, jobs: Int, reporter: RunReporter) throws -> Executor {
        try Self.make(kind: executor ?? (asksForSlurm ? .slurm : nil), settings: slurmSettings,
                      workspace: workspace, pipeline: pipeline, jobs: jobs, reporter: reporter)
    }

    /// The executor for one pipeline: Slurm when asked for, or when the pipeline has tasks an earlier
    /// run submitted (with the settings it submitted them with, unless new ones are given); else local.
    static func make(kind: ExecutorKind?, settings given: SlurmSettings, workspace: Workspace, pipeline: String, jobs: Int,
                     reporter: RunReporter) throws -> Executor {
        let outstanding = try workspace.ledger.outstandingTasks(pipeline: pipeline)
        guard kind == .slurm || (kind == nil && !outstanding.isEmpty) else { return LocalExecutor(capacity: jobs, recorder: workspace.lock) }
        if kind == nil {
            reporter.line("\(pipeline) has \(outstanding.count) Slurm \(outstanding.count == 1 ? "task" : "tasks") outstanding: running with --executor slurm")
        }
        var settings = given
        if settings == SlurmSettings(), let recorded = try workspace.ledger.submissionSettings(pipeline: pipeline) {
            settings = (try? JSONDecoder().decode(SlurmSettings.self, from: Data(recorded.utf8))) ?? settings
        }
        try workspace.ledger.setSubmissionSettings(String(decoding: try JSONEncoder().encode(settings), as: UTF8.self), pipeline: pipeline)
        return SlurmExecutor(settings: settings, pipeline: pipeline, artifacts: workspace.artifacts, launcher: ownExecutable)
    }

    /// This executable's absolute path: what the compute nodes run as the launcher.
    static var ownExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }
}

struct Cancel: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cancel a pipeline's Slurm tasks (scancel); they are recorded as interrupted.",
        discussion: "A runner waiting for them records them itself; otherwise cancel waits until Slurm has ended them and records them.")

    @OptionGroup var locations: Locations

    @Argument(help: "The pipeline (pipelines/NAME.yaml or NAME).")
    var pipeline: String

    func run() throws {
        try guarded {
            // Without a live runner, cancel records the tasks itself; with one, that runner does.
            let workspace: Workspace, exclusive: Bool
            do {
                (workspace, exclusive) = (try locations.workspace(.exclusive(wait: false)), true)
            } catch RunnerError.busy {
                (workspace, exclusive) = (try locations.workspace(), false)
            }
            let name = try workspace.pipeline(pipeline).name
            let executor = SlurmExecutor(settings: SlurmSettings(), pipeline: name, artifacts: workspace.artifacts, launcher: ExecutorOptions.ownExecutable)
            guard exclusive else {
                let count = try Maintenance.cancelSubmitted(workspace: workspace, pipeline: name, executor: executor, record: false)
                print("\(name): cancelled \(count) Slurm \(count == 1 ? "task" : "tasks"); the runner working there records them")
                return
            }
            let count = try Maintenance.cancelSubmitted(workspace: workspace, pipeline: name, executor: executor, record: true)
            print("\(name): cancelled \(count) Slurm \(count == 1 ? "task" : "tasks"), recorded as interrupted")
        }
    }
}

struct LaunchTask: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "launch-task",
        abstract: "Run one task of a Slurm job array (the batch script calls this on the compute node).",
        shouldDisplay: false)

    @Argument(help: "The array's task directory.")
    var directory: String

    @Option(help: "The array index (default: $SLURM_ARRAY_TASK_ID).")
    var index: Int?

    func run() throws {
        guard let index = index ?? ProcessInfo.processInfo.environment["SLURM_ARRAY_TASK_ID"].flatMap({ Int($0) }) else {
            throw ValidationError("no --index and no SLURM_ARRAY_TASK_ID")
        }
        do {
            throw ExitCode(try TaskLauncher.run(directory: directory, index: index))
        } catch let error as RunnerError {
            FileHandle.standardError.write(Data("mimir launch-task: error: \(error.description)\n".utf8))
            throw ExitCode(error.exitCode)
        }
    }
}
