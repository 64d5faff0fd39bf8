#if canImport(Glibc)
import Glibc
#endif
import SystemSupport

/// A shard of an index (`mimir-split --index`): the bytes of a stored capture it is, the header
/// blocks it needs to stand alone (pcap: the file header; pcapng: the section header and interface
/// descriptions) followed by one range of records and blocks. Read in that order they are the shard
/// file `mimir-split` would have written.
public struct CaptureRange: Sendable, Equatable {
    public var header: [Range<Int>]
    public var body: Range<Int>

    public init(header: [Range<Int>], body: Range<Int>) {
        self.header = header
        self.body = body
    }

    /// Every range in reading order.
    var pieces: [Range<Int>] { header + [body] }

    /// Ranges as the index writes them: `OFFSET+LENGTH`, comma-separated.
    public static func text(_ ranges: [Range<Int>]) -> String {
        ranges.map { "\($0.lowerBound)+\($0.count)" }.joined(separator: ",")
    }

    /// The ranges of `text` (`OFFSET+LENGTH`, comma-separated; empty for none), or nil if it is not that.
    public static func ranges(_ text: String) -> [Range<Int>]? {
        guard !text.isEmpty else { return [] }
        var ranges: [Range<Int>] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let numbers = part.split(separator: "+", omittingEmptySubsequences: false)
            guard numbers.count == 2, let offset = Int(numbers[0]), let length = Int(numbers[1]), offset >= 0, length >= 0,
                  offset <= Int.max - length else { return nil }
            ranges.append(offset..<offset + length)
        }
        return ranges
    }
}

/// The pieces of a `CaptureRange`, read from the stored file with positioned reads, as one stream.
final class RangeSource: ByteSource {
    private let file: FileSource
    private var pieces: ArraySlice<Range<Int>>

    /// Fails if a piece lies beyond the end of the file (it changed since it was cut).
    init(_ file: FileSource, range: CaptureRange) throws {
        var info = stat()
        guard fstat(file.descriptor, &info) == 0 else { throw CaptureError.io(path: file.path, operation: "stat", errno: errno) }
        if let beyond = range.pieces.first(where: { $0.upperBound > Int(info.st_size) }) {
            throw CaptureError.invalidArgument("\(file.path) has \(info.st_size) bytes, but the range \(CaptureRange.text([beyond])) "
                                               + "reaches past them: the capture changed since it was cut; cut it again")
        }
        self.file = file
        pieces = range.pieces[...]
    }

    var endedEarly: Bool { false }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while let piece = pieces.first {
            guard !piece.isEmpty else {
                pieces.removeFirst()
                continue
            }
            let got = retryOnInterrupt { pread(file.descriptor, buffer.baseAddress, min(buffer.count, piece.count), off_t(piece.lowerBound)) }
            guard got >= 0 else { throw CaptureError.io(path: file.path, operation: "read", errno: errno) }
            guard got > 0 else { throw FileError.endsEarly(path: file.path, offset: piece.lowerBound) }
            pieces[pieces.startIndex] = piece.lowerBound + got..<piece.upperBound
            return got
        }
        return 0
    }
}
