import Foundation

/// Column names of features.parquet that its writer (mimir-features) and its readers (fit, score)
/// both rely on: the load model's inputs.
public enum FeatureColumns {
    /// The window's load: flows from outside the cluster into it.
    public static let load = "load_connections_from_outside"
    /// The prefix of the bytes-per-service-pair columns.
    public static let bytesPrefix = "bytes_"
    /// The entry of features.parquet's metadata that says what each column measures (JSON object).
    public static let meaningsKey = "mimir.features"

    /// The column of the bytes from one service (or `outside`) to another.
    public static func bytes(_ source: String, _ destination: String) -> String { "\(bytesPrefix)\(source)_to_\(destination)" }

    /// Whether `name` is a bytes-per-service-pair column.
    public static func isBytes(_ name: String) -> Bool { name.hasPrefix(bytesPrefix) }

    /// `source>destination` of a bytes column, as the allow-list names service pairs.
    public static func servicePair(_ name: String) -> String {
        String(name.dropFirst(bytesPrefix.count)).replacingOccurrences(of: "_to_", with: ">")
    }

    /// Whether a column feeds the load model rather than the per-window detector.
    public static func isLoadModelInput(_ name: String) -> Bool { isBytes(name) || name == load }
}
