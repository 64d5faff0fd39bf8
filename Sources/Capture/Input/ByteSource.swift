import CZlib
import Table
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// A stream of bytes: a capture file as stored, or as decompressed from gzip or zstd.
protocol ByteSource: AnyObject {
    /// Fills as much of `buffer` as it can; returns 0 only at the end of the stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Whether the stream ended inside a compressed member or frame (a truncated .gz or .zst).
    var endedEarly: Bool { get }
}

/// How a capture file is compressed, recognised by its first bytes, never by its name.
public enum Compression: String, Sendable {
    case none, gzip, zstd

    static func detect(_ prefix: [UInt8]) -> Compression {
        if prefix.starts(with: [0x1F, 0x8B]) { return .gzip }
        if prefix.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { return .zstd }
        return .none
    }
}

/// The file's bytes as stored (`read(2)`).
final class FileSource: ByteSource {
    let path: String
    let descriptor: Int32

    init(path: String) throws {
        self.path = path
        descriptor = retryOnInterrupt { open(path, O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else { throw FileError.cannotOpenInput(path: path, errno: errno) }
        var info = stat()
        if fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            close(descriptor)
            throw FileError.notARegularFile(path: path)
        }
        posix_fadvise(descriptor, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
    }

    deinit { close(descriptor) }

    var endedEarly: Bool { false }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let got = retryOnInterrupt { Glibc.read(descriptor, buffer.baseAddress, buffer.count) }
        guard got >= 0 else { throw CaptureError.io(path: path, operation: "read", errno: errno) }
        return got
    }
}

/// Decompressed gzip (zlib's `inflate`), including files of several concatenated gzip members.
final class GzipSource: ByteSource {
    private let file: FileSource
    private var stream = z_stream()
    private var input = [UInt8](repeating: 0, count: 1 << 20)
    /// Between members (at the start, or after one ended): the compressed data may end here.
    private var betweenMembers = true
    private var compressedOffset = 0
    private(set) var endedEarly = false

    init(_ file: FileSource) throws {
        self.file = file
        // 15 + 16: a gzip wrapper around a 32 KiB window (inflateInit2 is a macro Swift cannot call).
        let status = inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw CaptureError.io(path: file.path, operation: "inflateInit2", errno: ENOMEM) }
    }

    deinit { inflateEnd(&stream) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            if stream.avail_in == 0 {
                let got = try input.withUnsafeMutableBytes { try file.read(into: $0) }
                if got == 0 {
                    endedEarly = !betweenMembers
                    return 0
                }
                input.withUnsafeMutableBufferPointer { stream.next_in = $0.baseAddress }
                stream.avail_in = UInt32(got)
            }
            stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.avail_out = UInt32(buffer.count)
            let before = stream.avail_in
            let status = inflate(&stream, Z_NO_FLUSH)
            compressedOffset += Int(before - stream.avail_in)
            let produced = buffer.count - Int(stream.avail_out)
            switch status {
            case Z_STREAM_END:
                betweenMembers = true
                inflateReset(&stream)
            case Z_OK, Z_BUF_ERROR:
                if before != stream.avail_in || produced > 0 { betweenMembers = false }
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw CaptureError.corruptCompression(path: file.path, format: "gzip", offset: compressedOffset, detail: message)
            }
            if produced > 0 { return produced }
        }
    }
}

/// Decompressed zstd (one or more frames).
final class ZstdSource: ByteSource {
    private let file: FileSource
    private let stream = ZstdDecompressionStream()
    private var input = [UInt8](repeating: 0, count: 1 << 20)
    private var inputEnd = 0
    private var consumed = 0
    private var compressedOffset = 0
    private var inFrame = false
    /// Whether the last frame was left unfinished when the input ended.
    private(set) var endedEarly = false

    init(_ file: FileSource) {
        self.file = file
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            if consumed == inputEnd {
                compressedOffset += inputEnd
                inputEnd = try input.withUnsafeMutableBytes { try file.read(into: $0) }
                consumed = 0
                if inputEnd == 0 {
                    endedEarly = inFrame
                    return 0
                }
            }
            let result = input.withUnsafeBytes { bytes in
                stream.decompress(UnsafeRawBufferPointer(rebasing: bytes[0..<inputEnd]), consumed: &consumed, into: buffer)
            }
            switch result {
            case let .success((produced, frameComplete)):
                inFrame = !frameComplete
                if produced > 0 { return produced }
            case let .failure(error):
                throw CaptureError.corruptCompression(path: file.path, format: "zstd", offset: compressedOffset + consumed,
                                                      detail: error.message)
            }
        }
    }
}

/// Opens `path` and returns its bytes, decompressed if the file is gzip or zstd.
func openByteSource(path: String) throws -> (ByteSource, Compression) {
    let file = try FileSource(path: path)
    var prefix = [UInt8](repeating: 0, count: 4)
    let got = try prefix.withUnsafeMutableBytes { try file.read(into: $0) }
    lseek(file.descriptor, 0, SEEK_SET)
    switch Compression.detect(Array(prefix.prefix(got))) {
    case .gzip: return (try GzipSource(file), .gzip)
    case .zstd: return (ZstdSource(file), .zstd)
    case .none: return (file, .none)
    }
}
