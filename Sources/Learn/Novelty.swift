import Contract

/// Learning the novelty detector (`Novelty` in model.json) from benign training windows.
extension Novelty {
    /// Families of features that describe behaviour rather than volume.
    static let families = ["distinct_dst_ports_", "fanout_", "failed_connections_", "new_peers_", "new_service_edges"]
    /// Windows at the start of a capture whose novelty features are all new; left out of the ceilings
    /// (as Ide-Kashima's history).
    static let warmUp: Int64 = 10

    /// Learns the ceilings from benign training rows (their raw features, in the table's column order).
    init?(names: [String], benign: [(index: Int64, features: [Double])]) {
        let watched = names.indices.filter { column in Self.families.contains { names[column].hasPrefix($0) } }
        let rows = benign.filter { $0.index >= Self.warmUp }.map(\.features)
        guard !watched.isEmpty, !rows.isEmpty else { return nil }
        var features: [String] = [], ceilings: [Double] = [], spreads: [Double] = []
        for column in watched {
            let values = rows.map { $0[column] }.filter(\.isFinite).sorted()
            guard let ceiling = values.last else { continue }
            features.append(names[column])
            ceilings.append(ceiling)
            spreads.append(max(ceiling - RobustScaler.percentile(values, 50), 1))
        }
        guard !features.isEmpty else { return nil }
        self.init(features: features, ceilings: ceilings, spreads: spreads, threshold: Self.minimumRise, calibration: nil)
    }

    /// The threshold for an alert budget, on benign training windows (after the warm-up) scored
    /// against ceilings learnt from other blocks of time (`CrossFitting.blockScores`); never below
    /// `minimumRise`.
    mutating func calibrate(names: [String], benign: [(index: Int64, features: [Double])], budget: AlertBudget, length: Int32) {
        let scores = CrossFitting.blockScores(benign) { others in
            Novelty(names: names, benign: others).map { model in
                let alignment = Detector.alignment(of: model.features, in: names)
                return { model.score($0, alignment: alignment) }
            }
        }.filter { $0.index >= Self.warmUp }
        var result = budget.threshold(calibration: scores, length: length)
        result.threshold = max(result.threshold, Self.minimumRise)
        (calibration, threshold) = (result, result.threshold)
    }

    /// The largest rise above a benign ceiling, in spreads; -infinity when no watched feature has a value.
    /// `alignment`: where each watched feature sits in the row (`Detector.alignment(of: features, in:)`).
    public func score(_ row: [Double], alignment: [Int?]) -> Double {
        var best = -Double.infinity
        for (index, source) in alignment.enumerated() {
            guard let source, row[source].isFinite else { continue }
            best = max(best, (row[source] - ceilings[index]) / spreads[index])
        }
        return best
    }
}
