/// Detection metrics as scikit-learn computes them: ROC curve and its area, average precision, and
/// the confusion counts and F1 at a threshold (a window alerts when its score is at least the threshold).
public enum Metrics {
    public struct Counts: Sendable, Equatable {
        public var truePositives = 0, falsePositives = 0, trueNegatives = 0, falseNegatives = 0

        public var truePositiveRate: Double { ratio(truePositives, truePositives + falseNegatives) }
        public var falsePositiveRate: Double { ratio(falsePositives, falsePositives + trueNegatives) }
        public var f1: Double { ratio(2 * truePositives, 2 * truePositives + falsePositives + falseNegatives) }

        private func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? .nan : Double(a) / Double(b) }
    }

    public static func counts(scores: [Double], labels: [Bool], threshold: Double) -> Counts {
        var counts = Counts()
        for (score, label) in zip(scores, labels) {
            let alert = score >= threshold
            switch (alert, label) {
            case (true, true): counts.truePositives += 1
            case (true, false): counts.falsePositives += 1
            case (false, false): counts.trueNegatives += 1
            case (false, true): counts.falseNegatives += 1
            }
        }
        return counts
    }

    /// The points of the ROC curve at every distinct score (highest first), starting at (0, 0), with
    /// scikit-learn's `drop_intermediate` (points on a straight line between their neighbours dropped).
    /// NaN scores count as the lowest.
    public static func rocCurve(scores: [Double], labels: [Bool]) -> (fpr: [Double], tpr: [Double], thresholds: [Double]) {
        let order = scores.indices.sorted { clean(scores[$0]) > clean(scores[$1]) }
        let positives = labels.filter { $0 }.count, negatives = labels.count - positives
        var fps: [Int] = [], tps: [Int] = [], thresholds: [Double] = []
        var tp = 0, fp = 0
        for (position, index) in order.enumerated() {
            if labels[index] { tp += 1 } else { fp += 1 }
            if position == order.count - 1 || clean(scores[order[position + 1]]) != clean(scores[index]) {
                tps.append(tp); fps.append(fp); thresholds.append(clean(scores[index]))
            }
        }
        if fps.count > 2 {
            var keep = [0]
            for i in 1..<(fps.count - 1) where fps[i - 1] - 2 * fps[i] + fps[i + 1] != 0 || tps[i - 1] - 2 * tps[i] + tps[i + 1] != 0 {
                keep.append(i)
            }
            keep.append(fps.count - 1)
            fps = keep.map { fps[$0] }; tps = keep.map { tps[$0] }; thresholds = keep.map { thresholds[$0] }
        }
        let fpr = [0] + fps.map { negatives == 0 ? .nan : Double($0) / Double(negatives) }
        let tpr = [0] + tps.map { positives == 0 ? .nan : Double($0) / Double(positives) }
        return (fpr, tpr, [.infinity] + thresholds)
    }

    /// Area under the ROC curve (trapezoids); NaN without both classes.
    public static func rocAUC(scores: [Double], labels: [Bool]) -> Double {
        guard labels.contains(true), labels.contains(false) else { return .nan }
        let curve = rocCurve(scores: scores, labels: labels)
        var area = 0.0
        for i in 1..<curve.fpr.count {
            area += (curve.fpr[i] - curve.fpr[i - 1]) * (curve.tpr[i] + curve.tpr[i - 1]) / 2
        }
        return area
    }

    /// Average precision: the sum over thresholds of (recall gained) x precision, no interpolation.
    public static func averagePrecision(scores: [Double], labels: [Bool]) -> Double {
        let positives = labels.filter { $0 }.count
        guard positives > 0 else { return .nan }
        let order = scores.indices.sorted { clean(scores[$0]) > clean(scores[$1]) }
        var tp = 0, fp = 0, previousRecall = 0.0, total = 0.0
        for (position, index) in order.enumerated() {
            if labels[index] { tp += 1 } else { fp += 1 }
            if position == order.count - 1 || clean(scores[order[position + 1]]) != clean(scores[index]) {
                let recall = Double(tp) / Double(positives), precision = Double(tp) / Double(tp + fp)
                total += (recall - previousRecall) * precision
                previousRecall = recall
            }
        }
        return total
    }

    /// The threshold with the best F1 (alerting at scores at least it), among the distinct scores; ties
    /// go to the higher threshold (fewer alerts).
    public static func bestF1Threshold(scores: [Double], labels: [Bool]) -> Double {
        var best = (f1: -1.0, threshold: Double.infinity)
        for threshold in Set(scores.map(clean)).sorted(by: >) {
            let f1 = counts(scores: scores, labels: labels, threshold: threshold).f1
            if !f1.isNaN && f1 > best.f1 { best = (f1, threshold) }
        }
        return best.threshold
    }

    /// The lowest threshold (most alerts) whose false-positive rate stays at most `rate`.
    public static func thresholdForFalsePositiveRate(scores: [Double], labels: [Bool], rate: Double) -> Double {
        var chosen = Double.infinity
        for threshold in Set(scores.map(clean)).sorted(by: >) {
            let fpr = counts(scores: scores, labels: labels, threshold: threshold).falsePositiveRate
            if fpr.isNaN || fpr <= rate { chosen = threshold } else { break }
        }
        return chosen
    }

    private static func clean(_ score: Double) -> Double { score.isNaN ? -.infinity : score }
}
