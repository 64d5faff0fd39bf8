#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    /// The most bytes of a mapped source written in one call.
    private static let mappedPiece = 8 << 20

    public init(path: String) throws {
        self.path = path
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        (descriptor, temporaryPath) = try Self.createTemporary(for: path, in: directory, name: name)
        buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.bufferSize, alignment: 16)
    }

    /// Creates `DIRECTORY/.NAME.tmp-XXXXXX` (six random letters and digits) with the usual 0644 less
    /// the umask, applied by the kernel. Not mkstemp: it creates 0600, and reading the umask to widen
    /// that means setting it, which changes it for a moment for every thread of the process (a test
    /// run's Slurm started then got a world-writable folder, which munged refused).
    private static func createTemporary(for path: String, in directory: String, name: String) throws -> (Int32, String) {
        let symbols = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        var random = SystemRandomNumberGenerator()
        for _ in 0..<100 {
            let suffix = String(decoding: (0..<6).map { _ in symbols.randomElement(using: &random)! }, as: UTF8.self)
            let candidate = "\(directory)/.\(name).tmp-\(suffix)"
            let descriptor = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if descriptor >= 0 { return (descriptor, candidate) }
            guard errno == EEXIST else { break }
        }
        throw FileError.io(path: path, operation: "create a temporary file for", errno: errno)
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

    /// Writes `bytes` as the whole of the file at `path`, atomically: for small files (manifests,
    /// models, reports) that are written in one go.
    public static func publish(_ bytes: [UInt8], to path: String, durable: Bool = true) throws {
        let file = try AtomicOutputFile(path: path)
        try file.write(bytes)
        try file.publish(durable: durable)
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
        // In pieces, so the pages behind each are released before the next is mapped: a range written
        // whole (a 600-second shard) kept all of its pages resident at once (380 MB on the demo capture).
        for start in stride(from: mapped.lowerBound, to: mapped.upperBound, by: Self.mappedPiece) {
            let piece = start..<min(start + Self.mappedPiece, mapped.upperBound)
            try source.withMappedBytes(piece) { try writeFully($0, mappedFrom: (source.path, piece.lowerBound)) }
        }
        let unmapped = max(mapped.upperBound, range.lowerBound)..<range.upperBound
        if !unmapped.isEmpty { try copyThroughMemory(from: source, range: unmapped) }
        bytesWritten += range.count
    }

    private func copyThroughMemory(from source: MappedSourceFile, range: Range<Int>) throws {
        var done = range.lowerBound
        while done < range.upperBound {
            let got = retryOnInterrupt { pread(source.descriptor, buffer, min(Self.bufferSize, range.upperBound - done), off_t(done)) }
            guard got >= 0 else { throw FileError.io(path: source.path, operation: "read", errno: errno) }
            guard got > 0 else { throw FileError.endsEarly(path: source.path, offset: done) }
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
            let wrote = retryOnInterrupt { Glibc.write(descriptor, bytes.baseAddress! + done, bytes.count - done) }
            if wrote < 0 {
                if errno == EFAULT, let source { throw FileError.endsEarly(path: source.path, offset: source.offset + done) }
                throw FileError.io(path: temporaryPath, operation: "write", errno: errno)
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
            guard fsync(descriptor) == 0 else { throw FileError.io(path: temporaryPath, operation: "fsync", errno: errno) }
        }
        guard close(descriptor) == 0 else {
            descriptor = -1
            unlink(temporaryPath)
            throw FileError.io(path: temporaryPath, operation: "close", errno: errno)
        }
        descriptor = -1
        guard rename(temporaryPath, path) == 0 else {
            let code = errno
            unlink(temporaryPath)
            throw FileError.io(path: path, operation: "rename into place", errno: code)
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

