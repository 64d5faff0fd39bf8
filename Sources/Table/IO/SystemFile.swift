#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(CGlibcExtras)
import CGlibcExtras
#endif

// The file system calls of the table library, each retried on EINTR and turned into a TableError.

/// A file opened for reading with positioned reads (`pread`), so column chunks are read on demand.
final class InputFile {
    let path: String
    let size: Int
    private let descriptor: Int32

    init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw TableError.io(path: path, operation: "open", errno: errno) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let code = errno
            close(descriptor)
            throw TableError.io(path: path, operation: "stat", errno: code)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw TableError.io(path: path, operation: "open (not a regular file)", errno: EINVAL)
        }
        self.descriptor = descriptor
        self.size = Int(info.st_size)
    }

    deinit { close(descriptor) }

    /// Reads `count` bytes at `offset`; the caller has checked that the range lies inside the file.
    func read(at offset: Int, count: Int) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            try read(at: offset, count: count, into: UnsafeMutableRawPointer(buffer.baseAddress))
            initialized = count
        }
    }

    /// Appends `count` bytes read at `offset` to `buffer`.
    func read(at offset: Int, count: Int, into buffer: RawBuffer) throws {
        try read(at: offset, count: count, into: buffer.tail(reserving: count))
        buffer.commit(count)
    }

    private func read(at offset: Int, count: Int, into destination: UnsafeMutableRawPointer?) throws {
        precondition(offset >= 0 && count >= 0 && offset + count <= size)
        var done = 0
        while done < count {
            let got = pread(descriptor, destination! + done, count - done, off_t(offset + done))
            if got < 0 {
                if errno == EINTR { continue }
                throw TableError.io(path: path, operation: "read", errno: errno)
            }
            if got == 0 {  // the file shrank after we looked at its size
                throw TableError.corrupt(path: path, offset: offset + done, detail: "the file ends early")
            }
            done += got
        }
    }
}

/// A file written under a temporary name in its final directory and renamed into place by `publish`,
/// so a reader never sees a half-written file under the final name. Dropped unpublished, the
/// temporary file is removed. Small writes are gathered in a 1 MiB buffer; large ones go straight
/// through.
public final class AtomicOutputFile {
    public let path: String
    public let temporaryPath: String
    private var descriptor: Int32
    public private(set) var bytesWritten = 0
    private var buffer: UnsafeMutableRawPointer
    private var buffered = 0
    private static let bufferSize = 1 << 20

    public init(path: String) throws {
        self.path = path
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var template = Array("\(directory)/.\(name).tmp-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw TableError.io(path: path, operation: "create a temporary file for", errno: errno) }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        self.descriptor = descriptor
        self.temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        // mkstemp creates 0600; published files get the usual 0644 less the umask.
        let mask = umask(0)
        umask(mask)
        fchmod(descriptor, 0o644 & ~mask)
        buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.bufferSize, alignment: 16)
    }

    deinit {
        buffer.deallocate()
        if descriptor >= 0 {
            close(descriptor)
            unlink(temporaryPath)
        }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        let large = bytes.count >= Self.bufferSize / 2
        // Whatever is buffered goes out first, so bytes always reach the file in order.
        if large || buffered + bytes.count > Self.bufferSize { try flushBuffer() }
        if large {
            try writeFully(bytes)
        } else {
            (buffer + buffered).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            buffered += bytes.count
        }
        bytesWritten += bytes.count
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Appends `count` bytes of the open file `source` from `offset`, in the kernel (copy_file_range,
    /// as `cp` does): no pass through this process's memory. Falls back to reading and writing where
    /// the kernel cannot copy between the two files. `source`'s own file position is left alone.
    public func copy(from source: Int32, offset: Int, count: Int) throws {
        try flushBuffer()
        var from = offset
        let end = offset + count
        while from < end {
            var position = loff_t(from)
            let copied = copy_file_range(source, &position, descriptor, nil, end - from, 0)
            if copied > 0 {
                from += copied
            } else if copied == 0 {
                throw TableError.io(path: temporaryPath, operation: "copy (the source ended at \(from)) into", errno: EIO)
            } else if errno == EINTR {
                continue
            } else if [EXDEV, ENOSYS, EOPNOTSUPP, EINVAL].contains(errno) {
                try copyThroughMemory(from: source, offset: from, count: end - from)
                break
            } else {
                throw TableError.io(path: temporaryPath, operation: "copy into", errno: errno)
            }
        }
        bytesWritten += count
    }

    private func copyThroughMemory(from source: Int32, offset: Int, count: Int) throws {
        var done = 0
        while done < count {
            let got = pread(source, buffer, min(Self.bufferSize, count - done), off_t(offset + done))
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else {
                throw TableError.io(path: temporaryPath, operation: "copy (reading the source at \(offset + done)) into", errno: got < 0 ? errno : EIO)
            }
            try writeFully(UnsafeRawBufferPointer(start: buffer, count: got))
            done += got
        }
    }

    private func flushBuffer() throws {
        try writeFully(UnsafeRawBufferPointer(start: buffer, count: buffered))
        buffered = 0
    }

    private func writeFully(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let wrote = Glibc.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if wrote < 0 {
                if errno == EINTR { continue }
                throw TableError.io(path: temporaryPath, operation: "write", errno: errno)
            }
            done += wrote
        }
    }

    /// Writes out the buffer, renames the file to its final name and, with `durable`, first forces the
    /// data and afterwards the directory entry to disk (fsync), so the name never survives a power
    /// loss without the data. Without it the rename is still atomic for every reader; a caller that
    /// writes many files can make them durable together (one sync) instead of one by one.
    public func publish(durable: Bool = true) throws {
        try flushBuffer()
        if durable {
            guard fsync(descriptor) == 0 else { throw TableError.io(path: temporaryPath, operation: "fsync", errno: errno) }
        }
        guard close(descriptor) == 0 else {
            descriptor = -1
            unlink(temporaryPath)
            throw TableError.io(path: temporaryPath, operation: "close", errno: errno)
        }
        descriptor = -1
        guard rename(temporaryPath, path) == 0 else {
            let code = errno
            unlink(temporaryPath)
            throw TableError.io(path: path, operation: "rename into place", errno: code)
        }
        guard durable else { return }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let directoryDescriptor = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }
}
