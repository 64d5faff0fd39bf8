/// The Ide-Kashima baseline (KDD 2004), computed natively: per window, the principal eigenvector of
/// the service graph's symmetrised traffic matrix over a fixed service order ("activity vector"); the
/// typical pattern is the principal left singular vector of the previous `history` activity vectors;
/// the score is 1 - cos(activity, pattern). Symmetrising keeps eigenvalues real and the eigenvector
/// non-negative (the original's complex eigendecomposition of a directed matrix had neither).
struct IdeKashima {
    let order: [String]
    let history: Int

    /// Scores for windows given in time order; NaN for the first window.
    func scores(_ graphs: [WindowGraph]) -> [Double] {
        let n = order.count
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        var activities: [[Double]?] = []
        var scores: [Double] = []
        for graph in graphs {
            var matrix = Array(repeating: 0.0, count: n * n)
            for (u, v, w) in graph.edges {
                guard let i = position[graph.names[u]], let j = position[graph.names[v]] else { continue }
                matrix[i * n + j] += w
                matrix[j * n + i] += w
            }
            let activity = LinearAlgebra.principalEigenvector(matrix, n: n)
            let past = activities.suffix(history).compactMap { $0 }
            if let activity, !past.isEmpty {
                // The principal left singular vector of [u_1 ... u_k] is the principal eigenvector of their Gram sum.
                var gram = Array(repeating: 0.0, count: n * n)
                for vector in past { for i in 0..<n { for j in 0..<n { gram[i * n + j] += vector[i] * vector[j] } } }
                if let pattern = LinearAlgebra.principalEigenvector(gram, n: n) {
                    scores.append(1 - abs(zip(activity, pattern).reduce(0) { $0 + $1.0 * $1.1 }))
                } else {
                    scores.append(.nan)
                }
            } else {
                scores.append(.nan)
            }
            activities.append(activity)
        }
        return scores
    }
}
