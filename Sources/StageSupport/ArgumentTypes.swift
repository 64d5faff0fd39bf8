import ArgumentParser
import Contract

/// A time in epoch seconds with up to nine decimals (`1764400000.25`), parsed exactly, as `--origin`,
/// `--start` and `--stop` take it.
public struct EpochTime: ExpressibleByArgument, Sendable {
    /// Nanoseconds since the Unix epoch.
    public let nanoseconds: Int64

    public init?(argument: String) {
        guard let value = EpochSeconds.parse(argument) else { return nil }
        nanoseconds = value
    }
}

/// A duration above zero in seconds with up to nine decimals (`--interval 0.5`).
public struct PositiveSeconds: ExpressibleByArgument, Sendable {
    /// The duration in nanoseconds.
    public let nanoseconds: Int64

    public init?(argument: String) {
        guard let value = EpochSeconds.parse(argument), value > 0 else { return nil }
        nanoseconds = value
    }
}

extension ByteUnit: ExpressibleByArgument {}

/// The windows a counting stage (mimir-flows, mimir-records) counts in: `--windows`, `--origin`, `--align`.
public struct WindowOptions: ParsableArguments {
    /// `--windows`: the lengths, whole seconds, sorted without repeats.
    @Option(help: "Window lengths in whole seconds, comma-separated.", transform: parseWindowLengths)
    public var windows: [Int] = [10, 60]

    /// `--origin`: where window 0 starts.
    @Option(help: "The windows' origin in epoch seconds (up to nine decimals), as mimir-split wrote it for a shard; default: the input's first packet or earliest record.")
    public var origin: EpochTime?

    /// `--align`: without an origin, start at an epoch multiple of the longest window.
    @Flag(help: "Without --origin: align the origin to an epoch multiple of the longest window.")
    public var align = false

    /// An option group ArgumentParser fills.
    public init() {}

    /// Refuses `--origin` with `--align`.
    public func validate() throws {
        if origin != nil && align { throw ValidationError("--origin and --align exclude each other") }
    }
}

/// `--windows`: window lengths in whole seconds, comma-separated, sorted without repeats.
func parseWindowLengths(_ text: String) throws -> [Int] {
    let parts = text.split(separator: ",").map { $0.split(whereSeparator: \.isWhitespace) }
    let lengths = parts.compactMap { $0.count == 1 ? Int($0[0]) : nil }
    guard !parts.isEmpty, lengths.count == parts.count, lengths.allSatisfy({ (1...Int(WindowColumns.longestLength)).contains($0) }) else {
        throw ValidationError("--windows takes whole seconds from 1 to \(WindowColumns.longestLength) (a week), comma-separated, e.g. 10,60; got '\(text)'")
    }
    return Array(Set(lengths)).sorted()
}
