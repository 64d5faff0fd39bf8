#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A regular file opened for reading with positioned reads (`pread`), so a reader fetches only the
/// byte ranges it needs (a table's footer, then column chunks on demand).
public final class PositionedInputFile {
    public let path: String
    /// The file's size when it was opened.
    public let size: Int
    private let descriptor: Int32

    public init(path: String) throws {
        self.path = path
        let descriptor = retryOnInterrupt { open(path, O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else { throw FileError.cannotOpenInput(path: path, errno: errno) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let code = errno
            close(descriptor)
            throw FileError.io(path: path, operation: "stat", errno: code)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw FileError.notARegularFile(path: path)
        }
        self.descriptor = descriptor
        self.size = Int(info.st_size)
    }

    deinit { close(descriptor) }

    /// Reads `count` bytes at `offset`; the caller has checked that the range lies inside the file.
    public func read(at offset: Int, count: Int) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            try read(at: offset, count: count, into: UnsafeMutableRawPointer(buffer.baseAddress))
            initialized = count
        }
    }

    /// Reads `count` bytes at `offset` into `destination`, which has room for them; the caller has
    /// checked that the range lies inside the file.
    public func read(at offset: Int, count: Int, into destination: UnsafeMutableRawPointer?) throws {
        precondition(offset >= 0 && count >= 0 && offset + count <= size)
        var done = 0
        while done < count {
            let got = retryOnInterrupt { pread(descriptor, destination! + done, count - done, off_t(offset + done)) }
            guard got >= 0 else { throw FileError.io(path: path, operation: "read", errno: errno) }
            // The file shrank after its size was taken.
            guard got > 0 else { throw FileError.endsEarly(path: path, offset: offset + done) }
            done += got
        }
    }
}

extension PositionedInputFile {
    /// The whole content of the regular file at `path`, for inputs small enough to hold at once
    /// (entity logs, models, settings); a missing or unreadable file is the user's bad input.
    public static func contents(of path: String) throws -> [UInt8] {
        let file = try PositionedInputFile(path: path)
        return try file.read(at: 0, count: file.size)
    }
}
