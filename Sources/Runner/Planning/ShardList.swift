import Foundation
import Table

/// The shards a cutting job wrote, read from its shard table (columns `shard` and `file_name`; more
/// columns or metadata entries when a per-shard stage takes parameters from them).
struct ShardList {
    struct Shard {
        var index: Int
        /// Empty for a shard of an index (a byte range of the cutter's input).
        var file: String
        /// Every other column of the shard's row that holds a value, as text.
        var columns: [String: String]
    }

    var path: String
    var shards: [Shard]
    /// The table's metadata entries.
    var metadata: [String: String]

    init(table path: String) throws {
        self.path = path
        let reader: TableReader
        do { reader = try TableReader(path: path) } catch { throw RunnerError.io("cannot read the shard table \(path): \(error)") }
        for column in ["shard", "file_name"] where !reader.schema.names.contains(column) {
            throw RunnerError.io("the shard table \(path) has no column '\(column)'")
        }
        let batch = try reader.readAll(columns: reader.schema.names)
        func text(_ column: String, _ row: Int) -> String {
            guard let array = batch[column], !array.isNull(row) else { return "" }
            switch array.values {
            case let .int32(values): return String(values[row])
            case let .int64(values): return String(values[row])
            case let .double(values): return "\(values[row])"
            case let .bool(values): return values[row] ? "true" : "false"
            case let .byteArray(values): return values.string(at: row)
            }
        }
        metadata = Dictionary(reader.metadata.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        shards = try (0..<batch.rowCount).map { row in
            guard let index = Int(text("shard", row)), index >= 0 else {
                throw RunnerError.io("the shard table \(path) has a shard without an index at row \(row)")
            }
            let columns = Dictionary(uniqueKeysWithValues: reader.schema.names
                .filter { $0 != "shard" && $0 != "file_name" && batch[$0]?.isNull(row) == false }.map { ($0, text($0, row)) })
            return Shard(index: index, file: text("file_name", row), columns: columns)
        }.sorted { $0.index < $1.index }
    }

    func shard(_ index: Int) -> Shard? { shards.first { $0.index == index } }

    /// The earliest value of the metadata entry `key` over `lists`, compared as decimal numbers
    /// (epoch seconds with up to nine decimals: a Double would round them).
    static func earliest(_ key: String, of lists: [ShardList]) throws -> String? {
        var best: (value: Decimal, text: String)?
        for list in lists {
            guard let text = list.metadata[key] else { throw RunnerError.io("the shard table \(list.path) has no metadata '\(key)'") }
            guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
                throw RunnerError.io("the shard table \(list.path) has metadata '\(key)' = '\(text)', which is not a number")
            }
            if best == nil || value < best!.value { best = (value, text) }
        }
        return best?.text
    }
}
