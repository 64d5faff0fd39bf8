#if canImport(Glibc)
import Glibc
#endif

/// The lines of a text log (decompressed), without their "\n" or "\r\n", numbered from 1, read in
/// place from the input's buffer. A line longer than `longest` bytes is skipped whole and counted.
final class TextLines {
    /// The longest line read: logs' lines are a few hundred bytes.
    static let longest = 1 << 20

    private let input: BufferedInput
    /// The number of the line last returned.
    private(set) var number = 0
    /// Lines skipped for their length.
    private(set) var skippedLong = 0
    /// Bytes of the last line returned, consumed when the next is asked for.
    private var pending = 0

    init(_ input: BufferedInput) {
        self.input = input
    }

    /// Whether a gzip or zstd stream ended inside a member or frame.
    var compressionEndedEarly: Bool { input.endedEarly }

    /// The next line, valid until the next call; nil at the end of the stream.
    func next() throws -> UnsafeRawBufferPointer? {
        input.consume(pending)
        pending = 0
        var searched = 0
        while true {
            let window = input.window
            if window.count > searched, let base = window.baseAddress,
               let newline = memchr(base + searched, 0x0A, window.count - searched) {
                let length = base.distance(to: UnsafeRawPointer(newline))
                pending = length + 1
                number += 1
                return Self.trimmingCarriageReturn(UnsafeRawBufferPointer(start: base, count: length))
            }
            searched = window.count
            if window.count > Self.longest {
                try skipLongLine()
                searched = 0
                continue
            }
            if try input.request(window.count + 1) == nil {
                let rest = input.window
                guard rest.count > 0 else { return nil }
                pending = rest.count
                number += 1
                return Self.trimmingCarriageReturn(rest)
            }
        }
    }

    /// Drops the rest of a line too long to hold, through its newline.
    private func skipLongLine() throws {
        skippedLong += 1
        number += 1
        while true {
            let window = input.window
            if let base = window.baseAddress, window.count > 0, let newline = memchr(base, 0x0A, window.count) {
                input.consume(base.distance(to: UnsafeRawPointer(newline)) + 1)
                return
            }
            input.consume(window.count)
            if try input.request(1) == nil { return }
        }
    }

    private static func trimmingCarriageReturn(_ line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard let last = line.last, last == 0x0D else { return line }
        return UnsafeRawBufferPointer(rebasing: line.dropLast())
    }
}
