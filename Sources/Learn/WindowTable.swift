import Foundation
import Table

/// A feature table joined with its labels: one row per window, features by name.
public struct LabelledWindows {
    public struct Row {
        public var length: Int32
        public var index: Int64
        /// Microseconds since the epoch.
        public var start: Int64
        public var partial: Bool
        public var features: [Double]
        public var label: Bool
        public var kind: String
        public var pathID: Int32
        /// labels.parquet's event_id (-1: none; labels of schema 1 have none).
        public var event: Int32
        public var isTest: Bool
    }

    public var featureNames: [String]
    public var rows: [Row]
    public var rate: Double
    /// What the labels were injected with: the sensitive service and whether a reachability policy
    /// bounded the attack paths (inject's parameters); nil without labels.
    public var injection: DetectionModel.Injection?

    init(featureNames: [String], rows: [Row], rate: Double) {
        (self.featureNames, self.rows, self.rate) = (featureNames, rows, rate)
    }

    /// Reads features.parquet and, when given, inject's labels.parquet (without: every row unlabelled,
    /// test). Rows are matched by window length and index.
    public init(features path: String, labels labelsPath: String?) throws {
        let reader = try TableReader(path: path)
        _ = try Provenance(of: reader, stage: "features", schemaVersions: 1...1)
        // The injection rate the features were computed at (features version 2 on; absent before).
        let featureRate = reader.metadata[key: "mimir.rate"].flatMap(Double.init)
        let batch = try reader.readAll()
        let windowColumns: Set = ["window_len_s", "window_index", "window_start", "partial"]
        featureNames = batch.schema.names.filter { !windowColumns.contains($0) }
        let lengths = batch["window_len_s"]!.int32s, indices = batch["window_index"]!.int64s
        let starts = batch["window_start"]!.int64s, partial = batch["partial"]!.bools
        let values = featureNames.map { batch[$0]!.doubles }
        var labels: [String: (label: Bool, kind: String, path: Int32, test: Bool, event: Int32)] = [:]
        rate = 0
        if let labelsPath {
            let labelReader = try TableReader(path: labelsPath)
            let provenance = try Provenance(of: labelReader, stage: "inject", schemaVersions: 1...2)
            let params = (try? JSONSerialization.jsonObject(with: Data(provenance.params.utf8))) as? [String: Any]
            injection = DetectionModel.Injection(sensitive: params?["sensitive"] as? String, policy: params?["policy"] as? Bool)
            let table = try labelReader.readAll()
            let kinds = table["kind"]!.byteArrays, lengths = table["window_len_s"]!.int32s, indices = table["window_index"]!.int64s
            let flags = table["label"]!.bools, paths = table["path_id"]!.int32s, tests = table["is_test"]!.bools
            let events = table["event_id"]?.int32s
            for row in 0..<table.rowCount {
                labels["\(lengths[row])/\(indices[row])"] = (flags[row], kinds.string(at: row), paths[row], tests[row], events?[row] ?? -1)
            }
            rate = table.rowCount > 0 ? table["rate_mb_per_min"]!.doubles[0] : 0
            if let featureRate, table.rowCount > 0, featureRate != rate {
                throw TableError.mismatch(path: path, detail: "features of the capture injected at \(featureRate) MB/min, "
                                          + "but its labels \(labelsPath) are of \(rate) MB/min (give each --features its own rate's --labels)")
            }
        }
        rows = (0..<batch.rowCount).map { row in
            let label = labels["\(lengths[row])/\(indices[row])"] ?? (false, "none", -1, true, -1)
            return Row(length: lengths[row], index: indices[row], start: starts[row], partial: partial[row],
                       features: values.map { $0[row] }, label: label.label, kind: label.kind, pathID: label.path, event: label.event, isTest: label.test)
        }
    }
}
