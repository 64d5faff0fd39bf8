/// Robust scaling as scikit-learn's RobustScaler: (x - median) / (75th - 25th percentile); model.json
/// stores a fitted scaler per window length (Learn fits it).
public struct RobustScaler: Codable, Sendable, Equatable {
    /// Each column's median.
    public var centers: [Double]
    /// Each column's interquartile range (1 where it is 0).
    public var scales: [Double]

    /// A scaler of these centres and scales.
    public init(centers: [Double], scales: [Double]) {
        self.centers = centers
        self.scales = scales
    }

    /// `value` of column `column`, centred and scaled.
    public func transform(_ value: Double, column: Int) -> Double {
        (value - centers[column]) / scales[column]
    }
}
