/// Robust scaling as scikit-learn's RobustScaler: (x - median) / (75th - 25th percentile); model.json
/// stores a fitted scaler per window length (Learn fits it).
public struct RobustScaler: Codable, Sendable, Equatable {
    public var centers: [Double]
    public var scales: [Double]

    public init(centers: [Double], scales: [Double]) {
        self.centers = centers
        self.scales = scales
    }

    public func transform(_ value: Double, column: Int) -> Double {
        (value - centers[column]) / scales[column]
    }
}
