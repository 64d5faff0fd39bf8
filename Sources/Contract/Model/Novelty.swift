/// The detector for what exfiltration labels cannot teach (port scans, lateral movement, tunnels):
/// it learns, from the benign training windows only, the highest value of each behaviour feature
/// (ports, fan-out, failed connections, new peers and edges of every service), and scores a window
/// by how far its most unusual feature rises above that ceiling, in units of the feature's benign
/// spread. A window alerts when some feature exceeds everything seen in benign training.
public struct Novelty: Codable, Sendable {
    /// The behaviour features watched.
    public var features: [String]
    /// The highest benign training value of each feature.
    public var ceilings: [Double]
    /// Ceiling minus median (at least 1): the unit of the score.
    public var spreads: [Double]
    /// A value must rise above its benign ceiling by at least one spread (as far again as the ceiling
    /// lies above the median): a training maximum is the largest of a sample, and more benign time
    /// beats it by a little (one more port at the busiest minute). Under an alert budget, higher where
    /// benign windows outside the ones the ceilings came from rise further too often.
    public static let minimumRise = 1.0
    /// The rise, in spreads, above which a window alerts.
    public var threshold: Double
    /// How a budget's threshold was calibrated (absent for the in-sample rules).
    public var calibration: DetectionModel.Calibration?

    /// A novelty detector as learnt.
    public init(features: [String], ceilings: [Double], spreads: [Double], threshold: Double, calibration: DetectionModel.Calibration?) {
        (self.features, self.ceilings, self.spreads, self.threshold, self.calibration) = (features, ceilings, spreads, threshold, calibration)
    }
}
