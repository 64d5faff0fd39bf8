import Foundation
import SystemSupport

/// One runner at a time on an artifacts directory: an exclusive flock on `artifacts/.mimir.lock`,
/// released by the kernel when the runner exits, however it exits.
///
/// The lock file also says who works there: the runner and each stage it started, by process id and
/// start time (`runner PID START`, `stage PID START RUN`). A runner killed by SIGKILL leaves its stages
/// running in their own process groups; the next runner to claim the lock stops them before it
/// cleans up after them, and `mimir status` reads the file to show which jobs are running.
public final class RunLock: StageRecorder, @unchecked Sendable {  // `stages` behind `lock`
    /// A stage recorded in the lock file: its process and the ledger run it works for.
    public struct RecordedStage: Equatable, Sendable {
        var process: ProcessIdentity
        public var run: Int64
        public var pid: pid_t { process.pid }
    }

    private let descriptor: Int32
    private let path: String
    private let lock = NSLock()
    private var runner: ProcessIdentity?
    private var stages: [pid_t: RecordedStage] = [:]

    /// Takes the lock, waiting for it with `wait`, else refusing with the holder's process id.
    public init(artifacts: String, wait: Bool) throws {
        path = Self.path(artifacts: artifacts)
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw RunnerError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK else {
                defer { close(descriptor) }
                throw RunnerError.io("cannot lock \(path): \(String(cString: strerror(errno)))")
            }
            let holder = Self.parse(Self.contents(of: path)).runner.map { String($0.pid) } ?? "?"
            guard wait else {
                close(descriptor)
                throw RunnerError.busy("another mimir (process \(holder)) is working on \(artifacts); wait for it to finish, or pass --wait to queue behind it")
            }
            FileHandle.standardError.write(Data("mimir: waiting for process \(holder), which is working on \(artifacts)\n".utf8))
            _ = retryOnInterrupt { flock(descriptor, LOCK_EX) }
        }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// Takes over the artifacts: stops every stage a previous runner recorded that still runs
    /// (SIGTERM to its process group, SIGKILL after 5 s), then records this runner. Returns the
    /// stages it stopped.
    public func claim() -> [RecordedStage] {
        let previous = Self.parse(Self.contents(of: path))
        let orphans = previous.stages.filter { $0.process.isRunning }
        for orphan in orphans { Self.stop(orphan.process) }
        lock.lock()
        runner = ProcessIdentity(pid: getpid())
        stages = [:]
        writeLocked()
        lock.unlock()
        return orphans
    }

    public func started(pid: pid_t, run: Int64) {
        guard let process = ProcessIdentity(pid: pid) else { return }  // already gone
        lock.lock()
        stages[pid] = RecordedStage(process: process, run: run)
        writeLocked()
        lock.unlock()
    }

    public func ended(pid: pid_t) {
        lock.lock()
        if stages.removeValue(forKey: pid) != nil { writeLocked() }
        lock.unlock()
    }

    /// The stages of the runner holding the lock on `artifacts`, if that runner is alive (read
    /// without locking, so that looking never gets in a runner's way).
    public static func liveStages(artifacts: String) -> [RecordedStage] {
        let recorded = parse(contents(of: path(artifacts: artifacts)))
        guard recorded.runner?.isRunning == true else { return [] }
        return recorded.stages.filter { $0.process.isRunning }
    }

    // MARK: The file

    static func path(artifacts: String) -> String { artifacts + "/.mimir.lock" }

    /// Rewrites the file from the start, then cuts it to length: a reader (or a crash) between the
    /// two sees whole lines first; `parse` skips a broken tail.
    private func writeLocked() {
        var text = runner.map { "runner \($0.pid) \($0.startTime)\n" } ?? ""
        for stage in stages.values.sorted(by: { $0.pid < $1.pid }) {
            text += "stage \(stage.pid) \(stage.process.startTime) \(stage.run)\n"
        }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let count = retryOnInterrupt { bytes[written...].withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, off_t(written)) } }
            guard count > 0 else { return }  // a full disk: the record is best effort, the lock still holds
            written += count
        }
        ftruncate(descriptor, off_t(bytes.count))
    }

    private static func contents(of path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    static func parse(_ text: String) -> (runner: ProcessIdentity?, stages: [RecordedStage]) {
        var runner: ProcessIdentity?
        var stages: [RecordedStage] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 3, let pid = pid_t(fields[1]), pid > 0, let start = UInt64(fields[2]) else { continue }
            let process = ProcessIdentity(pid: pid, startTime: start)
            if fields[0] == "runner" && fields.count == 3 { runner = process }
            if fields[0] == "stage" && fields.count == 4, let run = Int64(fields[3]) { stages.append(RecordedStage(process: process, run: run)) }
        }
        return (runner, stages)
    }

    /// Stops a stage's process group: SIGTERM, then SIGKILL if it has not ended within 5 s.
    private static func stop(_ process: ProcessIdentity) {
        for (signal, patience) in [(SIGTERM, 5.0), (SIGKILL, 2.0)] {
            kill(-process.pid, signal)
            let deadline = Date(timeIntervalSinceNow: patience)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if !process.isRunning { return }
        }
    }
}

/// Told when the executor starts and reaps a stage process (the lock file records them).
public protocol StageRecorder: AnyObject, Sendable {
    func started(pid: pid_t, run: Int64)
    func ended(pid: pid_t)
}
