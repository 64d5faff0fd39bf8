import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
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

    /// Appends the bytes `range` of `source`. Where the range lies in `source`'s mapping, `write(2)`
    /// takes them straight from the file's cached pages: the kernel copies them once, into whole pages
    /// of this file, and this process never reads them (so a source that shrinks meanwhile is an error,
    /// not a SIGBUS). Beyond the mapping (the source grew after it was mapped) they are read and
    /// written through the buffer.
    public func append(_ range: Range<Int>, of source: MappedSourceFile) throws {
        guard !range.isEmpty else { return }
        try flushBuffer()
        let mapped = range.clamped(to: 0..<source.mappedSize)
        if !mapped.isEmpty {
            try source.withMappedBytes(mapped) { try writeFully($0, mappedFrom: (source.path, mapped.lowerBound)) }
        }
        let unmapped = max(mapped.upperBound, range.lowerBound)..<range.upperBound
        if !unmapped.isEmpty { try copyThroughMemory(from: source, range: unmapped) }
        bytesWritten += range.count
    }

    private func copyThroughMemory(from source: MappedSourceFile, range: Range<Int>) throws {
        var done = range.lowerBound
        while done < range.upperBound {
            let got = pread(source.descriptor, buffer, min(Self.bufferSize, range.upperBound - done), off_t(done))
            if got < 0 && errno == EINTR { continue }
            if got < 0 { throw TableError.io(path: source.path, operation: "read", errno: errno) }
            guard got > 0 else { throw TableError.corrupt(path: source.path, offset: done, detail: "the file ends early") }
            try writeFully(UnsafeRawBufferPointer(start: buffer, count: got))
            done += got
        }
    }

    private func flushBuffer() throws {
        try writeFully(UnsafeRawBufferPointer(start: buffer, count: buffered))
        buffered = 0
    }

    /// Writes all of `bytes`. When they are a mapped file's (`mappedFrom`: its path and the offset of
    /// `bytes` in it), a page the file no longer has fails the write with EFAULT: the file shrank.
    private func writeFully(_ bytes: UnsafeRawBufferPointer, mappedFrom source: (path: String, offset: Int)? = nil) throws {
        var done = 0
        while done < bytes.count {
            let wrote = Glibc.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if wrote < 0 {
                if errno == EINTR { continue }
                if errno == EFAULT, let source {
                    throw TableError.corrupt(path: source.path, offset: source.offset + done,
                                             detail: "the file ends early (it shrank while it was copied)")
                }
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

/// A file mapped read-only, whose byte ranges `AtomicOutputFile.append` writes into other files.
/// Only the kernel reads the mapping (in `write(2)`); pages are mapped just before they are copied
/// and dropped just after, so resident memory stays small whatever the file's size.
public final class MappedSourceFile: @unchecked Sendable {
    public let path: String
    let descriptor: Int32
    /// The start of the mapping; nil for an empty file or where the file cannot be mapped.
    let base: UnsafeRawPointer?
    /// The file's size when it was mapped; bytes beyond it are read with `pread`.
    let mappedSize: Int
    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Maps the open file `descriptor` (which stays the caller's to close).
    public init(descriptor: Int32, path: String) throws {
        self.path = path
        self.descriptor = dup(descriptor)
        guard self.descriptor >= 0 else { throw TableError.io(path: path, operation: "dup", errno: errno) }
        var info = stat()
        guard fstat(self.descriptor, &info) == 0 else {
            let code = errno
            close(self.descriptor)
            throw TableError.io(path: path, operation: "stat", errno: code)
        }
        let size = Int(info.st_size)
        let mapping = size > 0 ? mmap(nil, size, PROT_READ, MAP_SHARED, self.descriptor, 0) : MAP_FAILED
        if let mapping, mapping != MAP_FAILED {
            base = UnsafeRawPointer(mapping)
            mappedSize = size
        } else {
            base = nil
            mappedSize = 0
        }
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), mappedSize) }
        close(descriptor)
    }

    /// Calls `body` with the mapped bytes of `range` (which must lie inside the mapping), for the
    /// kernel to read: only system calls may read them, as a page past a shrunken file's end kills a
    /// process that touches it. Its pages are mapped in one call first, so `write` does not stop at
    /// every page to fault it in (a best effort: kernels before 5.14 lack MADV_POPULATE_READ). When
    /// it returns, every page more than 2 MiB below the ranges still in use is unmapped (the file's
    /// cache keeps them), so resident memory stays small. Releasing each range's own pages as it was
    /// written left most of a split's input mapped (peak resident memory 112 MB on the bench capture):
    /// pages released once were mapped again, most likely because a fault maps the whole page-cache
    /// folio around a page, and a large folio reaches up to 2 MiB below it.
    func withMappedBytes(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(range.upperBound <= mappedSize, "the range lies inside the mapping")
        guard let base, !range.isEmpty else { return }
        inUse.withLock { $0.append(range.lowerBound) }
        defer { releaseBehindRangesInUse(finished: range) }
        advise(range.lowerBound..<range.upperBound, MADV_POPULATE_READ)
        try body(UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count))
    }

    private static let largestFolio = 2 << 20

    /// The starts of the ranges being copied.
    private let inUse = Mutex<[Int]>([])

    private func releaseBehindRangesInUse(finished range: Range<Int>) {
        inUse.withLock { starts in
            starts.remove(at: starts.firstIndex(of: range.lowerBound)!)
            // From the mapping's start every time: pages released once can be mapped again by a
            // later fault (releasing only what lay past the last release left 75-91 MB mapped).
            let frontier = (starts.min() ?? range.upperBound) - Self.largestFolio
            if frontier > 0 { advise(0..<frontier, MADV_DONTNEED) }
        }
    }

    private func advise(_ range: Range<Int>, _ advice: Int32) {
        let start = range.lowerBound / Self.pageSize * Self.pageSize
        _ = madvise(UnsafeMutableRawPointer(mutating: base! + start), range.upperBound - start, advice)
    }
}
