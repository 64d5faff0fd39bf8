import Foundation
import SystemSupport

/// Runs tasks as child processes on this machine, up to `capacity` at once. Each child gets its own
/// process group (so Ctrl-C reaches the runner, which stops them in order) and writes stdout and
/// stderr to its log file. The recorder (the run lock) learns each child's process id, so that a
/// runner that dies leaves a record of the stages it left running.
public final class LocalExecutor: Executor, @unchecked Sendable {  // state behind `condition`
    public let capacity: Int
    private let recorder: StageRecorder?
    private let condition = NSCondition()
    private var finished: [TaskResult] = []
    private var running: [Int64: pid_t] = [:]

    public init(capacity: Int, recorder: StageRecorder? = nil) {
        self.capacity = max(1, capacity)
        self.recorder = recorder
        Self.closeOnExec()
    }

    /// Marks every descriptor the runner inherited or opened (beyond stdin, stdout and stderr) close-on-
    /// exec, so none leaks into a stage: a leaked pipe would keep the runner's caller waiting on a
    /// stage that outlives the runner.
    private static func closeOnExec() {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            guard let descriptor = Int32(entry), descriptor > 2 else { continue }
            _ = fcntl(descriptor, F_SETFD, fcntl(descriptor, F_GETFD) | FD_CLOEXEC)
        }
    }

    public func launch(_ tasks: [Task]) -> [SubmittedTask] {
        for task in tasks { launch(task) }
        return []
    }

    /// Local processes die with their runner's record in the lock file; batch tasks are not ours to follow.
    public func adopt(_ tasks: [SubmittedTask]) -> Bool { tasks.isEmpty }

    public var queue: (queued: Int, running: Int)? { nil }

    private func launch(_ task: Task) {
        let start = DispatchTime.now().uptimeNanoseconds
        let process: StageProcess.Started
        do {
            process = try StageProcess.spawn(task.arguments, logPath: task.logPath)
        } catch {
            report(TaskResult(id: task.id, ending: .notStarted("\(error)"), seconds: 0))
            return
        }
        recorder?.started(pid: process.pid, run: task.id)
        condition.lock()
        running[task.id] = process.pid
        condition.unlock()
        Thread.detachNewThread { [self] in
            let (ending, usage) = StageProcess.wait(process)
            recorder?.ended(pid: process.pid)
            let seconds = Nanoseconds.seconds(Int64(DispatchTime.now().uptimeNanoseconds - start))
            condition.lock()
            running[task.id] = nil
            condition.unlock()
            report(TaskResult(id: task.id, ending: ending, seconds: seconds, usage: usage))
        }
    }

    public func next(timeout: Double) -> TaskResult? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while finished.isEmpty {
            if !condition.wait(until: deadline) { break }
        }
        return finished.isEmpty ? nil : finished.removeFirst()
    }

    public func cancelAll() {
        condition.lock()
        let groups = Array(running.values)
        condition.unlock()
        for group in groups { kill(-group, SIGTERM) }
    }

    private func report(_ result: TaskResult) {
        condition.lock()
        finished.append(result)
        condition.signal()
        condition.unlock()
    }
}
