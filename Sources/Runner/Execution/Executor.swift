/// A stage run handed to an executor: the command and where its output goes.
public struct Task: Sendable {
    public var id: Int64
    /// The job's name (`inject@0.1`).
    public var label: String
    /// The step it belongs to: a batch executor submits one array per step.
    public var step: String
    public var arguments: [String]
    /// stdout and stderr of the stage go here.
    public var logPath: String
    /// The directory the stage writes into (a batch executor reports it, so a later runner keeps it).
    public var temporary: String
    /// What the job asks of the machine.
    public var resources: Resources

    public init(id: Int64, label: String, step: String, arguments: [String], logPath: String, temporary: String, resources: Resources = Resources()) {
        (self.id, self.label, self.step, self.arguments) = (id, label, step, arguments)
        (self.logPath, self.temporary, self.resources) = (logPath, temporary, resources)
    }
}

/// How a task ended.
public struct TaskResult: Sendable {
    public enum Ending: Sendable, Equatable, Codable {
        case exited(Int32)
        case signalled(Int32)
        /// The executor could not start it, or lost it (the message says why).
        case notStarted(String)
    }

    public var id: Int64
    public var ending: Ending
    public var seconds: Double
    /// CPU time (user and system) and peak resident memory of the stage's process, where the executor
    /// measures them.
    public var usage: ResourceUsage?
    /// The batch system's name for the task (`1234_5`), for messages.
    public var batchID: String?

    /// The stage's exit status, if it exited.
    public var exitCode: Int32? {
        // A switch statement: Swift 6.3's optimizer crashed (an ownership verifier error) on the
        // if-expression form inlined into `Maintenance.cancelSubmitted` in release builds.
        switch ending {
        case let .exited(code): return code
        case .signalled, .notStarted: return nil
        }
    }
}

/// What a finished stage process used.
public struct ResourceUsage: Sendable, Equatable, Codable {
    public var cpuSeconds: Double
    public var peakMemoryBytes: Int64
}

/// A task handed to a batch system, as the ledger keeps it: a runner that dies leaves these, and
/// the next one collects them instead of running them again.
public struct SubmittedTask: Sendable, Equatable {
    /// The ledger's run.
    public var id: Int64
    /// The batch system's name for it (Slurm's `ARRAY_INDEX`).
    public var batchID: String
    /// The task's file: what the launcher runs; its exit status lands beside it.
    public var taskFile: String
    /// The directory the stage writes into.
    public var temporary: String

    /// The job array it belongs to (`1234` of `1234_5`): what sbatch returned, squeue and scancel take.
    public var arrayJob: String { String(batchID.prefix { $0 != "_" }) }
}

/// Runs tasks; the runner decides which ones, verifies their outputs and publishes them. Two
/// exist: `LocalExecutor` (child processes of the runner) and `SlurmExecutor` (one job array per
/// step and batch; completion read from the exit status its launcher leaves beside the task file,
/// liveness from `squeue`).
public protocol Executor: AnyObject {
    /// How many tasks may run at once.
    var capacity: Int { get }
    /// Starts tasks and returns at once; returns those handed to a batch system, with their names
    /// there, for the ledger.
    func launch(_ tasks: [Task]) -> [SubmittedTask]
    /// Waits until a task ends and returns it, or returns nil after `timeout` seconds.
    func next(timeout: Double) -> TaskResult?
    /// Asks every task to stop; they still end through `next`.
    func cancelAll()
    /// Takes over tasks a runner before this one submitted; false if this executor cannot follow them.
    func adopt(_ tasks: [SubmittedTask]) -> Bool
    /// How many launched tasks wait in a batch system's queue, and how many run there (nil: no queue).
    var queue: (queued: Int, running: Int)? { get }
}
