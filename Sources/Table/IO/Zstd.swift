import CZstd

// The only file that calls libzstd. Each wrapper says which ZSTD_ function it calls.

/// A reusable compression context (`ZSTD_createCCtx`); single-threaded, one per writer.
final class ZstdCompressor {
    private let context: OpaquePointer
    let level: Int32

    init(level: Int32) throws {
        guard level >= ZSTD_minCLevel(), level <= ZSTD_maxCLevel() else {
            throw TableError.invalidInput("ZSTD level \(level) is outside \(ZSTD_minCLevel())...\(ZSTD_maxCLevel())")
        }
        guard let context = ZSTD_createCCtx() else { throw TableError.invalidInput("ZSTD_createCCtx failed") }
        self.context = context
        self.level = level
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Appends one zstd frame of `source` to `destination` (`ZSTD_compressCCtx`).
    func compress(_ source: UnsafeRawBufferPointer, appendingTo destination: inout [UInt8]) {
        let bound = ZSTD_compressBound(source.count)
        let start = destination.count
        destination.append(contentsOf: repeatElement(0, count: bound))
        let written = destination.withUnsafeMutableBytes { out in
            ZSTD_compressCCtx(context, out.baseAddress! + start, bound, source.baseAddress, source.count, level)
        }
        // With a destination of ZSTD_compressBound bytes compression cannot fail for lack of space,
        // and no other failure is possible with a valid context and level.
        precondition(ZSTD_isError(written) == 0, String(cString: ZSTD_getErrorName(written)))
        destination.removeLast(bound - written)
    }
}

/// A reusable decompression context (`ZSTD_createDCtx`).
final class ZstdDecompressor {
    private let context: OpaquePointer

    init() {
        guard let context = ZSTD_createDCtx() else { fatalError("ZSTD_createDCtx failed: out of memory") }
        self.context = context
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses `source`, which must expand to exactly `destination.count` bytes
    /// (`ZSTD_decompressDCtx`). Returns a message for the caller's error on failure.
    func decompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) -> String? {
        let written = ZSTD_decompressDCtx(context, destination.baseAddress, destination.count,
                                          source.baseAddress, source.count)
        if ZSTD_isError(written) != 0 {
            return "ZSTD data does not decompress: \(String(cString: ZSTD_getErrorName(written)))"
        }
        if written != destination.count {
            return "ZSTD data decompresses to \(written) bytes, the page header says \(destination.count)"
        }
        return nil
    }
}
