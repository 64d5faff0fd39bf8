import Contract
import Foundation

/// L1-penalised logistic regression as scikit-learn's LogisticRegression(l1_ratio=1) fits it:
/// minimise ||w||_1 + C * sum_i log(1 + exp(-s_i (w.x_i + b))), s_i = +-1, the intercept unpenalised.
/// Solved by proximal Newton steps (glmnet's scheme): each outer step replaces the log-loss by its
/// quadratic model at the current point, solves that L1 problem by coordinate descent, and backtracks
/// along the step until the true objective decreases. The problem is convex, so any exact solver
/// reaches the same optimum as scikit-learn's saga.
public struct LogisticL1Fit: Codable, Sendable {
    public var c: Double
    public var coefficients: [Double]
    public var intercept: Double

    /// The decision function (log-odds of an attack).
    public func decision(_ row: [Double]) -> Double {
        linearScore(row, coefficients: coefficients, intercept: intercept)
    }
}

struct LogisticL1Problem {
    let n: Int
    let p: Int
    /// The data by column (coordinate descent walks one feature at a time).
    let columns: [[Double]]
    let targets: [Double]  // 1 for an attack, 0 otherwise
    /// Features that are zero on every row.
    let empty: [Bool]

    init(rows: [[Double]], labels: [Bool]) {
        n = rows.count
        p = rows.first?.count ?? 0
        columns = (0..<p).map { j in rows.map { $0[j] } }
        targets = labels.map { $0 ? 1 : 0 }
        empty = columns.map { $0.allSatisfy { $0 == 0 } }
    }

    private func linear(_ w: [Double], _ b: Double) -> [Double] {
        var z = [Double](repeating: b, count: n)
        for j in 0..<p where w[j] != 0 {
            let column = columns[j], weight = w[j]
            for i in 0..<n { z[i] += weight * column[i] }
        }
        return z
    }

    /// How much the objective changes from (w, b) to (w + step d, b + step db), given the rows' linear
    /// terms `z` at (w, b) and `direction` = X d + db: summed row by row as differences, since near the
    /// optimum the change is far below the rounding of the objective itself (a line search comparing
    /// two objectives there accepts or refuses steps by rounding, and crawls).
    func objectiveChange(z: [Double], direction: [Double], w: [Double], d: [Double], step: Double, c: Double) -> Double {
        var loss = 0.0
        for i in 0..<n {
            let sign = targets[i] == 1 ? 1.0 : -1.0
            let margin = -sign * step * direction[i]
            if abs(margin) < 30 {
                // log(1 + e^(-s(z + t q))) - log(1 + e^(-s z)) = log1p(expm1(-s t q) sigmoid(-s z))
                loss += log1p(expm1(margin) / (1 + exp(sign * z[i])))
            } else {
                loss += softplus(-sign * (z[i] + step * direction[i])) - softplus(-sign * z[i])
            }
        }
        var penalty = 0.0
        for j in 0..<p where d[j] != 0 { penalty += abs(w[j] + step * d[j]) - abs(w[j]) }
        return c * loss + penalty
    }

    /// log(1 + e^u) without overflow.
    private func softplus(_ u: Double) -> Double { u > 0 ? u + log1p(exp(-u)) : log1p(exp(u)) }

    /// How far (w, b) is from optimal: the largest violation of the optimality conditions, c times the
    /// log-loss gradient g against the L1 subgradient (g_j = -sign(w_j) / c where w_j != 0, |g_j| <= 1 / c
    /// where w_j = 0; the intercept's gradient zero).
    func violation(_ w: [Double], _ b: Double, c: Double) -> Double {
        let residual = zip(linear(w, b), targets).map { 1 / (1 + exp(-$0.0)) - $0.1 }
        var worst = abs(c * residual.reduce(0, +))
        let dots = DenseVectors.dots(columns, residual)
        for j in 0..<p {
            let g = c * dots[j]
            worst = max(worst, w[j] == 0 ? max(0, abs(g) - 1) : abs(g + (w[j] > 0 ? 1 : -1)))
        }
        return worst
    }

    /// The optimum for `c`, from `start` (a warm start along a path of growing c): proximal Newton steps
    /// until the optimality conditions hold to `tolerance`, or `maxIterations` steps (scikit-learn's
    /// max_iter: on nearly separable rows a large c has its optimum far out, and the cross-validation
    /// only needs its held-out loss).
    func solve(c: Double, start: (w: [Double], b: Double), tolerance: Double = 1e-7,
               maxIterations: Int = 500) -> (w: [Double], b: Double, convergence: Convergence) {
        precondition(c > 0 && c.isFinite && tolerance > 0 && maxIterations >= 1 && start.w.count == p,
                     "logistic regression needs a finite C > 0, a tolerance > 0, an iteration or more and \(p) coefficients")
        var (w, b) = start
        // A feature that is zero on every row cannot change the loss: its optimum is 0 whatever the
        // start (a warm start from other rows may hold a weight there).
        for j in 0..<p where empty[j] { w[j] = 0 }
        var steps = 0, criterion = violation(w, b, c: c)
        var innerFraction = 0.1
        while steps < maxIterations && criterion >= tolerance {
            steps += 1
            // The quadratic model at (w, b): residuals and weights of the log-loss.
            let z = linear(w, b)
            let probability = z.map { 1 / (1 + exp(-$0)) }
            let residual = zip(probability, targets).map { $0 - $1 }
            let weight = probability.map { max($0 * (1 - $0), 1e-12) }
            let hessian = DenseVectors.weightedSquares(columns, weight)
            // The step need not be exact: its sweeps stop once the model's optimality conditions hold to a
            // fraction of the outer violation (newGLMNET's adaptive inner tolerance), a fraction that
            // shrinks whenever one sweep suffices, so that late steps are solved as tightly as the outer
            // tolerance needs.
            var newton = LogisticNewtonStep(columns: columns, residual: residual, weight: weight, hessian: hessian, w: w, c: c)
            if newton.solve(tolerance: innerFraction * criterion, sweepLimit: 200) { innerFraction /= 4 }
            let (d, db) = (newton.d, newton.db)
            // Backtracking until the true objective does not increase.
            let direction = linear(d, db)
            var step = 1.0, accepted = false
            while step > 1e-10 {
                if objectiveChange(z: z, direction: direction, w: w, d: d, step: step, c: c) <= 0 {
                    (w, b) = (zip(w, d).map { $0 + step * $1 }, b + step * db)
                    accepted = true
                    break
                }
                step /= 2
            }
            if !accepted { break }
            criterion = violation(w, b, c: c)
        }
        return (w, b, Convergence(iterations: steps, limit: maxIterations, tolerance: tolerance, criterion: criterion,
                                  converged: criterion < tolerance))
    }
}

/// Cross-validated choice of C, as scikit-learn's LogisticRegressionCV(Cs=10, cv=5, l1_ratios=[1],
/// scoring="neg_log_loss") makes it: ten values of C log-spaced over 1e-4...1e4, stratified folds
/// without shuffling (StratifiedKFold's assignment), the C with the best mean held-out log-loss (the
/// first among equals), then a refit on every row.
public struct LogisticL1CV: Sendable {
    public var folds: Int
    public var cs: [Double] = (0..<10).map { pow(10, -4 + 8 * Double($0) / 9) }

    public init(folds: Int = 5) {
        precondition(folds >= 2, "cross-validation needs at least 2 folds")
        self.folds = folds
    }

    /// The fit on every row at the chosen C, and how its solver ended (with the path's fits that did
    /// not reach their looser tolerance).
    public func fit(rows: [[Double]], labels: [Bool]) -> (fit: LogisticL1Fit, convergence: Convergence) {
        precondition(!cs.isEmpty && cs.allSatisfy { $0 > 0 && $0.isFinite }, "LogisticL1CV needs positive, finite values of C")
        let p = rows.first?.count ?? 0
        let assignment = Self.stratifiedFolds(labels: labels, folds: folds)
        // Each fold's path on its own core; the folds' losses only choose C, so they are solved to a
        // looser tolerance than the final fit.
        let foldLosses = DisjointSlots(count: folds * cs.count)
        let pathConverged = DisjointSlots(count: folds * cs.count, value: 1)
        DispatchQueue.concurrentPerform(iterations: folds) { fold in
            let train = rows.indices.filter { assignment[$0] != fold }, test = rows.indices.filter { assignment[$0] == fold }
            guard !test.isEmpty else { return }
            let problem = LogisticL1Problem(rows: train.map { rows[$0] }, labels: train.map { labels[$0] })
            var start = ([Double](repeating: 0, count: p), 0.0)
            for (index, c) in cs.enumerated() {
                let solution = problem.solve(c: c, start: start, tolerance: 1e-5, maxIterations: 100)
                start = (solution.w, solution.b)
                pathConverged.values[fold * cs.count + index] = solution.convergence.converged ? 1 : 0
                let fit = LogisticL1Fit(c: c, coefficients: start.0, intercept: start.1)
                foldLosses.values[fold * cs.count + index] = test.reduce(0.0) { total, i in
                    let probability = min(max(1 / (1 + exp(-fit.decision(rows[i]))), 1e-15), 1 - 1e-15)
                    return total - (labels[i] ? log(probability) : log(1 - probability))
                } / Double(test.count)
            }
        }
        // Summed in fold order, so the choice does not depend on which fold finished first.
        let losses = cs.indices.map { index in (0..<folds).reduce(0.0) { $0 + foldLosses.values[$1 * cs.count + index] / Double(folds) } }
        let best = losses.indices.min { (losses[$0], $0) < (losses[$1], $1) } ?? 0
        let problem = LogisticL1Problem(rows: rows, labels: labels)
        let solution = problem.solve(c: cs[best], start: ([Double](repeating: 0, count: p), 0))
        var convergence = solution.convergence
        convergence.pathFitsNotConverged = pathConverged.values.filter { $0 == 0 }.count
        return (LogisticL1Fit(c: cs[best], coefficients: solution.w, intercept: solution.b), convergence)
    }

    /// StratifiedKFold(n_splits, shuffle=False): classes numbered in order of first appearance, each
    /// class's rows dealt in their order into blocks, fold k taking as many of each class as every k-th
    /// row of the sorted class numbers holds.
    static func stratifiedFolds(labels: [Bool], folds: Int) -> [Int] {
        let first = labels.first ?? false
        let encoded = labels.map { $0 == first ? 0 : 1 }
        var allocation = [[Int]](repeating: [0, 0], count: folds)
        for (position, value) in encoded.sorted().enumerated() { allocation[position % folds][value] += 1 }
        var assignment = [Int](repeating: 0, count: labels.count)
        for value in 0...1 {
            let members = encoded.indices.filter { encoded[$0] == value }
            var cursor = 0
            for fold in 0..<folds {
                for _ in 0..<allocation[fold][value] {
                    assignment[members[cursor]] = fold
                    cursor += 1
                }
            }
        }
        return assignment
    }
}

/// Result slots written concurrently, each by exactly one task (fold k writes only its own slots).
final class DisjointSlots: @unchecked Sendable {
    let values: UnsafeMutableBufferPointer<Double>

    init(count: Int, value: Double = 0) {
        values = .allocate(capacity: count)
        values.initialize(repeating: value)
    }

    deinit { values.deallocate() }
}
