import ArgumentParser
import Foundation
import Runner

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show every job of a pipeline: fresh, stale (and why), or waiting.")

    @OptionGroup var locations: Locations

    @Argument(help: "The pipeline (pipelines/NAME.yaml or NAME).")
    var pipeline: String

    @Flag(help: "Include each executable's digest in the keys, as run --strict does.")
    var strict = false

    func run() throws {
        try guarded {
            try collectSubmitted()
            let plan = try DryRun(locations, pipeline: pipeline, strict: strict)
            let running = try runningJobs(plan)
            let submitted = try submittedJobs(plan)
            let rows = try plan.reports.map { report -> [String] in
                let last = try plan.workspace.ledger.latestSuccessful(pipeline: plan.pipeline.name, job: report.job.description)
                let when = last.map { ISO8601DateFormatter().string(from: $0.started) } ?? "-"
                if let (pid, started) = running[report.job.description] {
                    return [report.job.description, "running", when, "process \(pid), started \(ISO8601DateFormatter().string(from: started))"]
                }
                if let (state, batchID) = submitted[report.job.description] {
                    return [report.job.description, state, when, "Slurm task \(batchID)"]
                }
                let dropped = report.dropped.isEmpty ? "" : "dropped \(report.dropped.joined(separator: ", ")) (transient)"
                let state = report.dropped.isEmpty ? report.outcome.word : report.outcome.word + ", dropped"
                return [report.job.description, state, when, [report.outcome.detail, dropped].filter { !$0.isEmpty }.joined(separator: "; ")]
            }
            print(table(rows, header: ["job", "state", "last success", "why"]))
        }
    }
}

extension Status {
    /// With Slurm tasks outstanding and no runner following them: collects what ended, publishes it
    /// and submits what became ready, as `mimir run --detach` would.
    private func collectSubmitted() throws {
        let reading = try locations.workspace()
        let name = try reading.pipeline(pipeline).name
        guard try !reading.ledger.outstandingTasks(pipeline: name).isEmpty,
              let workspace = try? locations.workspace(.exclusive(wait: false)) else { return }
        var options = RunOptions()
        options.detach = true
        let reporter = RunReporter()
        let executor = try ExecutorOptions.make(kind: .slurm, settings: SlurmSettings(), workspace: workspace, pipeline: name, jobs: 1, reporter: reporter)
        let scheduler = try Scheduler(workspace: workspace, pipeline: try workspace.pipeline(pipeline), options: options, executor: executor, reporter: reporter)
        _ = try scheduler.run()
    }
}

/// The pipeline's jobs a batch system holds: job -> (queued or running, Slurm id).
private func submittedJobs(_ plan: DryRun) throws -> [String: (state: String, batchID: String)] {
    let tasks = try plan.workspace.ledger.outstandingTasks(pipeline: plan.pipeline.name)
    let states = SlurmExecutor.states(of: tasks)
    var jobs: [String: (state: String, batchID: String)] = [:]
    for task in tasks {
        guard let record = try plan.workspace.ledger.run(id: task.id) else { continue }
        jobs[record.job] = (states[task.batchID] ?? "submitted", task.batchID)
    }
    return jobs
}

/// The pipeline's jobs that a live runner is running now (from the lock file): job -> process, start.
private func runningJobs(_ plan: DryRun) throws -> [String: (pid: pid_t, started: Date)] {
    var running: [String: (pid: pid_t, started: Date)] = [:]
    for stage in RunLock.liveStages(artifacts: plan.workspace.artifacts) {
        guard let record = try plan.workspace.ledger.run(id: stage.run), record.pipeline == plan.pipeline.name else { continue }
        running[record.job] = (stage.pid, record.started)
    }
    return running
}

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Say why a job would run: which part of its key changed since its last successful run.",
        discussion: "Example: mimir explain demo-train inject@0.1   (JOB is STEP, STEP@VALUE, STEP#SHARD or STEP@VALUE#SHARD)")

    @OptionGroup var locations: Locations

    @OptionGroup var selection: JobSelection

    @Flag(help: "Include each executable's digest in the keys, as run --strict does.")
    var strict = false

    func run() throws {
        try guarded {
            for report in try DryRun(locations, pipeline: selection.pipeline, strict: strict).matching(selection.job) {
                switch report.outcome {
                case .fresh, .recorded:
                    print("\(report.job): fresh (its key matches a recorded run whose outputs are intact)")
                case let .wouldRun(reason):
                    print("\(report.job): would run:")
                    for part in reason.components(separatedBy: "; ") { print("  \(part)") }
                default:
                    print("\(report.job): \(report.outcome.word) \(report.outcome.detail)")
                }
            }
        }
    }
}

struct Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the exact command line that runs a job by hand (e.g. in a debugger).",
        discussion: "The jobs before it must have run. Its --out is the job's own directory: a hand run replaces its outputs in place.")

    @OptionGroup var locations: Locations

    @OptionGroup var selection: JobSelection

    func run() throws {
        try guarded {
            let dryRun = try DryRun(locations, pipeline: selection.pipeline)
            for report in try dryRun.matching(selection.job) {
                if case let .waits(on) = report.outcome {
                    throw RunnerError.usage("\(report.job) needs \(on) to run first (mimir run \(dryRun.pipeline.name))")
                }
                let plan = try dryRun.scheduler.plan(of: report.job)
                let arguments = plan.command(executable: try dryRun.workspace.executable(for: plan.stage),
                                             outDir: dryRun.workspace.outDir(pipeline: dryRun.pipeline.name, job: report.job))
                print("cd \(shellQuoted(FileManager.default.currentDirectoryPath)) && " + arguments.map(shellQuoted).joined(separator: " "))
            }
        }
    }
}

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List recorded runs, newest first; with a job, print its newest run's log.")

    @OptionGroup var locations: Locations

    @Argument(help: "Only this pipeline (its name, or its file).")
    var pipeline: String?

    @Argument(help: "A job (STEP[@VALUE][#SHARD]): print its newest log.")
    var job: String?

    @Option(help: "How many runs to list.")
    var limit = 30

    func run() throws {
        try guarded {
            let workspace = try locations.workspace()
            // A pipeline file gives its name; a bare name is taken as recorded (its file may be gone).
            let name = try pipeline.map { $0.hasSuffix(".yaml") ? try workspace.pipeline($0).name : $0 }
            if let job {
                guard let record = try workspace.ledger.history(pipeline: name, job: job, limit: 1).first else {
                    throw RunnerError.usage("no recorded run of \(job)\(name.map { " in \($0)" } ?? "")")
                }
                print("run \(record.id) of \(record.pipeline) \(record.job): \(record.status.rawValue)"
                      + (record.exitCode.map { ", exit \($0)" } ?? "") + ", log \(record.logPath)")
                print("command (paths relative to \(workspace.artifacts)): " + record.command.map(shellQuoted).joined(separator: " "))
                if let text = try? String(contentsOfFile: record.logPath, encoding: .utf8) { print(text, terminator: "") }
                return
            }
            let formatter = ISO8601DateFormatter()
            let rows = try workspace.ledger.history(pipeline: name, limit: limit).map { record in
                [String(record.id), formatter.string(from: record.started), record.pipeline, record.job, record.status.rawValue,
                 record.seconds.map { String(format: "%.1f s", $0) } ?? "-", record.logPath]
            }
            print(table(rows, header: ["run", "started", "pipeline", "job", "status", "time", "log"]))
        }
    }
}

/// Quotes an argument for a POSIX shell when it needs it.
func shellQuoted(_ text: String) -> String {
    let plain = text.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,@%+".contains($0) }
    return plain && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// The pipeline and one of its jobs, as `explain` and `command` take them.
struct JobSelection: ParsableArguments {
    @Argument(help: "The pipeline.")
    var pipeline: String

    @Argument(help: "The job: STEP[@SWEEP VALUE][#SHARD].")
    var job: String
}
