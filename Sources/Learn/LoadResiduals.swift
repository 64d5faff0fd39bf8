import Contract
import Foundation

/// Learning and applying the load residuals (`LoadResiduals` in model.json).
extension LoadResiduals {
    /// The smallest spread, in log units (a pair whose bytes never vary would otherwise alert on any change).
    static let minimumSpread = 0.05
    static let fewestWindows = 10

    /// Learns each pair's expectation from benign training rows (raw features in the table's column
    /// order); nil without pairs or with fewer than `fewestWindows` rows.
    init?(names: [String], benign: [(index: Int64, features: [Double])]) {
        guard benign.count >= Self.fewestWindows else { return nil }
        let loadColumn = names.firstIndex(of: FeatureColumns.load)
        let loads = benign.map { row in loadColumn.map { Self.validLoad(row.features[$0]) } ?? 0 }
        let median = RobustScaler.percentile(loads.filter(\.isFinite).sorted(), 50)
        let medianLoad = median.isNaN ? 0 : median
        let x = loads.map { $0.isFinite ? $0 : medianLoad }
        var pairs: [Pair] = []
        for column in names.indices where FeatureColumns.isBytes(names[column]) && !names[column].hasPrefix(FeatureColumns.bytes("outside", "")) {
            let y = benign.map { Self.validBytes($0.features[column]) }
            guard y.contains(where: { $0 > 0 }) else { continue }  // never seen in benign training: novelty's
            pairs.append(Self.expectation(feature: names[column], load: x, bytes: y))
        }
        guard !pairs.isEmpty else { return nil }
        self.init(load: loadColumn.map { names[$0] }, medianLoad: medianLoad, pairs: pairs, threshold: Self.minimumRise, calibration: nil)
    }

    static func validLoad(_ value: Double) -> Double { value.isFinite && value >= 0 ? value : .nan }
    static func validBytes(_ value: Double) -> Double { value.isFinite && value > 0 ? value : 0 }

    /// Least squares of bytes on load with both coefficients at least 0, refitted once without the
    /// windows whose log residual lies more than three robust spreads from the median (bursts); then
    /// the log residuals' median (`offset`) and spread, the larger of their median absolute deviation
    /// and their upper tail.
    static func expectation(feature: String, load x: [Double], bytes y: [Double]) -> Pair {
        func residuals(_ fit: (base: Double, perLoad: Double)) -> [Double] {
            x.indices.map { log1p(y[$0]) - log1p(fit.base + fit.perLoad * x[$0]) }
        }
        var fit = nonNegativeLine(x: x, y: y, rows: Array(x.indices))
        let first = residuals(fit)
        let centre = RobustScaler.percentile(first.sorted(), 50), cut = 3 * scale(first.sorted())
        let kept = x.indices.filter { abs(first[$0] - centre) <= cut }
        if kept.count >= fewestWindows { fit = nonNegativeLine(x: x, y: y, rows: kept) }
        let final = residuals(fit).sorted()
        let middle = RobustScaler.percentile(final, 50)
        return Pair(feature: feature, base: fit.base, perLoad: fit.perLoad, offset: middle,
                    spread: max(scale(final), (RobustScaler.percentile(final, 99) - middle) / 2.326, minimumSpread))
    }

    /// y = base + perLoad x, least squares with both at least 0 (as scipy's nnls on the columns 1 and
    /// x): the unconstrained line when both are, else the better of the two one-coefficient fits.
    static func nonNegativeLine(x: [Double], y: [Double], rows: [Int]) -> (base: Double, perLoad: Double) {
        let n = Double(rows.count)
        let meanX = rows.reduce(0) { $0 + x[$1] } / n, meanY = rows.reduce(0) { $0 + y[$1] } / n
        var sxx = 0.0, sxy = 0.0, xx = 0.0, xy = 0.0
        for row in rows {
            sxx += (x[row] - meanX) * (x[row] - meanX)
            sxy += (x[row] - meanX) * (y[row] - meanY)
            (xx, xy) = (xx + x[row] * x[row], xy + x[row] * y[row])
        }
        if sxx > 0 {
            let slope = sxy / sxx, intercept = meanY - slope * meanX
            if slope >= 0 && intercept >= 0 { return (intercept, slope) }
        }
        func squares(_ base: Double, _ perLoad: Double) -> Double { rows.reduce(0) { $0 + pow(y[$1] - base - perLoad * x[$1], 2) } }
        let constant = (base: meanY, perLoad: 0.0)
        guard xx > 0 else { return constant }
        let proportional = (base: 0.0, perLoad: max(xy / xx, 0))
        return squares(proportional.base, proportional.perLoad) < squares(constant.base, constant.perLoad) ? proportional : constant
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

    /// Each pair's rise above what the load explains, in spreads (NaN where the table lacks the pair).
    public func rises(_ row: [Double], alignment: (load: Int?, pairs: [Int?])) -> [Double] {
        let x = alignment.load.map { Self.validLoad(row[$0]) }.flatMap { $0.isFinite ? $0 : nil } ?? medianLoad
        return zip(pairs, alignment.pairs).map { pair, source in
            guard let source else { return .nan }
            return (log1p(Self.validBytes(row[source])) - log1p(pair.base + pair.perLoad * x) - pair.offset) / pair.spread
        }
    }

    /// The largest rise; -infinity when the table has none of the pairs.
    public func score(_ row: [Double], alignment: (load: Int?, pairs: [Int?])) -> Double {
        rises(row, alignment: alignment).filter { !$0.isNaN }.max() ?? -.infinity
    }

    /// The threshold for an alert budget, on benign training windows scored out of sample
    /// (`CrossFitting.blockScores`); never below the budget's `floor`.
    mutating func calibrate(names: [String], benign: [(index: Int64, features: [Double])], budget: AlertBudget, length: Int32) {
        let scores = CrossFitting.blockScores(benign) { others in
            LoadResiduals(names: names, benign: others).map { model in
                let alignment = model.alignment(in: names)
                return { model.score($0, alignment: alignment) }
            }
        }
        var result = budget.threshold(calibration: scores, length: length)
        result.threshold = max(result.threshold, floor(budget: budget, length: length))
        (calibration, threshold) = (result, result.threshold)
    }

    /// The lowest threshold a budget may have: `minimumRise`, or where a normal tail leaves each pair
    /// its share of the budget's window rate, if higher. An empirical threshold needs thousands of
    /// benign windows (`AlertBudget.windowsNeeded`); with fewer, the highest calibration score is no
    /// guide to what a day of new windows brings, and the budget itself says how far out the tail must be.
    func floor(budget: AlertBudget, length: Int32) -> Double {
        max(Self.minimumRise, Self.normalQuantileAbove(budget.windowRate(length: length) / Double(max(pairs.count, 1))))
    }

    /// z with P(Z > z) = p for a standard normal Z (p in (0, 0.5]), by bisection on erfc.
    static func normalQuantileAbove(_ p: Double) -> Double {
        var (low, high) = (0.0, 40.0)
        for _ in 0..<100 {
            let middle = (low + high) / 2
            if 0.5 * erfc(middle / 2.0.squareRoot()) > p { low = middle } else { high = middle }
        }
        return (low + high) / 2
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
