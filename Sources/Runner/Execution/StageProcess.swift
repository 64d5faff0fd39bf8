import Foundation
import SystemSupport

/// A stage's process: started in its own process group with stdout and stderr in its log, and waited
/// for with what it used. The local executor and the batch launcher (`mimir launch-task`) both run
/// stages this way.
enum StageProcess {
    /// A started stage: its process, and the read end of the pipe it reports its peak memory on.
    struct Started {
        let pid: pid_t
        let peakReport: Int32
    }

    /// The descriptor a stage writes its peak memory to (`PeakMemory`).
    private static let peakReportDescriptor: Int32 = 3

    /// Starts `arguments` (the executable first, looked up in the PATH) with stdin from /dev/null and
    /// stdout and stderr appended to nothing but `logPath`, which it truncates.
    static func spawn(_ arguments: [String], logPath: String) throws -> Started {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else {
            throw RunnerError.io("cannot start \(arguments[0]): pipe: \(String(cString: strerror(errno)))")
        }
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
        defer { close(writeEnd) }
        // Close-on-exec, so that no later stage inherits an end (stages are started by one thread, and
        // dup2 clears it on this stage's copy); non-blocking, so that a stage that wrote nothing leaves
        // nothing to wait for.
        for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(readEnd, F_SETFL, O_NONBLOCK)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, peakReportDescriptor)
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

        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var variables = ProcessInfo.processInfo.environment
        variables[PeakMemory.descriptorVariable] = "\(peakReportDescriptor)"
        let environment = variables.map { "\($0.key)=\($0.value)" }.sorted()
        let envp = environment.map { strdup($0) } + [nil]
        defer { envp.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, envp)
        guard status == 0 else {
            close(readEnd)
            throw RunnerError.io("cannot start \(arguments[0]): \(String(cString: strerror(status)))")
        }
        return Started(pid: pid, peakReport: readEnd)
    }

    /// Waits for a stage to end: how it ended, and its CPU time and peak memory (its own report of
    /// its peak if it made one, else the kernel's, which includes the runner's peak: `PeakMemory`).
    static func wait(_ process: Started) -> (ending: TaskResult.Ending, usage: ResourceUsage) {
        var status: Int32 = 0
        var usage = rusage()
        _ = retryOnInterrupt { wait4(process.pid, &status, 0, &usage) }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
        let signal = status & 0x7f
        let ending: TaskResult.Ending = signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        // Linux counts ru_maxrss in kilobytes.
        let peak = PeakMemory.read(from: process.peakReport) ?? Int64(usage.ru_maxrss) * 1024
        return (ending, ResourceUsage(cpuSeconds: cpu, peakMemoryBytes: peak))
    }
}
