import Table

/// The shards a cutting stage wrote, read from its shard table (columns `shard` and `file_name`; more
/// columns or metadata keys when a per-shard stage takes parameters from them).
struct ShardList {
    struct Shard {
        var index: Int
        var file: String
        /// Parameter name -> value text, from the table.
        var parameters: [String: String]
    }

    var shards: [Shard]

    init(table path: String, perShard: StageDeclaration.PerShard) throws {
        let reader: TableReader
        do { reader = try TableReader(path: path) } catch { throw RunnerError.io("cannot read the shard table \(path): \(error)") }
        let columns = ["shard", "file_name"] + perShard.parameters.compactMap { if case let .column(name) = $0.source { name } else { nil } }
        for column in columns where !reader.schema.names.contains(column) {
            throw RunnerError.io("the shard table \(path) has no column '\(column)'")
        }
        let batch = try reader.readAll(columns: columns)
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
        let metadata = Dictionary(reader.metadata.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        shards = try (0..<batch.rowCount).map { row in
            var parameters: [String: String] = [:]
            for (name, source) in perShard.parameters {
                switch source {
                case let .column(column): parameters[name] = text(column, row)
                case let .metadata(key):
                    guard let value = metadata[key] else { throw RunnerError.io("the shard table \(path) has no metadata '\(key)'") }
                    parameters[name] = value
                }
            }
            guard let index = Int(text("shard", row)) else { throw RunnerError.io("the shard table \(path) has a shard without an index at row \(row)") }
            return Shard(index: index, file: text("file_name", row), parameters: parameters)
        }.sorted { $0.index < $1.index }
    }
}
