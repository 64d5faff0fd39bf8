import Contract

/// Fitting as scikit-learn's RobustScaler: percentiles with linear interpolation (numpy's default),
/// NaN ignored; a column whose range is 0 is only centred.
extension RobustScaler {
    /// Fits on the rows of `columns` (column-major) whose index is in `rows`.
    public init(fitting columns: [[Double]], rows: [Int]) {
        var centers: [Double] = [], scales: [Double] = []
        for column in columns {
            let values = rows.map { column[$0] }.filter { !$0.isNaN }.sorted()
            let median = Self.percentile(values, 50), lower = Self.percentile(values, 25), upper = Self.percentile(values, 75)
            centers.append(median.isNaN ? 0 : median)
            let range = upper - lower
            scales.append(range.isNaN || range == 0 ? 1 : range)
        }
        self.init(centers: centers, scales: scales)
    }

    /// numpy's percentile (linear method) of sorted values; NaN for none.
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let position = q / 100 * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down)), upper = Int(position.rounded(.up))
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
    }
}
