import Dispatch
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// Progress of long work on stderr: a line rewritten in place on a terminal, a plain line every ten
/// seconds otherwise (logs). Never on stdout, which carries only what is asked for.
public final class Progress {
    private let label: String
    private let interactive = isatty(STDERR_FILENO) != 0
    private var lastReport = DispatchTime.now().uptimeNanoseconds
    private let start = DispatchTime.now().uptimeNanoseconds
    private var wroteInPlace = false

    /// Progress of the work `label` names (the stage's name).
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
            writeToStandardError("\r\u{1B}[K\(text)")
            wroteInPlace = true
        } else {
            writeToStandardError("\(text)\n")
        }
    }

    /// Reports the start of a phase of the work: always, in place on a terminal; as a line in logs,
    /// where phases are few enough to list.
    public func phase(_ message: String) {
        lastReport = DispatchTime.now().uptimeNanoseconds
        let text = "\(label): \(message)"
        if interactive {
            writeToStandardError("\r\u{1B}[K\(text)")
            wroteInPlace = true
        } else {
            writeToStandardError("\(text)\n")
        }
    }

    /// Seconds since the work started.
    public var elapsed: Double { Nanoseconds.seconds(Int64(DispatchTime.now().uptimeNanoseconds - start)) }

    /// Ends the progress display with the one-line summary the stage contract asks for.
    public func finish(_ summary: String) {
        if wroteInPlace { writeToStandardError("\r\u{1B}[K") }
        writeToStandardError("\(label): \(summary)\n")
    }

    /// Ends with the summary every stage prints: what it did, how long it took, where the outputs are
    /// (`12 windows, 40 edges in 0.31 s; tables in out`).
    public func finish(_ what: String, outputs: String) {
        finish("\(what) in \(fixedPoint(elapsed, decimals: 2)) s; \(outputs)")
    }

    /// A warning line that stays visible.
    public func warn(_ message: String) {
        if wroteInPlace { writeToStandardError("\r\u{1B}[K"); wroteInPlace = false }
        writeToStandardError("\(label): warning: \(message)\n")
    }
}

/// Writes `text` to stderr in one `write(2)` where the kernel takes it whole, so lines from processes
/// sharing a terminal or log do not interleave.
func writeToStandardError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in
        var done = 0
        while done < bytes.count {
            let wrote = retryOnInterrupt { write(STDERR_FILENO, bytes.baseAddress! + done, bytes.count - done) }
            guard wrote > 0 else { return }
            done += wrote
        }
    }
}

/// "1.2 M", "345.6 k" for counts in summaries.
public func humanCount(_ value: Int) -> String {
    switch value {
    case 1_000_000_000...: fixedPoint(Double(value) / 1e9, decimals: 2) + " G"
    case 1_000_000...: fixedPoint(Double(value) / 1e6, decimals: 2) + " M"
    case 10_000...: fixedPoint(Double(value) / 1e3, decimals: 1) + " k"
    default: "\(value)"
    }
}

/// `value` rounded to `decimals` places, as `%.Nf` prints a non-negative number (ties to even).
public func fixedPoint(_ value: Double, decimals: Int) -> String {
    var scale = 1
    for _ in 0..<decimals { scale *= 10 }
    let scaled = Int((value * Double(scale)).rounded(.toNearestOrEven))
    let fraction = String(scaled % scale)
    return "\(scaled / scale)." + String(repeating: "0", count: decimals - fraction.count) + fraction
}
