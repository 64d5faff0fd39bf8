import Foundation

/// How jobs go to Slurm: the account, partition and QOS they are charged to and any further sbatch
/// options. Kept in the ledger, so a later `mimir run` or `mimir status` submits the same way.
public struct SlurmSettings: Codable, Sendable, Equatable {
    public var partition: String?
    public var account: String?
    public var qos: String?
    /// Further sbatch arguments, each passed as one argument (`--constraint=fast`).
    public var options: [String] = []

    public init(partition: String? = nil, account: String? = nil, qos: String? = nil, options: [String] = []) {
        (self.partition, self.account, self.qos, self.options) = (partition, account, qos, options)
    }

    /// The sbatch options the runner sets itself; a user's option may not change them.
    static let reserved = ["--array", "-a", "--output", "-o", "--error", "-e", "--job-name", "-J", "--chdir", "-D", "--parsable",
                           "--wrap", "--dependency", "-d", "--cpus-per-task", "-c", "--mem", "--time", "-t", "--partition", "-p",
                           "--account", "-A", "--qos", "-q", "--wait", "-W", "--export", "--hold", "-H"]

    /// Refuses an option that is not one sbatch argument starting with `-`, or that sets what the runner sets.
    public func validate() throws {
        for option in options {
            guard option.hasPrefix("-"), option.count > 1 else {
                throw RunnerError.usage("--slurm-option takes one sbatch option such as --constraint=fast, not '\(option)'")
            }
            let name = String(option.prefix { $0 != "=" })
            let short = option.hasPrefix("--") ? name : String(option.prefix(2))
            guard !Self.reserved.contains(name) && !Self.reserved.contains(short) else {
                throw RunnerError.usage("--slurm-option \(option): the runner sets \(name) itself (use --partition, --account, --qos, or resources: in the stage declaration)")
            }
        }
    }
}

/// Runs tasks on a Slurm cluster: one job array per step and batch of ready jobs (chunked at the
/// cluster's MaxArraySize), each task's command in a task file that the runner's own launcher
/// (`mimir launch-task`) runs on the compute node. A task's end comes from the exit status the
/// launcher leaves beside its task file; `squeue` tells whether it is queued, running, or gone, so
/// that a task Slurm ended without a status (cancelled, out of time, a node failure) is not waited
/// for forever. Jobs are never chained with `--dependency`: the runner publishes a job's outputs
/// before it submits the jobs that read them.
public final class SlurmExecutor: Executor, @unchecked Sendable {  // used by one thread, but for `cancelAll`
    /// The cluster decides how many run at once.
    public let capacity = 1 << 20
    private let settings: SlurmSettings
    private let pipeline: String
    private let taskRoot: String
    private let launcher: String
    private let workingDirectory: String
    /// How long a task may be known ended before its status file shows (a shared file system's lag).
    private let statusGrace: Double
    private let queueInterval: Double
    private var tracked: [Int64: Tracked] = [:]
    private var finished: [TaskResult] = []
    /// Tracked tasks per task folder: the folder goes with its last task.
    private var tasksIn: [String: Int] = [:]
    private var lastQueueCheck = Date.distantPast
    private var cancelled = false
    /// Set by `cancelAll`, which a signal handler's thread may call; the next `next` cancels.
    private let cancelRequest = StopFlag()
    private lazy var configuration = Self.readConfiguration()
    private var maxArraySize: Int { configuration.maxArraySize }

    private struct Tracked {
        var task: SubmittedTask
        var state = State.unknown
        var submitted = Date()
    }

    private enum State: Equatable {
        case unknown, queued, running
        /// Slurm says it ended (its state, when, if Slurm says); a status file should follow.
        case ended(String, Date?)
    }

    /// `launcher` is the mimir executable the compute nodes run (the same path there: a shared file system).
    public init(settings: SlurmSettings, pipeline: String, artifacts: String, launcher: String,
                statusGrace: Double = 30, queueInterval: Double = 2) {
        self.settings = settings
        self.pipeline = pipeline
        taskRoot = "\(artifacts)/\(pipeline)/.slurm"
        self.launcher = launcher
        workingDirectory = FileManager.default.currentDirectoryPath
        self.statusGrace = statusGrace
        self.queueInterval = queueInterval
    }

    public var queue: (queued: Int, running: Int)? {
        let states = tracked.values.map(\.state)
        return (states.filter { $0 == .queued || $0 == .unknown }.count, states.filter { $0 == .running }.count)
    }

    // MARK: Submitting

    public func launch(_ tasks: [Task]) -> [SubmittedTask] {
        var submitted: [SubmittedTask] = []
        var steps: [String] = []
        for task in tasks where !steps.contains(task.step) { steps.append(task.step) }
        for step in steps {
            let group = tasks.filter { $0.step == step }
            for start in stride(from: 0, to: group.count, by: max(1, maxArraySize)) {
                let chunk = Array(group[start..<min(group.count, start + max(1, maxArraySize))])
                do {
                    submitted += try submitArray(chunk)
                } catch {
                    for task in chunk { finished.append(TaskResult(id: task.id, ending: .notStarted("\(error)"), seconds: 0)) }
                }
            }
        }
        follow(submitted)
        return submitted
    }

    /// One sbatch call: an array with a task per job, indices 0..<count.
    private func submitArray(_ tasks: [Task]) throws -> [SubmittedTask] {
        let directory = "\(taskRoot)/\(Ledger.fileSafe(tasks[0].step))-\(tasks[0].id)"
        try Publisher.makeDirectory(directory)
        for (index, task) in tasks.enumerated() {
            try TaskLauncher.write(.init(arguments: task.arguments, log: task.logPath), to: TaskLauncher.taskPath(directory: directory, index: index))
        }
        let script = directory + "/batch.sh"
        try Publisher.write(Data("#!/bin/sh\n# mimir's batch script: runs the launcher named in its arguments.\nexec \"$@\"\n".utf8), to: script)
        let output = try SlurmCommands.run("sbatch", sbatchArguments(for: tasks, directory: directory, script: script))
        let jobID = output.stdout.prefix { $0.isNumber }
        guard output.status == 0, !jobID.isEmpty else {
            throw RunnerError.io("sbatch refused the array of \(tasks.count) \(tasks[0].step) jobs: \(output.complaint)")
        }
        return tasks.enumerated().map { index, task in
            SubmittedTask(id: task.id, batchID: "\(jobID)_\(index)", taskFile: TaskLauncher.taskPath(directory: directory, index: index), temporary: task.temporary)
        }
    }

    private func sbatchArguments(for tasks: [Task], directory: String, script: String) -> [String] {
        let resources = tasks[0].resources
        // sbatch expands %-patterns in --output (and takes a backslash as turning them off): a folder
        // whose name holds either gets no launcher output rather than a wrong file.
        let output = absolute(directory).contains(where: { $0 == "%" || $0 == "\\" }) ? "/dev/null" : absolute(directory) + "/%a.out"
        var arguments = ["--parsable", "--array=0-\(tasks.count - 1)", "--job-name=mimir:\(pipeline):\(tasks[0].step)",
                         "--output=\(output)", "--chdir=\(workingDirectory)", "--cpus-per-task=\(resources.cpus)"]
        if let bytes = resources.memoryBytes { arguments.append("--mem=\((bytes + (1 << 20) - 1) >> 20)M") }
        if let seconds = resources.seconds { arguments.append("--time=\(Self.slurmDuration(seconds))") }
        if let partition = settings.partition { arguments.append("--partition=\(partition)") }
        if let account = settings.account { arguments.append("--account=\(account)") }
        if let qos = settings.qos { arguments.append("--qos=\(qos)") }
        return arguments + settings.options + [absolute(script), launcher, "launch-task", absolute(directory)]
    }

    private func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : workingDirectory + "/" + path
    }

    /// `D-HH:MM:SS`, as sbatch's `--time` takes it.
    static func slurmDuration(_ seconds: Int) -> String {
        String(format: "%d-%02d:%02d:%02d", seconds / 86_400, seconds % 86_400 / 3600, seconds % 3600 / 60, seconds % 60)
    }

    /// From `scontrol show config`: MaxArraySize (an array's indices run below it) and KillWait (how
    /// long a cancelled task's processes have between SIGTERM and SIGKILL). Slurm's defaults otherwise.
    private static func readConfiguration() -> (maxArraySize: Int, killWait: Double) {
        var (maxArraySize, killWait) = (1001, 30.0)
        guard let output = try? SlurmCommands.run("scontrol", ["show", "config"]), output.status == 0 else { return (maxArraySize, killWait) }
        for line in output.stdout.split(separator: "\n") {
            let fields = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count == 2, let number = Int(fields[1].prefix { $0.isNumber }), number > 0 else { continue }
            if fields[0] == "MaxArraySize" { maxArraySize = number }
            if fields[0] == "KillWait" { killWait = Double(number) }
        }
        return (maxArraySize, killWait)
    }

    // MARK: Following

    public func adopt(_ tasks: [SubmittedTask]) -> Bool {
        follow(tasks)
        lastQueueCheck = .distantPast
        return true
    }

    private func follow(_ tasks: [SubmittedTask]) {
        for task in tasks {
            tracked[task.id] = Tracked(task: task)
            tasksIn[(task.taskFile as NSString).deletingLastPathComponent, default: 0] += 1
        }
    }

    public func next(timeout: Double) -> TaskResult? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while true {
            if cancelRequest.isSet && !cancelled { cancelTracked() }
            if finished.isEmpty { collectStatusFiles() }
            // squeue lists every task: asked less often when there are many (liveness, not completion).
            let period = max(queueInterval, Double(tracked.count) / 100)
            if finished.isEmpty && Date().timeIntervalSince(lastQueueCheck) >= period { checkQueue() }
            if !finished.isEmpty { return finished.removeFirst() }
            guard Date() < deadline, !tracked.isEmpty else { return nil }
            usleep(UInt32(min(0.25, max(0, deadline.timeIntervalSinceNow)) * 1e6))
        }
    }

    /// Every tracked task whose launcher left its status becomes a result: one listing per task
    /// folder, not one open per task, so a thousand tasks cost a readdir a poll.
    private func collectStatusFiles() {
        let folders = Dictionary(grouping: tracked.values) { ($0.task.taskFile as NSString).deletingLastPathComponent }
        for (folder, entries) in folders.sorted(by: { $0.key < $1.key }) {
            let names = Set((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            for entry in entries.sorted(by: { $0.task.id < $1.task.id }) {
                let statusFile = TaskLauncher.statusPath(taskFile: entry.task.taskFile)
                guard names.contains((statusFile as NSString).lastPathComponent),
                      let status = TaskLauncher.status(taskFile: entry.task.taskFile) else { continue }
                end(entry.task.id, TaskResult(id: entry.task.id, ending: status.ending, seconds: status.seconds, usage: status.usage,
                                              batchID: entry.task.batchID))
            }
        }
    }

    /// Asks squeue about every tracked task; one that Slurm ended without leaving a status (beyond
    /// the grace a shared file system needs) or no longer knows is lost.
    private func checkQueue() {
        lastQueueCheck = Date()
        guard !tracked.isEmpty, let states = Self.queueStates(of: tracked.values.map(\.task)) else { return }
        for (id, entry) in tracked.sorted(by: { $0.key < $1.key }) {
            let state = states[entry.task.batchID]
            // Slurm says CANCELLED at once, while a running task's launcher still waits for its stage.
            let wasRunning = entry.state == .running
            if let state, !(cancelled && wasRunning && state != .running) { tracked[id]?.state = state }
            let lost: String?
            switch state {
            case nil:
                // Listed at once after sbatch returns; absent later, it ended long ago.
                lost = Date().timeIntervalSince(entry.submitted) > 2 ? "Slurm no longer knows it" : nil
            case let .ended(name, end)?:
                let patience = statusGrace + (cancelled && wasRunning ? configuration.killWait : 0)
                lost = (cancelled && !wasRunning) || Date().timeIntervalSince(end ?? entry.submitted) > patience ? "Slurm ended it as \(name)" : nil
            default:
                lost = nil
            }
            guard let lost, TaskLauncher.status(taskFile: entry.task.taskFile) == nil else { continue }
            end(id, TaskResult(id: id, ending: .notStarted("Slurm task \(entry.task.batchID) left no exit status: \(lost) (its launcher's output: \(outputFile(of: entry.task)))"),
                               seconds: Date().timeIntervalSince(entry.submitted), batchID: entry.task.batchID))
        }
    }

    /// What squeue says of each task (`1234_5`): queued, running, or ended as STATE; nil when
    /// slurmctld does not answer (then nothing is judged). A task squeue no longer lists is absent.
    private static func queueStates(of tasks: [SubmittedTask]) -> [String: State]? {
        let jobs = Set(tasks.map(\.arrayJob)).sorted()
        guard !jobs.isEmpty, let output = try? SlurmCommands.run("squeue", ["-h", "-r", "-t", "all", "-j", jobs.joined(separator: ","), "-o", "%i|%T|%e"]) else { return nil }
        // Every job purged (older than MinJobAge): squeue refuses the list.
        guard output.status == 0 else { return output.stderr.contains("Invalid job id") ? [:] : nil }
        var states: [String: State] = [:]
        for line in output.stdout.split(separator: "\n") {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            if fields.count == 3 { states[fields[0]] = state(fields[1], end: fields[2]) }
        }
        return states
    }

    /// For `mimir status`: each task's state in words (queued, running, or Slurm's name for how it ended).
    public static func states(of tasks: [SubmittedTask]) -> [String: String] {
        (queueStates(of: tasks) ?? [:]).mapValues { state in
            switch state {
            case .unknown, .queued: "queued"
            case .running: "running"
            case let .ended(name, _): name.lowercased()
            }
        }
    }

    private static func state(_ name: String, end: String) -> State {
        switch name {
        case "PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD": .queued
        case "RUNNING", "COMPLETING", "SUSPENDED", "STOPPED", "SIGNALING", "STAGE_OUT", "RESIZING": .running
        default: .ended(name, endFormat.date(from: end))
        }
    }

    /// squeue's `%e`: local time, to the second.
    private static let endFormat: DateFormatter = {
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        return format
    }()

    private func outputFile(of task: SubmittedTask) -> String {
        String(task.taskFile.dropLast(".task".count)) + ".out"
    }

    /// Hands a result over and clears the task's files (its launcher's output stays if it said anything).
    private func end(_ id: Int64, _ result: TaskResult) {
        guard let entry = tracked.removeValue(forKey: id) else { return }
        finished.append(result)
        let file = entry.task.taskFile
        unlink(file)
        unlink(TaskLauncher.statusPath(taskFile: file))
        if (FileStat(path: outputFile(of: entry.task))?.size ?? 1) == 0 { unlink(outputFile(of: entry.task)) }
        let directory = (file as NSString).deletingLastPathComponent
        tasksIn[directory, default: 1] -= 1
        if tasksIn[directory] == 0 {
            tasksIn[directory] = nil
            unlink(directory + "/batch.sh")
            rmdir(directory)  // stays if a launcher's output is there to read
        }
    }

    public func cancelAll() {
        cancelRequest.set()
    }

    /// scancel of every tracked task's array.
    private func cancelTracked() {
        checkQueue()  // which tasks run: their launchers get KillWait to report
        cancelled = true
        let jobs = Set(tracked.values.map(\.task.arrayJob)).sorted()
        guard !jobs.isEmpty else { return }
        _ = try? SlurmCommands.run("scancel", jobs)
        lastQueueCheck = .distantPast
    }
}
