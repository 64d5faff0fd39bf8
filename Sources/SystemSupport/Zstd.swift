import CZstd

// The only file that calls libzstd. Each wrapper says which ZSTD_ function it calls.

/// A reusable compression context (`ZSTD_createCCtx`); single-threaded, one per writer.
public final class ZstdCompressor {
    private let context: OpaquePointer
    public let level: Int32

    public init(level: Int32) throws(ZstdError) {
        guard level >= ZSTD_minCLevel(), level <= ZSTD_maxCLevel() else {
            throw ZstdError(message: "ZSTD level \(level) is outside \(ZSTD_minCLevel())...\(ZSTD_maxCLevel())")
        }
        guard let context = ZSTD_createCCtx() else { throw ZstdError(message: "ZSTD_createCCtx failed") }
        self.context = context
        self.level = level
    }

    deinit { ZSTD_freeCCtx(context) }

    /// Appends one zstd frame of `source` to `destination` (`ZSTD_compressCCtx`).
    public func compress(_ source: UnsafeRawBufferPointer, appendingTo destination: inout [UInt8]) {
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
public final class ZstdDecompressor {
    private let context: OpaquePointer

    public init() {
        guard let context = ZSTD_createDCtx() else { fatalError("ZSTD_createDCtx failed: out of memory") }
        self.context = context
    }

    deinit { ZSTD_freeDCtx(context) }

    /// Decompresses `source`, which must expand to exactly `destination.count` bytes
    /// (`ZSTD_decompressDCtx`). Returns a message for the caller's error on failure.
    public func decompress(_ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) -> String? {
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

/// Streaming decompression of a sequence of zstd frames (`ZSTD_decompressStream`), for inputs read
/// piece by piece such as `.pcap.zst` captures.
public final class ZstdDecompressionStream {
    private let stream: OpaquePointer

    public init() {
        guard let stream = ZSTD_createDStream() else { fatalError("ZSTD_createDStream failed: out of memory") }
        ZSTD_initDStream(stream)
        self.stream = stream
    }

    deinit { ZSTD_freeDStream(stream) }

    /// Decompresses from `input` (starting at `consumed`) into `output`; advances `consumed` and returns
    /// how many bytes it wrote and whether that ended a frame. Fails when the data is not valid zstd.
    public func decompress(_ input: UnsafeRawBufferPointer, consumed: inout Int,
                           into output: UnsafeMutableRawBufferPointer) -> Result<(Int, Bool), ZstdError> {
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: consumed)
        var outBuffer = ZSTD_outBuffer(dst: output.baseAddress, size: output.count, pos: 0)
        let result = ZSTD_decompressStream(stream, &outBuffer, &inBuffer)
        consumed = inBuffer.pos
        if ZSTD_isError(result) != 0 {
            return .failure(ZstdError(message: String(cString: ZSTD_getErrorName(result))))
        }
        return .success((outBuffer.pos, result == 0))
    }
}

/// libzstd's reason for refusing a level or a stream (`ZSTD_getErrorName`).
public struct ZstdError: Error {
    public let message: String
}
