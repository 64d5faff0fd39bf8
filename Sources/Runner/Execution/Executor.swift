/// A stage run handed to an executor: the command and where its output goes.
public struct Task: Sendable {
    public var id: Int64
    /// The job's name (`inject@0.1`): what a batch system shows (Slurm's `--job-name`).
    public var label: String
    public var arguments: [String]
    /// stdout and stderr of the stage go here.
    public var logPath: String

    public init(id: Int64, label: String, arguments: [String], logPath: String) {
        self.id = id
        self.label = label
        self.arguments = arguments
        self.logPath = logPath
    }
}

/// How a task ended.
public struct TaskResult: Sendable {
    public enum Ending: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
        /// The executor could not start it (the message says why).
        case notStarted(String)
    }

    public var id: Int64
    public var ending: Ending
    public var seconds: Double
    /// CPU time (user and system) and peak resident memory of the stage's process, where the executor
    /// measures them.
    public var usage: ResourceUsage?
}

/// What a finished stage process used.
public struct ResourceUsage: Sendable, Equatable {
    public var cpuSeconds: Double
    public var peakMemoryBytes: Int64
}

/// Runs tasks; the runner decides which ones. Local processes now; a Slurm executor (sbatch per
/// task, completion read from the exit status it leaves beside the log) implements the same three
/// calls without touching the scheduler.
public protocol Executor: AnyObject {
    /// How many tasks may run at once.
    var capacity: Int { get }
    /// Starts a task and returns at once.
    func launch(_ task: Task)
    /// Waits until a task ends and returns it, or returns nil after `timeout` seconds.
    func next(timeout: Double) -> TaskResult?
    /// Asks every running task to stop (SIGTERM to its process group); they still end through `next`.
    func cancelAll()
}
