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
