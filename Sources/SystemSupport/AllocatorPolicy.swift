#if canImport(CGlibcExtras)
import CGlibcExtras
#endif

/// glibc's allocator hands blocks over 128 KiB to mmap and gives them back to the kernel when freed,
/// so reading row group after row group faults every output array's pages in afresh (measured: most
/// of the reader's time over pyarrow, whose jemalloc keeps freed memory). Executables that read or
/// write tables call this once: large blocks (up to 32 MiB, glibc's ceiling) then come from the heap
/// and freed memory stays for the next row group.
public enum AllocatorPolicy {
    public static func keepFreedMemory() {
        #if canImport(CGlibcExtras)
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, 1 << 30)
        #endif
    }
}
