/// How an iterative solver ended (model.json records it for every fitted model): how many iterations
/// it took of how many it was allowed, the stopping criterion's value against its tolerance, and
/// whether it reached the tolerance or stopped at the limit.
public struct Convergence: Codable, Sendable, Equatable {
    /// Iterations run: coordinate-descent sweeps (LASSO) or proximal Newton steps (logistic).
    public var iterations: Int
    /// The most iterations the solver was allowed.
    public var limit: Int
    /// The stopping criterion's tolerance: the largest coefficient change relative to the largest
    /// coefficient (LASSO), or the largest violation of the optimality conditions (logistic).
    public var tolerance: Double
    /// The criterion's value when the solver stopped.
    public var criterion: Double
    /// Whether the criterion reached the tolerance; false when the solver stopped at its limit or
    /// could no longer decrease its objective.
    public var converged: Bool
    /// Fits along the cross-validation path that stopped short of their tolerance (they only choose
    /// the penalty, and are allowed fewer iterations).
    public var pathFitsNotConverged: Int

    /// A solver's end as it reports it.
    public init(iterations: Int, limit: Int, tolerance: Double, criterion: Double, converged: Bool, pathFitsNotConverged: Int = 0) {
        (self.iterations, self.limit, self.tolerance, self.criterion) = (iterations, limit, tolerance, criterion)
        (self.converged, self.pathFitsNotConverged) = (converged, pathFitsNotConverged)
    }

    /// What to tell the user when the solver did not converge, naming the model; nil when it did.
    public func warning(model: String, solver: String) -> String? {
        guard !converged else { return nil }
        let reason = iterations >= limit ? "stopped at its limit of \(limit) iterations" : "stopped after \(iterations) iterations, unable to improve"
        return "the \(model)'s \(solver) \(reason) with its criterion at \(criterion), above the tolerance \(tolerance): its coefficients are approximate"
    }
}
