import Foundation

/// Runs a pipeline: decides job by job, in dependency order, whether the recorded run still holds
/// (same key, outputs intact) or the job must run; runs stale jobs through an executor, as many at
/// once as it allows; publishes and records each finished run. A rerun that writes the same bytes
/// leaves the keys of the jobs after it unchanged, so they stay fresh.
public final class Scheduler {
    private let workspace: Workspace
    private let pipeline: PipelineDeclaration
    private let options: RunOptions
    private let executor: Executor
    private let reporter: RunReporter
    private let resolver: JobResolver
    private var outcomes: [JobID: JobOutcome] = [:]
    private var order: [JobID] = []
    private var running: [Int64: RunningJob] = [:]
    /// The jobs of `running`.
    private var runningJobs = Set<JobID>()
    /// Jobs decided to run in this pass, handed to the executor together at its end (a batch
    /// executor submits them as one array per step).
    private var ready: [Task] = []
    /// Done jobs whose dropped transient outputs a stale job reads: they run again first.
    private var remake = Set<JobID>()
    private let stop = StopFlag()

    private struct RunningJob {
        var job: JobID
        /// The stage (nil for a collected batch task whose step the pipeline no longer has).
        var stage: StageDeclaration?
        var key: String
        var material: [String: String]
        var shardCount: Int?
        var temporary: String
        var outDir: String
        var command: [String]
        var logPath: String
        /// The executor's slots it takes (`resources.cpus`, at most all of them).
        var cpus: Int
        var started = Date()
        /// The batch system's name for it, once submitted.
        var batchID: String?
    }

    /// The steps this run decides (selected ones and what they need), and each job's last duration.
    private var relevant: [Step] = []
    private var durations: [String: Double] = [:]

    public init(workspace: Workspace, pipeline: PipelineDeclaration, options: RunOptions, executor: Executor, reporter: RunReporter) throws {
        self.workspace = workspace
        self.pipeline = pipeline
        self.options = options
        self.executor = executor
        self.reporter = reporter
        resolver = JobResolver(workspace: workspace, pipeline: pipeline, strict: options.strict)
        for name in options.only + options.force + [options.from, options.until].compactMap({ $0 }) where pipeline.step(name) == nil {
            throw RunnerError.usage("\(pipeline.file) has no step '\(name)' (steps: \(pipeline.steps.map(\.name).joined(separator: ", ")))")
        }
    }

    /// Asks the run to stop: nothing new starts, running stages get SIGTERM.
    public func requestStop() {
        stop.set()
        executor.cancelAll()
    }

    /// Runs (or with `dryRun`, only decides) every relevant job; returns what became of each.
    public func run() throws -> [JobReport] {
        do {
            return try runJobs()
        } catch {
            workspace.reserve?.release()
            stopRunningJobs()
            throw error
        }
    }

    /// After an error the run cannot go on from (the ledger or the disk failed): stops the running
    /// stages and records them interrupted, so that no stage outlives its runner and no record says
    /// `running`. Best effort: with the disk still full the next runner finishes the job.
    private func stopRunningJobs() {
        guard !running.isEmpty else { return }
        executor.cancelAll()
        let deadline = Date(timeIntervalSinceNow: 30)
        while !running.isEmpty && Date() < deadline {
            if let result = executor.next(timeout: 0.25) { abandon(result) }
        }
    }

    private func abandon(_ result: TaskResult) {
        guard let entry = running.removeValue(forKey: result.id) else { return }
        runningJobs.remove(entry.job)
        try? FileManager.default.removeItem(atPath: entry.temporary)
        try? workspace.ledger.finish(id: result.id, status: .interrupted, exitCode: result.exitCode, seconds: result.seconds)
    }

    private func runJobs() throws -> [JobReport] {
        if !options.dryRun {
            try workspace.ledger.abandonUnfinished()
            let submitted = try workspace.ledger.outstandingTasks(pipeline: pipeline.name)
            Publisher.removeLeftovers(artifacts: workspace.artifacts, pipeline: pipeline.name, keeping: submitted)
            try collect(submitted)
        }
        let selected = selectedSteps()
        relevant = pipeline.steps.filter { selected.contains($0.name) || isAncestor($0.name, of: selected) }
        durations = try workspace.ledger.lastDurations(pipeline: pipeline.name)
        while true {
            var progressed = true
            while progressed && !stop.isSet {
                progressed = false
                for step in relevant {
                    guard let jobs = try resolver.jobs(of: step) else { continue }
                    for job in jobs where outcomes[job] == nil && !runningJobs.contains(job) {
                        if try decide(job, selected: selected.contains(step.name) && shardSelected(job)) { progressed = true }
                    }
                }
                try submitReady()
            }
            if !options.dryRun && !stop.isSet { try dropTransientOutputs() }
            if running.isEmpty { break }
            if let result = executor.next(timeout: options.detach ? 0 : 0.25) {
                try finish(result)
            } else if options.detach {
                for entry in running.values { _ = settle(entry.job, .submitted(entry.batchID ?? "")) }
                break
            }
            reportProgress()
        }
        if stop.isSet { throw RunnerError.interrupted }
        // Jobs never decided wait for upstream steps whose jobs are not all done (they would run, in a
        // dry run, or failed); a sharded step whose shards are not known yet is reported once, as the step.
        let anyFailed = outcomes.values.contains { if case .failed = $0 { true } else { false } }
        for step in relevant {
            let blockers = step.upstream.filter { name in
                let upstream = outcomes.filter { $0.key.step == name }.values
                return upstream.isEmpty || upstream.contains { !$0.isDone }
            }.sorted().joined(separator: ", ")
            for job in try resolver.jobs(of: step) ?? [JobID(step: step.name)] where outcomes[job] == nil {
                _ = settle(job, anyFailed && !options.dryRun ? .blocked(by: blockers) : .waits(on: blockers))
            }
        }
        return order.map { JobReport(job: $0, outcome: outcomes[$0]!, dropped: resolver.completed[$0]?.dropped.sorted() ?? []) }
    }

    /// The plan of one job, after `run` (a dry run) has found its upstream outputs (for `command`).
    public func plan(of job: JobID) throws -> JobPlan {
        try resolver.plan(for: job)
    }

    // MARK: Deciding

    /// Decides one job if its upstream jobs are done; returns whether anything changed.
    private func decide(_ job: JobID, selected: Bool) throws -> Bool {
        guard let dependencies = try resolver.dependencies(of: job) else { return false }
        for dependency in dependencies {
            switch outcomes[dependency] {
            case .failed?, .blocked?, .interrupted?:
                return settle(job, .blocked(by: dependency.description))
            case .wouldRun?, .waits?:
                return settle(job, .waits(on: dependency.description))
            case nil:
                return false
            default:
                continue
            }
        }
        guard selected || remake.contains(job) else {
            guard let record = try workspace.ledger.latestSuccessful(pipeline: pipeline.name, job: job.description), try resolver.intact(record) else {
                throw RunnerError.usage("\(job) has no intact recorded run to start from; run it first (without --only/--from/--shard)")
            }
            resolver.completed[job] = CompletedJob(record)
            return settle(job, .recorded)
        }
        let plan = try resolver.plan(for: job)
        let forced = options.force.contains(job.step) || remake.contains(job)
        if !forced, let record = try workspace.ledger.latestSuccessful(pipeline: pipeline.name, job: job.description, key: plan.key),
           try resolver.intact(record) {
            resolver.completed[job] = CompletedJob(record)
            return settle(job, .fresh)
        }
        var reason = remake.contains(job) ? "made again: a job that reads its dropped outputs must run"
            : forced ? "forced" : try resolver.staleness(of: job, plan: plan)
        let producers = resolver.producersOfDroppedInputs(plan)
        if !producers.isEmpty {
            if options.dryRun {
                reason += "; first makes again the dropped outputs of \(producers.map(\.description).joined(separator: ", "))"
            } else {
                // Undecide the producers: they run again (their inputs, if dropped too, are made first), then this job.
                for producer in producers {
                    outcomes[producer] = nil
                    order.removeAll { $0 == producer }
                    resolver.completed[producer] = nil
                    remake.insert(producer)
                }
                return true
            }
        }
        if options.dryRun { return settle(job, .wouldRun(reason: reason)) }
        // A job takes as many slots as it declares CPUs (all of them at most, so a large job still runs, alone).
        let cpus = min(pipeline.step(job.step)?.resources.cpus ?? 1, executor.capacity)
        guard running.values.reduce(0, { $0 + $1.cpus }) + cpus <= executor.capacity else { return false }
        try launch(job, plan: plan, reason: reason, cpus: cpus)
        return true
    }

    private func settle(_ job: JobID, _ outcome: JobOutcome) -> Bool {
        outcomes[job] = outcome
        order.append(job)
        return true
    }

    private func selectedSteps() -> Set<String> {
        var selected = Set(pipeline.steps.map(\.name))
        if !options.only.isEmpty { selected = Set(options.only) }
        if let from = options.from { selected.formIntersection(pipeline.steps.filter { $0.name == from || isAncestor(from, of: [$0.name]) }.map(\.name)) }
        if let until = options.until { selected.formIntersection(pipeline.steps.filter { $0.name == until || isAncestor($0.name, of: [until]) }.map(\.name)) }
        return selected
    }

    private func shardSelected(_ job: JobID) -> Bool {
        // `--shard 1.3` selects that shard and the cutting job that made it (`split#1`).
        guard let shard = options.shard, !job.shards.isEmpty else { return true }
        return shard.starts(with: job.shards) || job.shards.starts(with: shard)
    }

    /// Whether step `name` is upstream (directly or not) of any of `steps`.
    private func isAncestor(_ name: String, of steps: Set<String>) -> Bool {
        var seen = Set<String>()
        var frontier = Array(steps)
        while let next = frontier.popLast() {
            for upstream in pipeline.step(next)?.upstream ?? [] where seen.insert(upstream).inserted {
                if upstream == name { return true }
                frontier.append(upstream)
            }
        }
        return false
    }

    // MARK: Running

    private func launch(_ job: JobID, plan: JobPlan, reason: String, cpus: Int) throws {
        let executable = try workspace.executable(for: plan.stage)
        let temporary = try Publisher.temporaryDirectory(artifacts: workspace.artifacts, pipeline: pipeline.name, job: job)
        let outDir = workspace.outDir(pipeline: pipeline.name, job: job)
        let command = plan.command(executable: plan.stage.executable, outDir: outDir, path: workspace.recordedPath)
        let logDirectory = workspace.logDirectory(pipeline: pipeline.name)
        try Publisher.makeDirectory(logDirectory)
        let (id, logPath) = try workspace.ledger.begin(pipeline: pipeline.name, job: job.description, key: plan.key, material: plan.material,
                                                       outDir: outDir, command: command, logDirectory: logDirectory)
        running[id] = RunningJob(job: job, stage: plan.stage, key: plan.key, material: plan.material, shardCount: plan.shard?.count,
                                 temporary: temporary, outDir: outDir, command: command, logPath: logPath, cpus: cpus)
        runningJobs.insert(job)
        reporter.started(job, reason: reason)
        ready.append(Task(id: id, label: job.description, step: job.step, arguments: plan.command(executable: executable, outDir: temporary),
                          logPath: logPath, temporary: temporary, resources: pipeline.step(job.step)?.resources ?? Resources()))
    }

    /// Hands the jobs decided in this pass to the executor; records what went to a batch system.
    private func submitReady() throws {
        guard !ready.isEmpty else { return }
        let tasks = ready
        ready = []
        let submitted = executor.launch(tasks)
        try workspace.ledger.recordSubmitted(submitted)
        for task in submitted { running[task.id]?.batchID = task.batchID }
        if !submitted.isEmpty {
            let arrays = Set(submitted.map(\.arrayJob)).sorted().joined(separator: ", ")
            reporter.line("submitted \(submitted.count) \(submitted.count == 1 ? "task" : "tasks") of \(Set(tasks.map(\.step)).sorted().joined(separator: ", ")) to Slurm (job \(arrays))")
        }
    }

    /// Follows the tasks an earlier runner submitted and left running: they are collected as they
    /// end, never submitted again while they live.
    private func collect(_ submitted: [SubmittedTask]) throws {
        guard !submitted.isEmpty else { return }
        guard executor.adopt(submitted) else {
            throw RunnerError.usage("""
                \(submitted.count) \(pipeline.name) \(submitted.count == 1 ? "job was" : "jobs were") submitted to Slurm by an earlier run \
                and may still run (\(submitted.map(\.batchID).prefix(5).joined(separator: ", "))); collect them with \
                `mimir run --executor slurm`, or stop them with `mimir cancel \(pipeline.name)`
                """)
        }
        for task in submitted {
            guard let record = try workspace.ledger.run(id: task.id), let job = JobID(parsing: record.job) else { continue }
            let shardCount = record.material["shard"].flatMap { $0.split(separator: "/").last.flatMap { Int($0) } }
            running[task.id] = RunningJob(job: job, stage: pipeline.step(job.step)?.stage, key: record.key, material: record.material,
                                          shardCount: shardCount, temporary: task.temporary, outDir: record.outDir, command: record.command,
                                          logPath: record.logPath, cpus: 0, started: record.started, batchID: task.batchID)
            runningJobs.insert(job)
        }
        reporter.line("collecting \(submitted.count) Slurm \(submitted.count == 1 ? "task" : "tasks") an earlier run submitted")
    }

    private func finish(_ result: TaskResult) throws {
        guard let entry = running.removeValue(forKey: result.id) else { return }
        runningJobs.remove(entry.job)
        var failure: String?
        switch result.ending {
        case .exited(0):
            if let stage = entry.stage {
                let missing = Publisher.missingOutputs(of: stage, in: entry.temporary)
                failure = missing.isEmpty ? nil : "exited 0 without writing \(missing.joined(separator: ", "))"
            } else {
                failure = "its step is no longer in \(pipeline.file)"
            }
        case let .exited(code): failure = "exited with status \(code)"
        case let .signalled(signal): failure = "killed by signal \(signal)"
        case let .notStarted(message): failure = message
        }
        if let batchID = result.batchID ?? entry.batchID, let told = failure, !told.contains(batchID) {
            failure = "Slurm task \(batchID) \(told)"
        }
        if let failure {
            try? FileManager.default.removeItem(atPath: entry.temporary)
            if stop.isSet {
                try workspace.ledger.finish(id: result.id, status: .interrupted, exitCode: result.exitCode, seconds: result.seconds)
                _ = settle(entry.job, .interrupted)
            } else {
                try workspace.ledger.finish(id: result.id, status: .failed, exitCode: result.exitCode, seconds: result.seconds)
                reporter.failed(entry.job, reason: failure, log: entry.logPath)
                _ = settle(entry.job, .failed(reason: failure))
            }
            return
        }
        let outputs: [String: OutputFile]
        do {
            outputs = try Publisher.hashOutputs(in: entry.temporary)
            let manifest = RunManifest(pipeline: pipeline.name, job: entry.job.description, key: entry.key, material: entry.material,
                                       command: entry.command, outputs: outputs.mapValues { .init(digest: $0.digest, size: $0.size) })
            try Publisher.publish(entry.temporary, to: entry.outDir, manifest: manifest)
            for (name, output) in outputs { try workspace.digests.remember(path: entry.outDir + "/" + name, digest: output.digest) }
            // The commit point: from here on the run counts.
            try workspace.ledger.finish(id: result.id, status: .ok, exitCode: 0, seconds: result.seconds, outputs: outputs)
        } catch {
            // The disk or the ledger failed: the run does not count, and its record must not say `running`.
            workspace.reserve?.release()
            try? FileManager.default.removeItem(atPath: entry.temporary)
            try? workspace.ledger.finish(id: result.id, status: .interrupted, exitCode: 0, seconds: result.seconds)
            throw error
        }
        resolver.completed[entry.job] = CompletedJob(outDir: entry.outDir, outputs: outputs, run: result.id)
        remake.remove(entry.job)
        reporter.ran(entry.job, seconds: result.seconds, usage: result.usage)
        _ = settle(entry.job, .ran(seconds: result.seconds))
    }

    /// Deletes the transient outputs whose readers in this pipeline have all succeeded (or were
    /// fresh), and records that in the ledger; the readers stay fresh, since their keys hold the
    /// digests, not the files.
    private func dropTransientOutputs() throws {
        for (job, done) in resolver.completed.sorted(by: { $0.key.description < $1.key.description }) {
            guard let transient = resolver.step(job.step).transient, outcomes[job]?.isDone == true else { continue }
            var dropped: [String] = []
            for name in done.outputs.keys.sorted() where !done.dropped.contains(name) && transient.contains(name, of: resolver.step(job.step).stage) {
                guard let readers = try resolver.readers(of: name, from: job),
                      readers.allSatisfy({ outcomes[$0]?.isDone == true }) else { continue }
                dropped.append(name)
            }
            guard !dropped.isEmpty else { continue }
            // The note beside the manifest first (recover reads it), then the files, then the ledger: a kill
            // between the last two leaves a run whose files are gone, which then simply reruns.
            try Publisher.noteDropped(done.dropped.union(dropped), in: done.outDir)
            for name in dropped {
                let path = done.outDir + "/" + name
                if unlink(path) != 0 && errno != ENOENT { throw RunnerError.io("cannot delete the transient output \(path): \(String(cString: strerror(errno)))") }
            }
            try workspace.ledger.markDropped(run: done.run, names: dropped)
            resolver.completed[job]?.dropped.formUnion(dropped)
            reporter.dropped(job, files: dropped)
        }
    }

    /// The live line: what runs, how many jobs are done of how many, and the time left estimated from
    /// each job's last duration (a job never run counts as the median of the others).
    private func reportProgress() {
        guard reporter.showsProgress else { return }
        var pending: [String] = []
        for step in relevant {
            if let jobs = try? resolver.jobs(of: step) {
                pending += jobs.filter { outcomes[$0] == nil }.map(\.description)
            } else {
                let previous = durations.keys.filter { JobID(parsing: $0)?.step == step.name }
                pending += previous.isEmpty ? [step.name] : previous
            }
        }
        let known = durations.values.sorted()
        let typical = known.isEmpty ? nil : known[known.count / 2]
        var remaining: Double? = 0
        let runningJobs = Dictionary(running.values.map { ($0.job.description, $0.started) }, uniquingKeysWith: { first, _ in first })
        for job in pending {
            guard let estimate = durations[job] ?? typical else { remaining = nil; break }
            remaining? += max(0, estimate - (runningJobs[job].map { Date().timeIntervalSince($0) } ?? 0))
        }
        let parallel = Double(max(1, min(executor.capacity, running.count)))
        reporter.progress(running: running.values.map { ($0.job, $0.shardCount) }, queue: executor.queue, done: outcomes.count,
                          known: outcomes.count + pending.count, remaining: remaining.map { $0 / parallel })
    }
}

/// A flag set from a signal handler's queue and read by the run loop.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}
