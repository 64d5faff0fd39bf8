import Foundation

/// One runner at a time on an artifacts directory: an exclusive flock on `artifacts/.mimir.lock`,
/// released by the kernel when the runner exits, however it exits.
public final class RunLock {
    private let descriptor: Int32

    /// Takes the lock, waiting for it with `wait`, else refusing with the holder's process id.
    public init(artifacts: String, wait: Bool) throws {
        let path = artifacts + "/.mimir.lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw RunnerError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK else { throw RunnerError.io("cannot lock \(path): \(String(cString: strerror(errno)))") }
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            guard wait else {
                close(descriptor)
                throw RunnerError.busy("another mimir (process \(holder)) is working on \(artifacts); wait for it to finish, or pass --wait to queue behind it")
            }
            FileHandle.standardError.write(Data("mimir: waiting for process \(holder), which is working on \(artifacts)\n".utf8))
            while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
        }
        ftruncate(descriptor, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(descriptor, $0, strlen($0)) }
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
