import Foundation
import Table
import Contract

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
        let featureRate = reader.metadata[key: InjectTables.rateKey].flatMap(Double.init)
        let features = try reader.readAllTyped()
        featureNames = features.batch.schema.names.filter { !WindowColumns.names.contains($0) }
        let (lengths, indices) = try WindowColumns.lengthsAndIndices(features)
        let starts = try features.timestamps(Column.windowStart), partial = try features.bools(Column.partial)
        // A feature may be NaN (not computable in a window) or infinite; the models handle both.
        let values = try featureNames.map { try features.doubles($0, nonFinite: true) }
        var labels: [String: (label: Bool, kind: String, path: Int32, test: Bool, event: Int32)] = [:]
        rate = 0
        if let labelsPath {
            let labelReader = try TableReader(path: labelsPath)
            let provenance = try Provenance(of: labelReader, stage: "inject", schemaVersions: 1...2)
            let parameters = try InjectionParameters(of: provenance, path: labelsPath)
            injection = DetectionModel.Injection(sensitive: parameters.sensitive, policy: parameters.policy)
            let table = try labelReader.readAllTyped()
            let (lengths, indices) = try WindowColumns.lengthsAndIndices(table)
            let kinds = try table.strings(Column.kind), flags = try table.bools(Column.label)
            let paths = try table.int32s(Column.pathID, in: -1...Int32.max), tests = try table.bools(Column.isTest)
            let events = table.has(Column.eventID) ? try table.int32s(Column.eventID, in: -1...Int32.max) : nil
            for row in 0..<table.rowCount {
                labels["\(lengths[row])/\(indices[row])"] = (flags[row], kinds.string(at: row), paths[row], tests[row], events?[row] ?? -1)
            }
            rate = table.rowCount > 0 ? try table.doubles(Column.rate, in: 0...Double.greatestFiniteMagnitude)[0] : 0
            if let featureRate, table.rowCount > 0, featureRate != rate {
                throw TableError.mismatch(path: path, detail: "features of the capture injected at \(featureRate) MB/min, "
                                          + "but its labels \(labelsPath) are of \(rate) MB/min (give each --features its own rate's --labels)")
            }
        }
        rows = (0..<features.rowCount).map { row in
            let label = labels["\(lengths[row])/\(indices[row])"] ?? (false, "none", -1, true, -1)
            return Row(length: lengths[row], index: indices[row], start: starts[row], partial: partial[row],
                       features: values.map { $0[row] }, label: label.label, kind: label.kind, pathID: label.path, event: label.event, isTest: label.test)
        }
    }
}
