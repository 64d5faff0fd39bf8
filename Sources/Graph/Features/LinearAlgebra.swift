/// Dense linear algebra for the small matrices of a window's graph (tens of nodes).
enum LinearAlgebra {
    /// LU factorisation with partial pivoting of an n x n row-major matrix; nil if singular.
    struct LU {
        let n: Int
        var a: [Double]
        var pivot: [Int]

        init?(_ matrix: [Double], n: Int) {
            self.n = n
            a = matrix
            pivot = Array(0..<n)
            for column in 0..<n {
                var best = column
                for row in column..<n where abs(a[row * n + column]) > abs(a[best * n + column]) { best = row }
                guard abs(a[best * n + column]) > 1e-300 else { return nil }
                if best != column {
                    for k in 0..<n { a.swapAt(best * n + k, column * n + k) }
                    pivot.swapAt(best, column)
                }
                let diagonal = a[column * n + column]
                for row in (column + 1)..<n {
                    let factor = a[row * n + column] / diagonal
                    a[row * n + column] = factor
                    guard factor != 0 else { continue }
                    for k in (column + 1)..<n { a[row * n + k] -= factor * a[column * n + k] }
                }
            }
        }

        func solve(_ b: [Double]) -> [Double] {
            var x = pivot.map { b[$0] }
            for row in 0..<n { for k in 0..<row { x[row] -= a[row * n + k] * x[k] } }
            for row in stride(from: n - 1, through: 0, by: -1) {
                for k in (row + 1)..<n { x[row] -= a[row * n + k] * x[k] }
                x[row] /= a[row * n + row]
            }
            return x
        }
    }

    /// The principal eigenvector of a symmetric matrix with non-negative entries, unit length,
    /// non-negative: power iteration on M / max|M| + I, which has the same eigenvectors and only
    /// non-negative eigenvalues, so it cannot oscillate between +lambda and -lambda (bipartite graphs).
    static func principalEigenvector(_ matrix: [Double], n: Int, iterations: Int = 1000) -> [Double]? {
        guard n > 0, let largest = matrix.max(), largest > 0 else { return nil }
        let scaled = matrix.map { $0 / largest }
        var vector = Array(repeating: 1 / Double(n).squareRoot(), count: n)
        for _ in 0..<iterations {
            var next = vector
            for row in 0..<n {
                var sum = 0.0
                for column in 0..<n { sum += scaled[row * n + column] * vector[column] }
                next[row] += sum
            }
            let norm = next.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { return nil }
            next = next.map { $0 / norm }
            let change = zip(next, vector).reduce(0) { $0 + abs($1.0 - $1.1) }
            vector = next
            if change < 1e-13 { break }
        }
        return vector
    }
}
