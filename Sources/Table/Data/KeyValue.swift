/// One entry of a Parquet file's `key_value_metadata`.
public struct KeyValue: Sendable, Hashable {
    /// The entry's key (`mimir.stage`, ...).
    public var key: String
    /// Its value.
    public var value: String

    /// An entry of `key` and `value`.
    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}

extension Array where Element == KeyValue {
    /// The value of the first entry with `key`.
    public subscript(key key: String) -> String? {
        first { $0.key == key }?.value
    }
}
