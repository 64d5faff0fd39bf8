import Table
import Contract

/// The "communicating services" baseline (mimir-method.md, section 6.4): the service pairs seen in
/// benign training windows; a window alerts when a pair outside the list talks.
public enum AllowList {
    /// Pairs `src>dst` (src != dst) of the service-edge table's rows at the shortest window length in
    /// windows `benign` accepts.
    public static func learn(serviceEdges path: String, benign: (Int32, Int64) -> Bool) throws -> [String] {
        var pairs = Set<String>()
        try forEachPair(path) { length, index, pair in if benign(length, index) { pairs.insert(pair) } }
        return pairs.sorted()
    }

    /// Per window (`length/index`): the pairs outside `allowed` that talked.
    public static func violations(serviceEdges path: String, allowed: Set<String>) throws -> [String: [String]] {
        var pairs: [String: [String]] = [:]
        try forEachPair(path) { length, index, pair in
            if !allowed.contains(pair) { pairs["\(length)/\(index)", default: []].append(pair) }
        }
        return pairs
    }

    /// Whether the operator may be alerted by new service pairs: the benign training windows (their
    /// `bytes_` columns) in five blocks of time, each window scored by how many pairs it has that the
    /// other four blocks lack (`CrossFitting.blockScores`), and the budget's threshold on those counts.
    /// An application whose benign pairs keep appearing over time gives a threshold above 1: the
    /// allow-list would exceed the budget.
    static func calibrate(names: [String], benign: [(index: Int64, features: [Double])], budget: AlertBudget, length: Int32) -> DetectionModel.Calibration {
        let pairs = names.indices.filter { column in
            let ends = FeatureColumns.servicePair(names[column]).split(separator: ">")
            return FeatureColumns.isBytes(names[column]) && ends.count == 2 && ends[0] != ends[1]
        }
        let scores = CrossFitting.blockScores(benign) { others in
            let seen = Set(pairs.filter { column in others.contains { $0.features[column] > 0 } })
            return { row in Double(pairs.filter { !seen.contains($0) && row[$0] > 0 }.count) }
        }
        return budget.threshold(calibration: scores, length: length)
    }

    private static func forEachPair(_ path: String, _ body: (Int32, Int64, String) -> Void) throws {
        let reader = try TableReader(path: path)
        guard reader.schema.names.starts(with: GraphTables.serviceEdges.names.prefix(6)) else {
            throw ContractError.notTheTable(path: path, expected: "a service edge table", detail: "columns \(reader.schema.names.joined(separator: ", "))")
        }
        try reader.forEachRowGroup(columns: [Column.windowLength, Column.windowIndex, Column.source, Column.destination]) { columns in
            let (lengths, indices) = try WindowColumns.lengthsAndIndices(columns)
            let sources = try columns.strings(Column.source), destinations = try columns.strings(Column.destination)
            for row in 0..<columns.rowCount {
                let (source, destination) = (sources.string(at: row), destinations.string(at: row))
                guard source != destination else { continue }
                body(lengths[row], indices[row], "\(source)>\(destination)")
            }
        }
    }
}
