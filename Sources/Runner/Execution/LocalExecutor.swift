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

    public func launch(_ task: Task) {
        let start = DispatchTime.now().uptimeNanoseconds
        let pid: pid_t
        do {
            pid = try Self.spawn(task)
        } catch {
            report(TaskResult(id: task.id, ending: .notStarted("\(error)"), seconds: 0))
            return
        }
        recorder?.started(pid: pid, run: task.id)
        condition.lock()
        running[task.id] = pid
        condition.unlock()
        Thread.detachNewThread { [self] in
            var status: Int32 = 0
            var usage = rusage()
            _ = retryOnInterrupt { wait4(pid, &status, 0, &usage) }
            recorder?.ended(pid: pid)
            let seconds = Nanoseconds.seconds(Int64(DispatchTime.now().uptimeNanoseconds - start))
            // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
            let signal = status & 0x7f
            let ending: TaskResult.Ending = signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
            condition.lock()
            running[task.id] = nil
            condition.unlock()
            let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
            // Linux counts ru_maxrss in kilobytes.
            report(TaskResult(id: task.id, ending: ending, seconds: seconds,
                              usage: ResourceUsage(cpuSeconds: cpu, peakMemoryBytes: Int64(usage.ru_maxrss) * 1024)))
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

    private static func spawn(_ task: Task) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, task.logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)

        let argv = task.arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawnp(&pid, task.arguments[0], &actions, &attributes, argv, environ)
        guard status == 0 else {
            throw RunnerError.io("cannot start \(task.arguments[0]): \(String(cString: strerror(status)))")
        }
        return pid
    }
}
