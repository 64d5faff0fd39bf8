/// The value types a Mimir table column can hold.
public enum ColumnType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case bool
    case int32
    case int64
    case double
    /// UTF-8 text (Parquet BYTE_ARRAY annotated STRING/UTF8).
    case string
    /// Arbitrary bytes (Parquet BYTE_ARRAY without annotation).
    case binary
    /// Microseconds since the Unix epoch, UTC (Parquet INT64 annotated TIMESTAMP(MICROS, isAdjustedToUTC)).
    case timestamp

    public var description: String { rawValue }
}
