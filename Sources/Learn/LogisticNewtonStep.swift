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
    private(set) var members: [Int] = []
    private var slot: [Int]
    /// Hessian entries among members (`gram[a][b]`), and between each member and the intercept.
    private(set) var gram: [[Double]] = []
    private(set) var interceptGram: [Double] = []
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
        joinTogether(w.indices.filter { w[$0] != 0 && hessian[$0] > 0 })
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

    /// Rows per block of `joinTogether`: a block of every member's column stays in the core's cache.
    private static let blockRows = 512

    /// The coordinates non-zero as the step starts join the members together: every pair's Hessian
    /// entry, most of the solver's time. One pair at a time, each entry's sum waited on its last
    /// addition at every row; here four pairs' sums are in flight, over blocks of rows copied into
    /// cache. Each entry is summed in the order `join` sums it (`DenseVectors.dot`'s four lanes, each
    /// in row order, then the rows past the last four; the intercept's entries in row order), so the
    /// entries are the same to the bit.
    private mutating func joinTogether(_ coordinates: [Int]) {
        let k = coordinates.count, n = weight.count, wholeLanes = n / 4 * 4
        guard k > 1 else { coordinates.forEach { join($0) }; return }
        // Pair (a, b), b < a, at a (a - 1) / 2 + b: the later coordinate's weighted column against the
        // earlier's column.
        var sums = [SIMD4<Double>](repeating: .zero, count: k * (k - 1) / 2)
        var interceptSums = [Double](repeating: 0, count: k)
        var weighted = [Double](repeating: 0, count: Self.blockRows * k)
        var plain = [Double](repeating: 0, count: Self.blockRows * k)
        for blockStart in stride(from: 0, to: wholeLanes, by: Self.blockRows) {
            let count = min(Self.blockRows, wholeLanes - blockStart)
            plain.withUnsafeMutableBufferPointer { plain in
                for (a, j) in coordinates.enumerated() {
                    columns[j].withUnsafeBufferPointer { column in
                        (plain.baseAddress! + a * Self.blockRows).update(from: column.baseAddress! + blockStart, count: count)
                    }
                }
            }
            Self.weigh(plain: plain, weight: weight, from: blockStart, rows: count, into: &weighted, sums: &interceptSums)
            weighted.withUnsafeBufferPointer { weighted in
                plain.withUnsafeBufferPointer { plain in
                    sums.withUnsafeMutableBufferPointer { sums in
                        Self.addPairProducts(weighted: weighted.baseAddress!, plain: plain.baseAddress!, members: k, rows: count,
                                             into: sums.baseAddress!)
                    }
                }
            }
        }
        // The rows past the last four, as `DenseVectors.dot` adds them after its lanes.
        var entries = sums.map { $0.sum() }
        for (a, j) in coordinates.enumerated() {
            for i in wholeLanes..<n {
                let product = columns[j][i] * weight[i]
                interceptSums[a] += product
                for b in 0..<a { entries[a * (a - 1) / 2 + b] += product * columns[coordinates[b]][i] }
            }
        }
        for (a, j) in coordinates.enumerated() {
            let earlier = (0..<a).map { entries[a * (a - 1) / 2 + $0] }
            for (b, entry) in earlier.enumerated() { gram[b].append(entry) }
            gram.append(earlier + [hessian[j]])
            interceptGram.append(interceptSums[a])
            gradient.append(0)
            slot[j] = members.count
            members.append(j)
        }
    }

    /// Weights one block's plain rows into `weighted` and adds them to each coordinate's sum (its
    /// intercept entry), four coordinates at a time so that four sums are in flight.
    private static func weigh(plain: [Double], weight: [Double], from blockStart: Int, rows: Int, into weighted: inout [Double],
                              sums: inout [Double]) {
        plain.withUnsafeBufferPointer { plain in
            weight.withUnsafeBufferPointer { weight in
                weighted.withUnsafeMutableBufferPointer { weighted in
                    let (plain, weight, weighted) = (plain.baseAddress!, weight.baseAddress! + blockStart, weighted.baseAddress!)
                    var a = 0
                    while a + 4 <= sums.count {
                        let (p0, w0) = (plain + a * blockRows, weighted + a * blockRows)
                        var (s0, s1, s2, s3) = (sums[a], sums[a + 1], sums[a + 2], sums[a + 3])
                        for i in 0..<rows {
                            let scale = weight[i]
                            let (x0, x1) = (p0[i] * scale, p0[i + blockRows] * scale)
                            let (x2, x3) = (p0[i + 2 * blockRows] * scale, p0[i + 3 * blockRows] * scale)
                            (w0[i], w0[i + blockRows], w0[i + 2 * blockRows], w0[i + 3 * blockRows]) = (x0, x1, x2, x3)
                            s0 += x0
                            s1 += x1
                            s2 += x2
                            s3 += x3
                        }
                        (sums[a], sums[a + 1], sums[a + 2], sums[a + 3]) = (s0, s1, s2, s3)
                        a += 4
                    }
                    while a < sums.count {
                        var sum = sums[a]
                        for i in 0..<rows {
                            let x = plain[a * blockRows + i] * weight[i]
                            weighted[a * blockRows + i] = x
                            sum += x
                        }
                        sums[a] = sum
                        a += 1
                    }
                }
            }
        }
    }

    /// Adds one block's products to the pairs' sums: weighted row a against plain row b for every
    /// b < a (rows `blockRows` apart, `rows` a multiple of four), four values of b at a time.
    private static func addPairProducts(weighted: UnsafePointer<Double>, plain: UnsafePointer<Double>, members k: Int, rows: Int,
                                        into sums: UnsafeMutablePointer<SIMD4<Double>>) {
        for a in 1..<k {
            let row = weighted + a * blockRows, pairs = sums + a * (a - 1) / 2
            var b = 0
            while b + 4 <= a {
                let (o0, o1) = (plain + b * blockRows, plain + (b + 1) * blockRows)
                let (o2, o3) = (plain + (b + 2) * blockRows, plain + (b + 3) * blockRows)
                var (s0, s1, s2, s3) = (pairs[b], pairs[b + 1], pairs[b + 2], pairs[b + 3])
                for i in stride(from: 0, to: rows, by: 4) {
                    let x = DenseVectors.lanes(row, i)
                    s0 += x * DenseVectors.lanes(o0, i)
                    s1 += x * DenseVectors.lanes(o1, i)
                    s2 += x * DenseVectors.lanes(o2, i)
                    s3 += x * DenseVectors.lanes(o3, i)
                }
                (pairs[b], pairs[b + 1], pairs[b + 2], pairs[b + 3]) = (s0, s1, s2, s3)
                b += 4
            }
            while b < a {
                let other = plain + b * blockRows
                var sum = pairs[b]
                for i in stride(from: 0, to: rows, by: 4) { sum += DenseVectors.lanes(row, i) * DenseVectors.lanes(other, i) }
                pairs[b] = sum
                b += 1
            }
        }
    }

    /// The members' and the intercept's gradients from u, before member sweeps; d and db as u has them.
    private mutating func gradientsFromRows() {
        gradient = DenseVectors.dots(members.map { columns[$0] }, u)
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
