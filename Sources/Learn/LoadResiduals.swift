import Foundation
import Table

/// The exfiltration side that the application's load does not move (method `load`). Benign traffic
/// on a service pair grows with the load; data taken out of the cluster does not follow it. Per
/// service pair (any but those from outside, which are the load itself) it learns from the benign
/// training windows log(1 + bytes) as a line in log(1 + load), the load being the flows from outside
/// into the cluster (which traffic leaving it does not raise), and the spread of what the line leaves
/// unexplained. A window's score is the largest rise of a pair's bytes above its line, in spreads.
public struct LoadResiduals: Codable, Sendable {
    public struct Pair: Codable, Sendable, Equatable {
        /// The bytes column (`FeatureColumns.bytes`).
        public var feature: String
        public var intercept: Double
        public var slope: Double
        public var spread: Double
    }

    /// The load column; nil when the training table had none (features without flows): each line is flat.
    public var load: String?
    /// log(1 + load) of the median benign training window: what a window without a load value gets.
    public var medianLoad: Double
    public var pairs: [Pair]
    public var threshold: Double
    /// How a budget's threshold was calibrated (absent for the in-sample rules).
    public var calibration: DetectionModel.Calibration?

    /// A rise of fewer spreads never alerts: the spread comes from the benign upper tail (about its
    /// 99th percentile lies 2.3 spreads above the line), so that is where benign windows end.
    public static let minimumRise = 3.0
    /// The smallest spread, in log units (a pair whose bytes never vary would otherwise alert on any change).
    static let minimumSpread = 0.05
    /// How strongly a line's slope is drawn towards 1 (bytes in proportion to the load), in windows'
    /// worth of log-load variance per window: a training capture at one steady load cannot show the
    /// slope, and a pair then grows with the load as the application's traffic does.
    static let proportionalPrior = 0.01
    static let fewestWindows = 10

    /// Learns each pair's line from benign training rows (raw features in the table's column order);
    /// nil without pairs or with fewer than `fewestWindows` rows.
    init?(names: [String], benign: [(index: Int64, features: [Double])]) {
        guard benign.count >= Self.fewestWindows else { return nil }
        let loadColumn = names.firstIndex(of: FeatureColumns.load)
        let loads = benign.map { row in loadColumn.map { Self.logLoad(row.features[$0]) } ?? 0 }
        let median = RobustScaler.percentile(loads.filter(\.isFinite).sorted(), 50)
        let medianLoad = median.isNaN ? 0 : median
        let x = loads.map { $0.isFinite ? $0 : medianLoad }
        self.medianLoad = medianLoad
        load = loadColumn.map { names[$0] }
        var pairs: [Pair] = []
        for column in names.indices where FeatureColumns.isBytes(names[column]) && !names[column].hasPrefix(FeatureColumns.bytes("outside", "")) {
            let y = benign.map { Self.logBytes($0.features[column]) }
            guard y.contains(where: { $0 > 0 }) else { continue }  // never seen in benign training: novelty's
            pairs.append(Self.line(feature: names[column], x: x, y: y))
        }
        guard !pairs.isEmpty else { return nil }
        self.pairs = pairs
        threshold = Self.minimumRise
    }

    static func logLoad(_ value: Double) -> Double { value.isFinite && value >= 0 ? log1p(value) : .nan }
    static func logBytes(_ value: Double) -> Double { value.isFinite && value > 0 ? log1p(value) : 0 }

    /// Least squares shrunk towards slope 1, refitted once without the windows more than three
    /// spreads off the first line (bursts); the intercept then moved to the residuals' median, and
    /// the spread taken from the larger of their median absolute deviation and their upper tail.
    static func line(feature: String, x: [Double], y: [Double]) -> Pair {
        func fit(_ rows: [Int]) -> (intercept: Double, slope: Double) {
            let n = Double(rows.count)
            let meanX = rows.reduce(0) { $0 + x[$1] } / n, meanY = rows.reduce(0) { $0 + y[$1] } / n
            var sxx = 0.0, sxy = 0.0
            for row in rows { (sxx, sxy) = (sxx + (x[row] - meanX) * (x[row] - meanX), sxy + (x[row] - meanX) * (y[row] - meanY)) }
            let prior = proportionalPrior * n
            let slope = (sxy + prior) / (sxx + prior)
            return (meanY - slope * meanX, slope)
        }
        func residuals(_ line: (intercept: Double, slope: Double)) -> [Double] { x.indices.map { y[$0] - line.intercept - line.slope * x[$0] } }
        var line = fit(Array(x.indices))
        let first = residuals(line).sorted()
        let cut = 3 * scale(first)
        let centre = RobustScaler.percentile(first, 50)
        let kept = x.indices.filter { abs(y[$0] - line.intercept - line.slope * x[$0] - centre) <= cut }
        if kept.count >= fewestWindows { line = fit(kept) }
        let final = residuals(line).sorted()
        let middle = RobustScaler.percentile(final, 50)
        return Pair(feature: feature, intercept: line.intercept + middle, slope: line.slope,
                    spread: max(scale(final), (RobustScaler.percentile(final, 99) - middle) / 2.326, minimumSpread))
    }

    /// A normal distribution's standard deviation from the median absolute deviation of sorted values.
    private static func scale(_ sorted: [Double]) -> Double {
        let median = RobustScaler.percentile(sorted, 50)
        return max(1.4826 * RobustScaler.percentile(sorted.map { abs($0 - median) }.sorted(), 50), minimumSpread)
    }

    /// Where the load and each pair's column sit in a table's columns `names`.
    public func alignment(in names: [String]) -> (load: Int?, pairs: [Int?]) {
        (load.flatMap { names.firstIndex(of: $0) }, Detector.alignment(of: pairs.map(\.feature), in: names))
    }

    /// Each pair's rise above its line, in spreads (NaN where the table lacks the pair).
    public func rises(_ row: [Double], alignment: (load: Int?, pairs: [Int?])) -> [Double] {
        let x = alignment.load.map { Self.logLoad(row[$0]) }.flatMap { $0.isFinite ? $0 : nil } ?? medianLoad
        return zip(pairs, alignment.pairs).map { pair, source in
            guard let source else { return .nan }
            return (Self.logBytes(row[source]) - pair.intercept - pair.slope * x) / pair.spread
        }
    }

    /// The largest rise; -infinity when the table has none of the pairs.
    public func score(_ row: [Double], alignment: (load: Int?, pairs: [Int?])) -> Double {
        rises(row, alignment: alignment).filter { !$0.isNaN }.max() ?? -.infinity
    }

    /// The threshold for an alert budget, on benign training windows scored out of sample
    /// (`CrossFitting.blockScores`); never below `minimumRise`.
    mutating func calibrate(names: [String], benign: [(index: Int64, features: [Double])], budget: AlertBudget, length: Int32) {
        let scores = CrossFitting.blockScores(benign) { others in
            LoadResiduals(names: names, benign: others).map { model in
                let alignment = model.alignment(in: names)
                return { model.score($0, alignment: alignment) }
            }
        }
        var result = budget.threshold(calibration: scores, length: length)
        result.threshold = max(result.threshold, Self.minimumRise)
        (calibration, threshold) = (result, result.threshold)
    }
}

/// Out-of-sample scores for the unsupervised detectors' budgets: the benign training windows in five
/// blocks of time, each block scored by a detector learnt from the other four.
enum CrossFitting {
    static let blocks = 5

    /// - Parameter learn: a detector's score function learnt from the given rows, or nil when none can be.
    static func blockScores(_ benign: [(index: Int64, features: [Double])],
                            learn: ([(index: Int64, features: [Double])]) -> (([Double]) -> Double)?) -> [(index: Int64, score: Double)] {
        let rows = benign.sorted { $0.index < $1.index }
        var scores: [(index: Int64, score: Double)] = []
        for block in 0..<blocks {
            let range = (rows.count * block / blocks)..<(rows.count * (block + 1) / blocks)
            guard !range.isEmpty, let score = learn(Array(rows[..<range.lowerBound] + rows[range.upperBound...])) else { continue }
            scores += rows[range].map { ($0.index, score($0.features)) }
        }
        return scores
    }
}
