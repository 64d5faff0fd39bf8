/// The units Mimir keeps time in: integer nanoseconds (since the Unix epoch, for times) in memory,
/// integer microseconds in tables (Parquet's timestamp[us]). One place spells out the factors.
public enum Nanoseconds {
    /// Nanoseconds in a second.
    public static let perSecond: Int64 = 1_000_000_000
    /// Nanoseconds in a microsecond.
    public static let perMicrosecond: Int64 = 1000

    /// `nanoseconds` as a table's timestamp (microseconds), rounded down.
    @inline(__always)
    public static func microseconds(_ nanoseconds: Int64) -> Int64 { floorDivide(nanoseconds, perMicrosecond) }

    /// `nanoseconds` in seconds, for arithmetic and display only.
    @inline(__always)
    public static func seconds(_ nanoseconds: Int64) -> Double { Double(nanoseconds) / Double(perSecond) }

    /// `seconds` in nanoseconds, truncated towards zero.
    @inline(__always)
    public static func from(seconds: Double) -> Int64 { Int64(seconds * Double(perSecond)) }
}

/// `a / b` rounded towards negative infinity (Swift's `/` rounds towards zero): the window of a time
/// before the origin is -1, not 0.
@inline(__always)
public func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let quotient = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
}

