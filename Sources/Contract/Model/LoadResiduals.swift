/// The exfiltration side that the application's load does not move (method `load`). Benign traffic
/// on a service pair grows with the load; data taken out of the cluster does not follow it. Per
/// service pair (any but those from outside, which are the load itself) it learns from the benign
/// training windows the pair's bytes as a fixed part plus a part per unit of load, the load being
/// the flows from outside into the cluster (which traffic leaving it does not raise), and the spread
/// of what that leaves unexplained, on a log scale. A window's score is the largest rise of a pair's
/// bytes above what its load explains, in spreads.
public struct LoadResiduals: Codable, Sendable {
    /// One service pair's expected bytes against the load.
    public struct Pair: Codable, Sendable, Equatable {
        /// The bytes column (`FeatureColumns.bytes`).
        public var feature: String
        /// Expected bytes = `base` + `perLoad` x load, both at least 0: a queue's heartbeats are a fixed
        /// part, its orders grow with the users.
        public var base: Double
        /// Bytes per unit of load.
        public var perLoad: Double
        /// The median of log(1 + bytes) - log(1 + expected bytes) on the benign training windows.
        public var offset: Double
        /// The unit of a rise: a robust spread of the log residuals.
        public var spread: Double

        /// A pair's fitted expectation.
        public init(feature: String, base: Double, perLoad: Double, offset: Double, spread: Double) {
            (self.feature, self.base, self.perLoad, self.offset, self.spread) = (feature, base, perLoad, offset, spread)
        }
    }

    /// The load column; nil when the training table had none (features without flows): each pair's
    /// expectation is then a constant.
    public var load: String?
    /// The median benign training window's load: what a window without a load value gets.
    public var medianLoad: Double
    /// The service pairs, each with its expectation.
    public var pairs: [Pair]
    /// The rise, in spreads, above which a window alerts.
    public var threshold: Double
    /// How a budget's threshold was calibrated (absent for the in-sample rules).
    public var calibration: DetectionModel.Calibration?

    /// A rise of fewer spreads never alerts: the spread comes from the benign upper tail (about its
    /// 99th percentile lies 2.3 spreads above the expectation), so that is where benign windows end.
    public static let minimumRise = 3.0

    /// Load residuals as fitted.
    public init(load: String?, medianLoad: Double, pairs: [Pair], threshold: Double, calibration: DetectionModel.Calibration?) {
        (self.load, self.medianLoad, self.pairs, self.threshold, self.calibration) = (load, medianLoad, pairs, threshold, calibration)
    }
}
