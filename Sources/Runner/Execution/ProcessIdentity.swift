import Foundation

/// A process as the kernel knows it now: its id and its start time (clock ticks after boot, field
/// 22 of `/proc/PID/stat`). Process ids are reused; the pair is not, so a recorded identity tells
/// whether the process still running under that id is the one recorded.
struct ProcessIdentity: Equatable, Sendable {
    var pid: pid_t
    var startTime: UInt64

    /// The living process `pid` (nil when there is none, or only its zombie).
    init?(pid: pid_t) {
        guard pid > 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // After the command name (which may hold spaces and parentheses): state, then fields 4 onwards.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, fields[0] != "Z", fields[0] != "X", let start = UInt64(fields[19]) else { return nil }
        self.pid = pid
        startTime = start
    }

    init(pid: pid_t, startTime: UInt64) {
        self.pid = pid
        self.startTime = startTime
    }

    /// Whether the recorded process is still running (not another that reuses its id).
    var isRunning: Bool { ProcessIdentity(pid: pid) == self }
}
