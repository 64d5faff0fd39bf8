import Foundation

/// Progress of long work on stderr: a line rewritten in place on a terminal, a plain line every ten
/// seconds otherwise (logs). Never on stdout, which carries only what is asked for.
public final class Progress {
    private let label: String
    private let interactive = isatty(STDERR_FILENO) != 0
    private var lastReport = DispatchTime.now().uptimeNanoseconds
    private let start = DispatchTime.now().uptimeNanoseconds
    private var wroteInPlace = false

    public init(_ label: String) {
        self.label = label
    }

    /// Reports `message` if enough time has passed since the last report.
    public func update(_ message: @autoclosure () -> String) {
        let now = DispatchTime.now().uptimeNanoseconds
        let interval: UInt64 = interactive ? 200_000_000 : 10_000_000_000
        guard now - lastReport >= interval else { return }
        lastReport = now
        let text = "\(label): \(message())"
        if interactive {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
            wroteInPlace = true
        } else {
            FileHandle.standardError.write(Data("\(text)\n".utf8))
        }
    }

    /// Seconds since the work started.
    public var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

    /// Ends the progress display with the one-line summary the stage contract asks for.
    public func finish(_ summary: String) {
        if wroteInPlace { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        FileHandle.standardError.write(Data("\(label): \(summary)\n".utf8))
    }

    /// A warning line that stays visible.
    public func warn(_ message: String) {
        if wroteInPlace { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)); wroteInPlace = false }
        FileHandle.standardError.write(Data("\(label): warning: \(message)\n".utf8))
    }
}

/// "1.2 M", "345.6 k" for counts in summaries.
public func humanCount(_ value: Int) -> String {
    switch value {
    case 1_000_000_000...: String(format: "%.2f G", Double(value) / 1e9)
    case 1_000_000...: String(format: "%.2f M", Double(value) / 1e6)
    case 10_000...: String(format: "%.1f k", Double(value) / 1e3)
    default: "\(value)"
    }
}
