import Foundation
import Testing
import TestSupport
@testable import Learn
import Contract

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

    @Test(.needs(CrossCheck.python != nil, "needs scikit-learn in the test environment"), arguments: [UInt64(1), 2, 3])
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
        #expect(result.convergence.converged && result.convergence.criterion <= 1e-12 && result.convergence.iterations < 100_000,
                "\(result.convergence)")

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

    @Test(.needs(CrossCheck.python != nil, "needs scikit-learn in the test environment"), arguments: [UInt64(4), 5, 6])
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
        let input: [String: Any] = ["X": x, "labels": labels.map { $0 ? 1 : 0 }, "folds": 5, "alpha": 0.01]
        try JSONSerialization.data(withJSONObject: input).write(to: URL(fileURLWithPath: directory.file("data.json")))
        let (status, output) = try CrossCheck.runScript("sklearn_logistic_reference.py", [directory.file("data.json")])
        #expect(status == 0, "\(output.prefix(500))")
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        #expect(LogisticL1CV.stratifiedFolds(labels: labels, folds: 5) == reference["folds"] as! [Int])
        let (fit, convergence) = LogisticL1CV(folds: 5).fit(rows: x, labels: labels)
        #expect(convergence.converged && convergence.criterion < 1e-7, "\(convergence)")
        #expect(abs(fit.c - (reference["C"] as! Double)) <= 1e-9 * fit.c, "C \(fit.c) vs \(reference["C"]!)")
        // saga stops at its tolerance; the optimum is unique, so both agree to a few parts in a million.
        for (ours, theirs) in zip(fit.coefficients, reference["coef"] as! [Double]) { #expect(abs(ours - theirs) < 1e-4, "\(ours) \(theirs)") }
        #expect(abs(fit.intercept - (reference["intercept"] as! Double)) < 1e-4)
        // Out-of-fold scores, what the fusion is fitted on, against cross_val_predict with the same folds.
        let logisticOOF = Detector.Estimator.logistic.outOfFoldScores(rows: x, labels: labels, folds: 5, alpha: 1 / fit.c, c: fit.c)
        for (ours, theirs) in zip(logisticOOF, reference["logistic_oof"] as! [Double]) { #expect(abs(ours - theirs) < 1e-3, "\(ours) \(theirs)") }
        let lassoOOF = Detector.Estimator.lasso.outOfFoldScores(rows: x, labels: labels, folds: 5, alpha: 0.01, c: nil)
        for (ours, theirs) in zip(lassoOOF, reference["lasso_oof"] as! [Double]) { #expect(abs(ours - theirs) < 1e-8, "\(ours) \(theirs)") }
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

/// The novelty detector, by hand.
@Suite struct NoveltyTests {
    @Test func ceilingsComeFromBenignWindowsAfterTheWarmUp_andScoresCountSpreadsAboveThem() throws {
        let names = ["distinct_dst_ports_web", "web_to_db_reciprocity", "fanout_web", "new_service_edges"]
        // Windows 0-9 are the warm-up (their 99 ports and 50 new edges are ignored); 10-14 count.
        var benign: [(index: Int64, features: [Double])] = []
        for index in 0..<15 {
            let row: [Double] = index < 10 ? [99, 0.5, 3, 50] : [Double(10 + index % 3), 0.5, Double(index - 8), 0]
            benign.append((Int64(index), row))
        }
        let novelty = try #require(Novelty(names: names, benign: benign))
        #expect(novelty.features == ["distinct_dst_ports_web", "fanout_web", "new_service_edges"])
        // Ports 10, 11, 12, 10, 11: ceiling 12, median 11, spread 1. Fan-out 2...6: ceiling 6, median 4, spread 2.
        // New edges all 0: ceiling 0, spread max(0 - 0, 1) = 1.
        #expect(novelty.ceilings == [12, 6, 0])
        #expect(novelty.spreads == [1, 2, 1])
        let alignment = Detector.alignment(of: novelty.features, in: ["fanout_web", "x", "distinct_dst_ports_web"])  // new_service_edges absent
        #expect(alignment == [2, 0, nil])
        // Ports 15: (15 - 12) / 1 = 3; fan-out 10: (10 - 6) / 2 = 2; the score is the larger.
        #expect(novelty.score([10, 0, 15], alignment: alignment) == 3)
        // Everything at or below its ceiling: not above zero, no alert.
        #expect(novelty.score([6, 0, 12], alignment: alignment) == 0)
        #expect(novelty.score([6, 0, 12], alignment: alignment) < novelty.threshold)
        #expect(novelty.score([.nan, 0, .nan], alignment: alignment) == -.infinity)
        #expect(Novelty(names: ["web_to_db_reciprocity"], benign: benign) == nil)
    }

    @Test func budgetThreshold_scoresEachBlockAgainstTheOthersCeilings() throws {
        // Windows 10-59, fan-out 5 but 9 in window 30. Block 30-39 against the others' ceiling 5 (spread 1):
        // window 30 scores 4, the rest 0. The other blocks against ceiling 9 (median 5, spread 4): -1.
        let benign = (10..<60).map { (index: Int64($0), features: [$0 == 30 ? 9.0 : 5]) }
        var novelty = try #require(Novelty(names: ["fanout_web"], benign: benign))
        #expect(novelty.ceilings == [9] && novelty.spreads == [4])
        novelty.calibrate(names: ["fanout_web"], benign: benign, budget: AlertBudget(falseAlertsPerDay: 2), length: 60)
        // 50 minutes allow no false alert at 2 a day: just above the highest held-out score.
        #expect(novelty.threshold == Double(4).nextUp)
        #expect(novelty.calibration?.windows == 50 && novelty.calibration?.incidents == 0)
        // A budget that allows every window to alert keeps the threshold at one spread above the ceilings.
        novelty.calibrate(names: ["fanout_web"], benign: benign, budget: AlertBudget(falseAlertsPerDay: 1440 * 3), length: 60)
        #expect(novelty.threshold == Novelty.minimumRise)
    }
}

/// A solver that stops at its iteration limit says so: model.json records it and fit warns.
@Suite struct SolverConvergenceTests {
    @Test func aSolverStoppedAtItsLimit_reportsItAndWarns() {
        // Two overlapping classes: the optimum needs several Newton steps from zero.
        let rows = (0..<40).map { i in [Double(i % 7) - 3, Double(i % 5) - 2] }
        let labels = (0..<40).map { $0 % 3 == 0 }
        let problem = LogisticL1Problem(rows: rows, labels: labels)
        let short = problem.solve(c: 10, start: ([0, 0], 0), tolerance: 1e-9, maxIterations: 1)
        #expect(!short.convergence.converged && short.convergence.iterations == 1 && short.convergence.limit == 1)
        #expect(short.convergence.criterion >= 1e-9)
        let warning = short.convergence.warning(model: "60 s model", solver: "logistic regression's Newton steps")
        #expect(warning?.hasPrefix("the 60 s model's logistic regression's Newton steps stopped at its limit of 1 iterations") == true, "\(warning ?? "none")")
        let full = problem.solve(c: 10, start: ([0, 0], 0), tolerance: 1e-9, maxIterations: 500)
        #expect(full.convergence.converged && full.convergence.iterations > 1 && full.convergence.criterion < 1e-9, "\(full.convergence)")
        #expect(full.convergence.warning(model: "60 s model", solver: "x") == nil)
    }

    /// A Newton step starts from the Hessian's entries among the non-zero coordinates, X^T W X, and with
    /// the intercept, X^T W 1, computed together over blocks of rows: checked against the sums written
    /// out, on rows that fill two blocks and leave a part block and three rows past the last four, with
    /// 11 non-zero coordinates (two groups of four and three more) and one whose column is all zero.
    @Test func aNewtonStep_startsFromTheHessianAmongItsNonZeroCoordinates() {
        var random = SplitMix64(state: 11)
        let n = 1_203, p = 15
        let columns = (0..<p).map { j in (0..<n).map { _ in j == 4 ? 0 : Double(Int(random.next() % 2001) - 1000) / 250 } }
        let weight = (0..<n).map { _ in Double(random.next() % 1000 + 1) / 4000 }
        let hessian = columns.map { column in zip(column, weight).reduce(0) { $0 + $1.0 * $1.0 * $1.1 } }
        let w = (0..<p).map { j in [0, 3, 13].contains(j) ? 0.0 : Double(j) - 6.5 }
        let step = LogisticNewtonStep(columns: columns, residual: [Double](repeating: 0.1, count: n), weight: weight, hessian: hessian, w: w, c: 2)
        #expect(step.members == [1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 14], "members: \(step.members)")
        for (a, j) in step.members.enumerated() {
            let intercept = (0..<n).reduce(0.0) { $0 + columns[j][$1] * weight[$1] }
            #expect(abs(step.interceptGram[a] - intercept) <= 1e-12 * max(1, abs(intercept)), "intercept entry of \(j)")
            for (b, k) in step.members.enumerated() {
                let entry = (0..<n).reduce(0.0) { $0 + columns[j][$1] * weight[$1] * columns[k][$1] }
                #expect(abs(step.gram[a][b] - entry) <= 1e-12 * max(1, abs(entry)), "entry (\(j), \(k)): \(step.gram[a][b]) against \(entry)")
            }
        }
    }

    /// The solver's dot products of many columns at once give each column's single dot product to the
    /// bit (the models do not change with how they are computed): 0 to 9 columns of 0 to 9 and 1,203 rows.
    @Test func dotsOfManyColumns_equalEachColumnsDotToTheBit() {
        var random = SplitMix64(state: 12)
        for n in Array(0...9) + [1_203] {
            let vector = (0..<n).map { _ in Double(Int(random.next() % 20_001) - 10_000) / 7 }
            for count in 0...9 {
                let columns = (0..<count).map { _ in (0..<n).map { _ in Double(Int(random.next() % 20_001) - 10_000) / 3 } }
                #expect(DenseVectors.dots(columns, vector).map(\.bitPattern) == columns.map { DenseVectors.dot($0, vector).bitPattern },
                        "\(count) columns of \(n) rows")
                #expect(DenseVectors.weightedSquares(columns, vector).map(\.bitPattern)
                        == columns.map { DenseVectors.dot($0, $0, vector).bitPattern }, "\(count) columns of \(n) rows")
            }
        }
    }

    @Test func aWarmStartOnAFeatureTheRowsLack_convergesWithItsWeightAtZero() {
        // A fold's rows may hold none of a feature the fit on every row weighted (out-of-fold scores
        // start there): the feature cannot move the loss, so its optimum is 0, not the start.
        let rows = (0..<40).map { i in [Double(i % 7) - 3, 0] }
        let labels = (0..<40).map { $0 % 3 == 0 }
        let problem = LogisticL1Problem(rows: rows, labels: labels)
        let fromZero = problem.solve(c: 10, start: ([0, 0], 0), tolerance: 1e-9)
        let warm = problem.solve(c: 10, start: ([0.5, 2], 0), tolerance: 1e-9)
        #expect(warm.convergence.converged && warm.w[1] == 0, "\(warm.convergence) \(warm.w) \(fromZero.convergence)")
        #expect(abs(warm.w[0] - fromZero.w[0]) < 1e-6 && abs(warm.b - fromZero.b) < 1e-6)
    }
}
