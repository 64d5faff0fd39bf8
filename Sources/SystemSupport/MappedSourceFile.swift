import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file mapped read-only, whose byte ranges `AtomicOutputFile.append` writes into other files.
/// Only the kernel reads the mapping (in `write(2)`); pages are mapped just before they are copied
/// and dropped just after, so resident memory stays small whatever the file's size.
public final class MappedSourceFile: @unchecked Sendable {
    public let path: String
    let descriptor: Int32
    /// The start of the mapping; nil for an empty file or where the file cannot be mapped.
    let base: UnsafeRawPointer?
    /// The file's size when it was mapped; bytes beyond it are read with `pread`.
    public let mappedSize: Int
    private static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Maps the open file `descriptor` (which stays the caller's to close).
    public init(descriptor: Int32, path: String) throws {
        self.path = path
        self.descriptor = dup(descriptor)
        guard self.descriptor >= 0 else { throw FileError.io(path: path, operation: "dup", errno: errno) }
        var info = stat()
        guard fstat(self.descriptor, &info) == 0 else {
            let code = errno
            close(self.descriptor)
            throw FileError.io(path: path, operation: "stat", errno: code)
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
