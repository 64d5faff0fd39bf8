#if canImport(Glibc)
import Glibc
#endif

/// A window over a byte stream for record parsers: `request(n)` makes the next `n` bytes contiguous
/// in memory (refilling and compacting as needed) and returns them without copying; `consume(n)`
/// moves past them. Offsets are positions in the (decompressed) stream, for error messages.
///
/// Files are read, not memory-mapped: a 1 MiB buffer stays in the cache while its records are
/// parsed, where parsing a mapping waited on memory for every record header (mimir-flows took 20%
/// longer on a mapped file, measured on the 500 MB benchmark capture).
final class BufferedInput {
    private let source: ByteSource
    // Touched on every packet, from one thread, never across a call that could re-enter: dynamic
    // exclusivity checks on these cost a third of the stage's time (measured), so they are off here.
    @exclusivity(unchecked) private var storage: UnsafeMutableRawPointer
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private var start = 0
    @exclusivity(unchecked) private var end = 0
    @exclusivity(unchecked) private var atEnd = false
    /// Stream offset of the next unconsumed byte.
    @exclusivity(unchecked) private(set) var offset = 0

    init(_ source: ByteSource, capacity: Int = 1 << 20) {
        self.source = source
        self.capacity = capacity
        guard let memory = malloc(capacity) else { fatalError("out of memory") }
        storage = memory
    }

    deinit { free(storage) }

    /// Bytes available now without refilling: for parsers that walk many records at once.
    var window: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage + start, count: end - start)
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
    }

    private func refill(_ count: Int) throws -> UnsafeRawPointer? {
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
