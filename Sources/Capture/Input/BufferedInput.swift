#if canImport(Glibc)
import Glibc
#endif

/// A window over a byte stream for record parsers: `request(n)` makes the next `n` bytes contiguous
/// in memory (refilling and compacting as needed) and returns them without copying; `consume(n)`
/// moves past them. Offsets are positions in the (decompressed) stream, for error messages.
///
/// A capture stored uncompressed is memory-mapped instead: the whole file is one window, so records
/// are parsed where the page cache holds them, without a copy.
final class BufferedInput {
    private let source: ByteSource
    // Touched on every packet, from one thread, never across a call that could re-enter: dynamic
    // exclusivity checks on these cost a third of the stage's time (measured), so they are off here.
    @exclusivity(unchecked) private var storage: UnsafeMutableRawPointer
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private var start = 0
    @exclusivity(unchecked) private var end = 0
    @exclusivity(unchecked) private var atEnd = false
    private let mapped: Bool
    /// Stream offset of the next unconsumed byte.
    @exclusivity(unchecked) private(set) var offset = 0

    init(_ source: ByteSource, capacity: Int = 4 << 20) {
        self.source = source
        if let file = source as? FileSource, let (base, size) = Self.map(file) {
            storage = base
            self.capacity = size
            end = size
            atEnd = true
            mapped = true
            return
        }
        self.capacity = capacity
        guard let memory = malloc(capacity) else { fatalError("out of memory") }
        storage = memory
        mapped = false
    }

    deinit {
        if mapped { munmap(storage, capacity) } else { free(storage) }
    }

    /// Maps a regular file read-only; nil (read it instead) for pipes, empty files or a failing mmap.
    private static func map(_ file: FileSource) -> (UnsafeMutableRawPointer, Int)? {
        var info = stat()
        guard fstat(file.descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size > 0 else { return nil }
        let size = Int(info.st_size)
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, file.descriptor, 0), base != MAP_FAILED else { return nil }
        madvise(base, size, MADV_SEQUENTIAL)
        return (base, size)
    }

    /// Bytes available now without refilling (at most 8 MiB of a mapped file, so the reader consumes,
    /// and releases pages, as it goes): for parsers that walk many records at once.
    var window: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage + start, count: min(end - start, mapped ? 8 << 20 : .max))
    }

    var endedEarly: Bool { source.endedEarly }

    /// The next `count` bytes, or nil if the stream ends first (then `available` says how many remain).
    /// `count` must already be checked against a sane maximum by the caller. The pointer is valid
    /// until the next `request`, which may move the bytes.
    @inline(__always)
    func request(_ count: Int) throws -> UnsafeRawPointer? {
        if end - start >= count { return UnsafeRawPointer(storage + start) }
        return try refill(count)
    }

    /// Bytes left in the stream that `request` could still return (after it returned nil: the rest).
    var available: Int { end - start }

    @inline(__always)
    func consume(_ count: Int) {
        start += count
        offset += count
        if mapped && start - released >= Self.releaseStep { releaseConsumedPages() }
    }

    /// Whether the bytes handed out stay valid after the next `request` (a memory-mapped file).
    var bytesStayValid: Bool { mapped }

    /// Mapped pages behind the reader are dropped from this process (they stay in the page cache, and
    /// come back from the file if touched again), so resident memory does not grow with the capture.
    private static let releaseStep = 32 << 20
    @exclusivity(unchecked) private var released = 0

    private func releaseConsumedPages() {
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let end = start / pageSize * pageSize
        guard end > released else { return }
        madvise(storage + released, end - released, MADV_DONTNEED)
        released = end
    }

    private func refill(_ count: Int) throws -> UnsafeRawPointer? {
        if mapped { return nil }
        if start > 0 {
            memmove(storage, storage + start, end - start)
            end -= start
            start = 0
        }
        if count > capacity {
            var newCapacity = capacity
            while newCapacity < count { newCapacity *= 2 }
            guard let memory = realloc(storage, newCapacity) else { fatalError("out of memory") }
            storage = memory
            capacity = newCapacity
        }
        while end < count && !atEnd {
            let got = try source.read(into: UnsafeMutableRawBufferPointer(start: storage + end, count: capacity - end))
            if got == 0 { atEnd = true } else { end += got }
        }
        return end >= count ? UnsafeRawPointer(storage) : nil
    }
}
