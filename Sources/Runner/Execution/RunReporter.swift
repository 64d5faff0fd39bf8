import Foundation

/// Progress of a run on stderr: on a terminal one live line (running jobs, shard x/y, elapsed,
/// estimated time left) above the finished jobs; otherwise one plain line per event, for logs.
public final class RunReporter {
    private let interactive: Bool
    private let quiet: Bool
    private let start = Date()
    private var liveLine = false

    public init(interactive: Bool = isatty(STDERR_FILENO) != 0, quiet: Bool = false) {
        self.interactive = interactive
        self.quiet = quiet
    }

    /// Whether a live progress line is shown (a terminal, not quiet).
    var showsProgress: Bool { interactive && !quiet }

    func ran(_ job: JobID, seconds: Double, usage: ResourceUsage?) {
        let used = usage.map { String(format: " (%.2f s CPU, %.0f MB peak)", $0.cpuSeconds, Double($0.peakMemoryBytes) / 1e6) } ?? ""
        line("\(job): ran in \(Self.duration(seconds))\(used)")
    }

    func dropped(_ job: JobID, files: [String]) {
        line("\(job): dropped \(files.joined(separator: ", ")) (transient; every reader has run)")
    }

    func started(_ job: JobID, reason: String) {
        if !interactive { line("\(job): running (\(reason))") }
    }

    func failed(_ job: JobID, reason: String, log: String?) {
        line("\(job): FAILED: \(reason)" + (log.map { "; log: \($0)" } ?? ""))
    }

    /// The live line: what runs, how far the run is, how long it has left.
    func progress(running: [(job: JobID, shardCount: Int?)], queue: (queued: Int, running: Int)?, done: Int, known: Int, remaining: Double?) {
        guard showsProgress else { return }
        let names = running.map { job, count -> String in
            guard let shard = job.shards.last, let count else { return job.description }
            let outer = job.shards.dropLast().map { "\($0)." }.joined()
            return "\(job.step)\(job.sweepValue.map { "@" + $0 } ?? "") shard \(outer)\(shard + 1)/\(count)"
        }
        var activity = names.isEmpty ? "checking" : "running \(names.joined(separator: ", "))"
        // A batch system's queue: what waits there and what runs, rather than every name.
        if let queue { activity = "\(queue.queued) queued, \(queue.running) running" }
        var text = "mimir: \(done)/\(known) done, \(activity), \(Self.duration(Date().timeIntervalSince(start)))"
        if let remaining { text += ", ~\(Self.duration(remaining)) left" }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text.prefix(200))".utf8))
        liveLine = true
    }

    /// A line that stays.
    public func line(_ text: String) {
        guard !quiet else { return }
        if liveLine { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)); liveLine = false }
        FileHandle.standardError.write(Data("mimir: \(text)\n".utf8))
    }

    static func duration(_ seconds: Double) -> String {
        seconds < 60 ? String(format: "%.1f s", seconds) : String(format: "%d:%02d", Int(seconds) / 60, Int(seconds) % 60)
    }
}
