/// The units every stage keeps time in: integer nanoseconds since the Unix epoch in memory, integer
/// microseconds in tables (Parquet's timestamp[us]). One place spells out the factors.
public enum Nanoseconds {
    /// Nanoseconds in a second.
    public static let perSecond: Int64 = 1_000_000_000
    /// Nanoseconds in a millisecond.
    public static let perMillisecond: Int64 = 1_000_000
    /// Nanoseconds in a microsecond.
    public static let perMicrosecond: Int64 = 1000

    /// `nanoseconds` as a table's timestamp (microseconds), rounded down.
    @inline(__always)
    public static func microseconds(_ nanoseconds: Int64) -> Int64 { floorDivide(nanoseconds, perMicrosecond) }

    /// `nanoseconds` in seconds, for arithmetic and display only.
    @inline(__always)
    public static func seconds(_ nanoseconds: Int64) -> Double { Double(nanoseconds) / Double(perSecond) }
}
