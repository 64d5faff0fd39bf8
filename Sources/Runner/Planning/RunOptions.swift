/// What `mimir run` was asked to do.
public struct RunOptions: Sendable {
    /// How many stages or shards run at once.
    public var jobs = 1
    /// Run only these steps, with the recorded outputs of the steps before them.
    public var only: [String] = []
    /// Run this step and everything after it (earlier steps from their recorded outputs).
    public var from: String?
    /// Run this step and everything it needs, nothing after it.
    public var until: String?
    /// Run these steps even when they are fresh.
    public var force: [String] = []
    /// Run only this shard of sharded steps (the other shards from their recorded outputs): a shard
    /// path, `3` or, under a fan-out per node, `1.3`.
    public var shard: [Int]?
    /// Decide and report, run nothing.
    public var dryRun = false
    /// Add each executable's digest to the keys.
    public var strict = false
    /// Return once every ready job is submitted to the batch system (a later run collects them).
    public var detach = false

    public init() {}
}

/// What became of one job.
public enum JobOutcome: Sendable, Equatable {
    /// Its key matched a recorded run whose outputs are intact.
    case fresh
    /// It ran and its outputs now count.
    case ran(seconds: Double)
    /// Not selected: its recorded outputs were used.
    case recorded
    /// A dry run: it would run, for this reason.
    case wouldRun(reason: String)
    /// A dry run: it waits for a job that would run (its key is known only after).
    case waits(on: String)
    case failed(reason: String)
    /// Interrupted (Ctrl-C) while it ran.
    case interrupted
    /// Not run because a job it needs failed.
    case blocked(by: String)
    /// Handed to a batch system, which runs it (`--detach`); its Slurm id.
    case submitted(String)
}

extension JobOutcome {
    /// Whether the job's outputs are in place, so the jobs after it can be decided.
    var isDone: Bool {
        switch self {
        case .fresh, .ran, .recorded: true
        default: false
        }
    }
}

/// One line of a run's account.
public struct JobReport: Sendable {
    public var job: JobID
    public var outcome: JobOutcome
    /// Its transient outputs deleted after their readers succeeded.
    public var dropped: [String] = []
}
