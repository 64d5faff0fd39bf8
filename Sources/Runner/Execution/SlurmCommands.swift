import Foundation
import SystemSupport

/// Slurm's client commands, run as child processes with their arguments passed as they are (no shell
/// in between): sbatch, squeue, scancel and scontrol, found in the PATH; `SLURM_CONF` and the rest of
/// the environment pass through.
enum SlurmCommands {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        /// stderr's text, or the exit status when it said nothing.
        var complaint: String {
            let text = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? "exit status \(status)" : text
        }
    }

    /// Runs `command` and waits for it: posix_spawn, both pipes read to their end with poll, then
    /// waitpid on its own pid (Foundation's Process, which waits for SIGCHLD, is not relied on).
    static func run(_ command: String, _ arguments: [String]) throws -> Output {
        var outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
            throw RunnerError.io("cannot run \(command): \(String(cString: strerror(errno)))")
        }
        // Only the child's stdout and stderr keep the pipes' write ends (another spawn at once must not inherit them).
        for descriptor in outPipe + errPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], STDERR_FILENO)
        let argv = ([command] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, command, &actions, nil, argv, environ)
        close(outPipe[1])
        close(errPipe[1])
        defer { close(outPipe[0]); close(errPipe[0]) }
        guard spawned == 0 else { throw RunnerError.io("cannot run \(command): \(String(cString: strerror(spawned)))") }
        var collected: [Int32: [UInt8]] = [outPipe[0]: [], errPipe[0]: []]
        var open = [outPipe[0], errPipe[0]]
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard retryOnInterrupt({ poll(&fds, nfds_t(fds.count), -1) }) >= 0 else { break }
            for entry in fds where entry.revents != 0 {
                let count = retryOnInterrupt { read(entry.fd, &buffer, buffer.count) }
                if count > 0 { collected[entry.fd]! += buffer[0..<count] } else { open.removeAll { $0 == entry.fd } }
            }
        }
        var status: Int32 = 0
        _ = retryOnInterrupt { waitpid(pid, &status, 0) }
        let exit = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Output(status: exit, stdout: String(decoding: collected[outPipe[0]]!, as: UTF8.self),
                      stderr: String(decoding: collected[errPipe[0]]!, as: UTF8.self))
    }
}
