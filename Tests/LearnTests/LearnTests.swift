import Foundation
import Testing
import TestSupport
@testable import Learn

/// The Learn library against scikit-learn on the same data (LassoCV, RobustScaler, ROC AUC, average
/// precision, ROC curve) and against hand calculations.
@Suite struct LearnTests {
    /// A sparse linear problem with noise: y depends on 3 of 12 features.
    static func data(seed: UInt64, rows: Int = 240) -> (x: [[Double]], y: [Double]) {
        var random = SplitMix64(state: seed)
        func uniform() -> Double { Double(random.next() >> 11) * 0x1.0p-53 }
        var x: [[Double]] = [], y: [Double] = []
        for _ in 0..<rows {
            let row = (0..<12).map { column in (uniform() - 0.5) * Double(column + 1) }
            x.append(row)
            y.append(1.5 * row[0] - 0.8 * row[3] + 0.2 * row[7] + (uniform() - 0.5) * 0.5 + 3)
        }
        return (x, y)
    }

    @Test(.enabled(if: CrossCheck.python != nil, "needs scikit-learn in the test environment"), arguments: [UInt64(1), 2, 3])
    func lassoCVAndScalerAndMetrics_agreeWithScikitLearn(seed: UInt64) throws {
        let (x, y) = Self.data(seed: seed)
        var random = SplitMix64(state: seed + 100)
        let labels = (0..<300).map { _ in random.next() % 3 == 0 }
        let scores = labels.map { Double(random.next() % 50) / 10 + ($0 ? 1.5 : 0) }
        let directory = try TemporaryDirectory()
        let input: [String: Any] = ["X": x, "y": y, "scores": scores, "labels": labels.map { $0 ? 1 : 0 }, "folds": 5]
        try JSONSerialization.data(withJSONObject: input).write(to: URL(fileURLWithPath: directory.file("data.json")))
        let (status, output) = try CrossCheck.runScript("sklearn_reference.py", [directory.file("data.json")])
        #expect(status == 0, "\(output.prefix(500))")
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])

        let result = LassoCV(folds: 5).fit(rows: x, y: y)
        let alphas = reference["alphas"] as! [Double], mse = reference["mse"] as! [Double]
        for (ours, theirs) in zip(result.alphas, alphas) { #expect(abs(ours - theirs) <= 1e-12 * theirs) }
        for (ours, theirs) in zip(result.meanSquaredErrors, mse) { #expect(abs(ours - theirs) <= 1e-6 * max(theirs, 1e-12), "\(ours) \(theirs)") }
        #expect(abs(result.fit.alpha - (reference["alpha"] as! Double)) <= 1e-12 * result.fit.alpha)
        for (ours, theirs) in zip(result.fit.coefficients, reference["coef"] as! [Double]) { #expect(abs(ours - theirs) < 1e-6, "\(ours) \(theirs)") }
        #expect(abs(result.fit.intercept - (reference["intercept"] as! Double)) < 1e-6)

        let columns = (0..<12).map { column in x.map { $0[column] } }
        let scaler = RobustScaler(fitting: columns, rows: Array(x.indices))
        for (ours, theirs) in zip(scaler.centers, reference["center"] as! [Double]) { #expect(abs(ours - theirs) < 1e-12) }
        for (ours, theirs) in zip(scaler.scales, reference["scale"] as! [Double]) { #expect(abs(ours - theirs) < 1e-12) }

        #expect(abs(Metrics.rocAUC(scores: scores, labels: labels) - (reference["auc"] as! Double)) < 1e-12)
        #expect(abs(Metrics.averagePrecision(scores: scores, labels: labels) - (reference["ap"] as! Double)) < 1e-12)
        let curve = Metrics.rocCurve(scores: scores, labels: labels)
        // The same points (to the last bit of the divisions: scikit-learn divides differently).
        let (fpr, tpr) = (reference["fpr"] as! [Double], reference["tpr"] as! [Double])
        #expect(curve.fpr.count == fpr.count && curve.tpr.count == tpr.count)
        #expect(zip(curve.fpr, fpr).allSatisfy { abs($0 - $1) < 1e-12 } && zip(curve.tpr, tpr).allSatisfy { abs($0 - $1) < 1e-12 })
    }

    @Test(.enabled(if: CrossCheck.python != nil, "needs scikit-learn in the test environment"), arguments: [UInt64(4), 5, 6])
    func logisticL1CV_agreesWithScikitLearn(seed: UInt64) throws {
        // Classes from a noisy linear rule on 3 of 8 features; rows in a fixed random order.
        var random = SplitMix64(state: seed)
        func uniform() -> Double { Double(random.next() >> 11) * 0x1.0p-53 }
        var x: [[Double]] = [], labels: [Bool] = []
        for _ in 0..<200 {
            let row = (0..<8).map { column in (uniform() - 0.5) * Double(column % 3 + 1) * 2 }
            x.append(row)
            labels.append(1.2 * row[0] - 0.9 * row[4] + 0.3 * row[6] + (uniform() - 0.5) * 1.5 > 0.2)
        }
        let directory = try TemporaryDirectory()
        let input: [String: Any] = ["X": x, "labels": labels.map { $0 ? 1 : 0 }, "folds": 5]
        try JSONSerialization.data(withJSONObject: input).write(to: URL(fileURLWithPath: directory.file("data.json")))
        let (status, output) = try CrossCheck.runScript("sklearn_logistic_reference.py", [directory.file("data.json")])
        #expect(status == 0, "\(output.prefix(500))")
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        #expect(LogisticL1CV.stratifiedFolds(labels: labels, folds: 5) == reference["folds"] as! [Int])
        let fit = LogisticL1CV(folds: 5).fit(rows: x, labels: labels)
        #expect(abs(fit.c - (reference["C"] as! Double)) <= 1e-9 * fit.c, "C \(fit.c) vs \(reference["C"]!)")
        // saga stops at its tolerance; the optimum is unique, so both agree to a few parts in a million.
        for (ours, theirs) in zip(fit.coefficients, reference["coef"] as! [Double]) { #expect(abs(ours - theirs) < 1e-4, "\(ours) \(theirs)") }
        #expect(abs(fit.intercept - (reference["intercept"] as! Double)) < 1e-4)
    }

    @Test func metrics_byHand() {
        // Scores 0.9 (pos), 0.8 (neg), 0.7 (pos), 0.1 (neg): ROC points (0,.5) (.5,.5) (.5,1) (1,1); AUC 0.75.
        let scores = [0.9, 0.8, 0.7, 0.1], labels = [true, false, true, false]
        #expect(Metrics.rocAUC(scores: scores, labels: labels) == 0.75)
        // AP: recall .5 at precision 1, recall 1 at precision 2/3: 0.5 + 0.5 * 2/3.
        #expect(abs(Metrics.averagePrecision(scores: scores, labels: labels) - (0.5 + 1.0 / 3)) < 1e-15)
        // Best F1: at 0.7 (TP 2, FP 1, FN 0): 4/5, better than 0.9 (2/3).
        #expect(Metrics.bestF1Threshold(scores: scores, labels: labels) == 0.7)
        let counts = Metrics.counts(scores: scores, labels: labels, threshold: 0.7)
        #expect(counts == Metrics.Counts(truePositives: 2, falsePositives: 1, trueNegatives: 1, falseNegatives: 0) && counts.f1 == 0.8)
        // At most 1 false positive in 2 benign windows: down to 0.7 (0.8 is the one); at 0: only 0.9 and up.
        #expect(Metrics.thresholdForFalsePositiveRate(scores: scores, labels: labels, rate: 0.5) == 0.7)
        #expect(Metrics.thresholdForFalsePositiveRate(scores: scores, labels: labels, rate: 0) == 0.9)
        // numpy's linear percentiles of 1...4: 25th 1.75, median 2.5, 75th 3.25.
        let scaler = RobustScaler(fitting: [[1, 2, 3, 4, .nan]], rows: [0, 1, 2, 3, 4])
        #expect(scaler.centers == [2.5] && scaler.scales == [1.5])
    }
}
