#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file for a stage's own use between two passes over its input: created in `directory` and
/// unlinked at once, so it never has a name anyone could take for an output and nothing of it
/// outlives the process, killed or not. Written to the end, then read back from the start. Its pages
/// live in the kernel's cache, not in the process: holding a pass's worth of data here keeps the
/// stage's memory flat.
public final class ScratchFile {
    /// Where it lives, for messages (a full disk names the folder).
    public let directory: String
    private let descriptor: Int32
    /// Bytes written so far.
    public private(set) var size = 0
    private var readOffset = 0

    public init(directory: String) throws {
        self.directory = directory
        var template = Array("\(directory)/.scratch-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw FileError.io(path: directory, operation: "create a scratch file in", errno: errno) }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Appends `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let wrote = retryOnInterrupt { pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(size + done)) }
            guard wrote >= 0 else { throw FileError.io(path: directory, operation: "write a scratch file in", errno: errno) }
            done += wrote
        }
        size += bytes.count
    }

    /// Reads the next bytes written, up to `count` of them, into `destination`; returns how many (0
    /// once every byte has been read).
    public func read(into destination: UnsafeMutableRawPointer, count: Int) throws -> Int {
        let wanted = min(count, size - readOffset)
        var done = 0
        while done < wanted {
            let got = retryOnInterrupt { pread(descriptor, destination + done, wanted - done, off_t(readOffset + done)) }
            guard got > 0 else { throw FileError.io(path: directory, operation: "read a scratch file in", errno: got < 0 ? errno : EIO) }
            done += got
        }
        readOffset += wanted
        return wanted
    }
}
