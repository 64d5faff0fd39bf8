import Contract
import Foundation

/// L1-penalised least squares as scikit-learn's Lasso and LassoCV fit it: minimise
/// (1 / 2n) ||y - X w - b||^2 + alpha ||w||_1 with an unpenalised intercept, by coordinate descent on
/// the centred data's covariance (Gram) matrix.
public struct LassoFit: Codable, Sendable {
    public var alpha: Double
    public var coefficients: [Double]
    public var intercept: Double

    public func predict(_ row: [Double]) -> Double {
        linearScore(row, coefficients: coefficients, intercept: intercept)
    }
}

/// intercept + the sum of coefficient times input: the score of every linear model here (LASSO's
/// prediction, the logistic model's log-odds, the fusion of window lengths).
func linearScore(_ inputs: [Double], coefficients: [Double], intercept: Double) -> Double {
    zip(inputs, coefficients).reduce(intercept) { $0 + $1.0 * $1.1 }
}

/// The centred sufficient statistics of a data set: what coordinate descent needs.
struct CenteredProblem {
    let n: Int
    let p: Int
    let means: [Double]
    let yMean: Double
    /// X^T X and X^T y of the centred data, divided by n.
    let gram: [Double]
    let xy: [Double]

    init(rows: [[Double]], y: [Double]) {
        let count = Double(max(rows.count, 1)), p = rows.first?.count ?? 0
        n = rows.count
        self.p = p
        var means = Array(repeating: 0.0, count: p)
        for row in rows { for j in 0..<p { means[j] += row[j] } }
        means = means.map { $0 / count }
        self.means = means
        let yMean = y.reduce(0, +) / count
        self.yMean = yMean
        var gram = Array(repeating: 0.0, count: p * p), xy = Array(repeating: 0.0, count: p)
        var centered = Array(repeating: 0.0, count: p)
        for (row, target) in zip(rows, y) {
            for j in 0..<p { centered[j] = row[j] - means[j] }
            let t = target - yMean
            for j in 0..<p {
                let value = centered[j]
                guard value != 0 else { continue }
                xy[j] += value * t
                for k in j..<p { gram[j * p + k] += value * centered[k] }
            }
        }
        for j in 0..<p { for k in j..<p { gram[k * p + j] = gram[j * p + k] } }
        self.gram = gram.map { $0 / count }
        self.xy = xy.map { $0 / count }
    }

    /// The largest alpha worth trying: above it every coefficient is zero (scikit-learn's alpha_max).
    var alphaMax: Double { xy.map(abs).max() ?? 0 }

    /// The most coordinate-descent sweeps, and the tolerance on the largest coefficient change
    /// relative to the largest coefficient (scikit-learn's tol and max_iter play these parts).
    static let sweepLimit = 100_000, tolerance = 1e-12

    /// Coordinate descent from `start` (warm start along a path) to a tight optimum.
    func solve(alpha: Double, start: [Double]) -> (w: [Double], convergence: Convergence) {
        precondition(alpha >= 0 && alpha.isFinite && start.count == p, "LASSO needs a finite alpha >= 0 and a start of \(p) coefficients")
        var w = start
        // gradient part: g = gram * w
        var gw = Array(repeating: 0.0, count: p)
        for j in 0..<p where w[j] != 0 { for k in 0..<p { gw[k] += gram[k * p + j] * w[j] } }
        var sweeps = 0, criterion = 0.0, converged = false
        while sweeps < Self.sweepLimit {
            sweeps += 1
            var largestChange = 0.0, largestWeight = 0.0
            for j in 0..<p {
                let diagonal = gram[j * p + j]
                guard diagonal > 0 else { continue }
                let rho = xy[j] - gw[j] + diagonal * w[j]
                let updated = rho > alpha ? (rho - alpha) / diagonal : rho < -alpha ? (rho + alpha) / diagonal : 0
                let delta = updated - w[j]
                if delta != 0 {
                    for k in 0..<p { gw[k] += gram[k * p + j] * delta }
                    w[j] = updated
                    largestChange = max(largestChange, abs(delta))
                }
                largestWeight = max(largestWeight, abs(w[j]))
            }
            criterion = largestChange == 0 ? 0 : largestChange / max(largestWeight, 1e-300)
            if largestChange <= Self.tolerance * max(largestWeight, 1e-300) || largestChange == 0 {
                converged = true
                break
            }
        }
        return (w, Convergence(iterations: sweeps, limit: Self.sweepLimit, tolerance: Self.tolerance, criterion: criterion, converged: converged))
    }

    func fit(alpha: Double, start: [Double]) -> (fit: LassoFit, convergence: Convergence) {
        let (w, convergence) = solve(alpha: alpha, start: start)
        return (LassoFit(alpha: alpha, coefficients: w, intercept: yMean - zip(means, w).reduce(0) { $0 + $1.0 * $1.1 }), convergence)
    }
}

/// LassoCV: a path of `alphaCount` alphas from alpha_max down to alpha_max * eps (geometric), K
/// unshuffled folds, the alpha with the least mean squared error over the folds, refitted on all rows.
public struct LassoCV {
    public var folds: Int
    public var alphaCount = 100
    public var epsilon = 1e-3

    public init(folds: Int = 5) {
        precondition(folds >= 2, "cross-validation needs at least 2 folds")
        self.folds = folds
    }

    public struct Result: Sendable {
        public var fit: LassoFit
        public var alphas: [Double]
        public var meanSquaredErrors: [Double]
        /// How the final fit's coordinate descent ended, with the path's fits that did not converge.
        public var convergence: Convergence
    }

    /// scikit-learn's KFold without shuffling: contiguous folds, the first n % k one row longer;
    /// fold k is rows boundaries[k]..<boundaries[k + 1].
    static func foldBoundaries(rows n: Int, folds: Int) -> [Int] {
        var boundaries = [0]
        for fold in 0..<folds { boundaries.append(boundaries.last! + n / folds + (fold < n % folds ? 1 : 0)) }
        return boundaries
    }

    public func fit(rows: [[Double]], y: [Double]) -> Result {
        precondition(alphaCount >= 1 && epsilon > 0 && epsilon < 1, "LassoCV needs at least one alpha and 0 < epsilon < 1")
        let all = CenteredProblem(rows: rows, y: y)
        let alphaMax = all.alphaMax
        let alphas: [Double] = alphaMax <= Double.ulpOfOne
            ? Array(repeating: Double.ulpOfOne, count: alphaCount)
            : (0..<alphaCount).map { alphaMax * pow(epsilon, Double($0) / Double(alphaCount - 1)) }
        var errors = Array(repeating: 0.0, count: alphaCount)
        var pathFitsNotConverged = 0
        let boundaries = Self.foldBoundaries(rows: rows.count, folds: folds)
        for fold in 0..<folds {
            let test = boundaries[fold]..<boundaries[fold + 1]
            let trainRows = rows.indices.filter { !test.contains($0) }
            let problem = CenteredProblem(rows: trainRows.map { rows[$0] }, y: trainRows.map { y[$0] })
            var w = Array(repeating: 0.0, count: problem.p)
            for (index, alpha) in alphas.enumerated() {
                let (fit, convergence) = problem.fit(alpha: alpha, start: w)
                if !convergence.converged { pathFitsNotConverged += 1 }
                w = fit.coefficients
                let squared = test.reduce(0.0) { sum, row in
                    let residual = y[row] - fit.predict(rows[row])
                    return sum + residual * residual
                }
                errors[index] += squared / Double(max(test.count, 1)) / Double(folds)
            }
        }
        let best = errors.indices.min { errors[$0] < errors[$1] } ?? 0
        // Refit on every row, warm-started along the path down to the chosen alpha.
        var w = Array(repeating: 0.0, count: all.p)
        for alpha in alphas[...best] {
            let (solution, convergence) = all.solve(alpha: alpha, start: w)
            if !convergence.converged { pathFitsNotConverged += 1 }
            w = solution
        }
        var (fit, convergence) = all.fit(alpha: alphas[best], start: w)
        convergence.pathFitsNotConverged = pathFitsNotConverged
        return Result(fit: fit, alphas: alphas, meanSquaredErrors: errors, convergence: convergence)
    }
}
