/// One proximal Newton step of `LogisticL1Problem.solve`: the direction (d, db) that minimises
/// c * (g.(d, db) + (d, db)^T H (d, db) / 2) + |w + d|_1, with g and H the log-loss's gradient and
/// Hessian at (w, b), by coordinate descent (the intercept first in every sweep, unpenalised).
///
/// A sweep over every feature walks the rows: each coordinate's gradient is its column against
/// u = residual + W (X d + db), kept up to date. The sweeps in between, over the coordinates that are
/// not zero, walk instead the Hessian's entries among the coordinates touched in this step (glmnet's
/// covariance updates), computed once as each joins: the same updates, each costing the number of
/// coordinates touched rather than the number of rows. On nearly separable rows those sweeps run by
/// the hundred, and the rows are thousands.
struct LogisticNewtonStep {
    private let columns: [[Double]]
    private let weight: [Double]
    private let hessian: [Double]
    private let totalWeight: Double
    private let w: [Double]
    private let c: Double
    private(set) var d: [Double]
    private(set) var db = 0.0
    /// residual + W (X d + db): valid after a full sweep, rebuilt before one.
    private var u: [Double]
    /// d and db when u was last brought up to date.
    private var rowTermsAt: (d: [Double], db: Double) = ([], 0)
    /// The coordinates touched in this step (non-zero in w or d), in the order they joined; `slot[j]`
    /// is j's place among them or -1.
    private var members: [Int] = []
    private var slot: [Int]
    /// Hessian entries among members (`gram[a][b]`), and between each member and the intercept.
    private var gram: [[Double]] = []
    private var interceptGram: [Double] = []
    /// The model's gradient at each member and at the intercept: valid during the member sweeps.
    private var gradient: [Double] = []
    private var interceptGradient = 0.0

    /// - Parameters: the log-loss's `residual` (probability less target) and `weight` (p (1 - p)) per
    ///   row at (w, b); `hessian`, the Hessian's diagonal.
    init(columns: [[Double]], residual: [Double], weight: [Double], hessian: [Double], w: [Double], c: Double) {
        (self.columns, self.weight, self.hessian, self.w, self.c) = (columns, weight, hessian, w, c)
        totalWeight = weight.reduce(0, +)
        d = [Double](repeating: 0, count: w.count)
        u = residual
        slot = [Int](repeating: -1, count: w.count)
        for j in w.indices where w[j] != 0 && hessian[j] > 0 { join(j) }
    }

    /// Sweeps over the non-zero coordinates until they settle, then one over all to confirm, until the
    /// model's optimality conditions hold to `tolerance` or `sweepLimit` sweeps; whether the first
    /// sweep sufficed.
    mutating func solve(tolerance: Double, sweepLimit: Int) -> Bool {
        var membersOnly = false
        for sweep in 0..<sweepLimit {
            let worst = membersOnly ? memberSweep() : fullSweep()
            if worst <= tolerance {
                if !membersOnly { return sweep == 0 }
                rebuildRowTerms()
                membersOnly = false
            } else if !membersOnly {
                gradientsFromRows()
                membersOnly = true
            }
        }
        return false
    }

    /// The optimality violation of coordinate j at `value` with model gradient `g`: c g against the L1
    /// subgradient.
    private func violation(value: Double, g: Double) -> Double {
        value == 0 ? abs(c * g) - 1 : abs(c * g + (value > 0 ? 1 : -1))
    }

    /// Coordinate j's minimiser of the model with the others fixed, from its gradient `g` at `old`.
    private func update(j: Int, old: Double, g: Double) -> Double {
        let u = old - g / hessian[j], shrink = 1 / (c * hessian[j])
        return u > shrink ? u - shrink : u < -shrink ? u + shrink : 0
    }

    /// One sweep over the intercept and every feature, by rows; the largest violation met.
    private mutating func fullSweep() -> Double {
        let gb = u.reduce(0, +)
        var worst = abs(c * gb)
        let stepB = -gb / totalWeight
        db += stepB
        addInterceptToRows(stepB)
        for j in columns.indices where hessian[j] > 0 {
            let g = DenseVectors.dot(columns[j], u)
            let old = w[j] + d[j]
            worst = max(worst, violation(value: old, g: g))
            let change = update(j: j, old: old, g: g) - old
            guard change != 0 else { continue }
            d[j] += change
            addToRows(change, column: j)
            if slot[j] < 0 { join(j) }
        }
        return worst
    }

    /// One sweep over the intercept and the non-zero members, by the Hessian's entries; the largest
    /// violation met.
    private mutating func memberSweep() -> Double {
        var worst = abs(c * interceptGradient)
        let stepB = -interceptGradient / totalWeight
        db += stepB
        for a in members.indices { gradient[a] += interceptGram[a] * stepB }
        interceptGradient += totalWeight * stepB
        for j in columns.indices where slot[j] >= 0 && w[j] + d[j] != 0 {
            let a = slot[j], old = w[j] + d[j], g = gradient[a]
            worst = max(worst, violation(value: old, g: g))
            let change = update(j: j, old: old, g: g) - old
            guard change != 0 else { continue }
            d[j] += change
            let row = gram[a]
            for b in members.indices { gradient[b] += row[b] * change }
            interceptGradient += interceptGram[a] * change
        }
        return worst
    }

    /// Coordinate j joins the members: its Hessian entries with them and with the intercept.
    private mutating func join(_ j: Int) {
        let weighted = zip(columns[j], weight).map { $0 * $1 }
        let row = members.map { DenseVectors.dot(weighted, columns[$0]) }
        for (a, entry) in row.enumerated() { gram[a].append(entry) }
        gram.append(row + [hessian[j]])
        interceptGram.append(weighted.reduce(0, +))
        gradient.append(0)
        slot[j] = members.count
        members.append(j)
    }

    /// The members' and the intercept's gradients from u, before member sweeps; d and db as u has them.
    private mutating func gradientsFromRows() {
        for (a, j) in members.enumerated() {
            gradient[a] = DenseVectors.dot(columns[j], u)
        }
        interceptGradient = u.reduce(0, +)
        rowTermsAt = (d, db)
    }

    /// u brought up to date after member sweeps: W X times what they changed in d and db.
    private mutating func rebuildRowTerms() {
        addInterceptToRows(db - rowTermsAt.db)
        for j in members where d[j] != rowTermsAt.d[j] {
            addToRows(d[j] - rowTermsAt.d[j], column: j)
        }
    }

    /// u += change W x_j.
    private mutating func addToRows(_ change: Double, column j: Int) {
        DenseVectors.addScaled(&u, change, columns[j], weight)
    }

    /// u += change W (the intercept's column is ones).
    private mutating func addInterceptToRows(_ change: Double) {
        for i in u.indices { u[i] += change * weight[i] }
    }
}
