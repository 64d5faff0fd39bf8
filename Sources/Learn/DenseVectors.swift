/// Dot products and updates of equal-length vectors, four lanes at a time: Swift keeps a scalar
/// loop's additions in order, so a sum over thousands of rows would otherwise run one term a cycle.
enum DenseVectors {
    /// The sum of a[i] * b[i].
    static func dot(_ a: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>) -> Double {
        precondition(a.count == b.count, "dot product of vectors of different lengths")
        let count = a.count, blocks = count / 4
        var sum = SIMD4<Double>()
        for block in 0..<blocks {
            let i = block * 4
            sum += lanes(a, i) * lanes(b, i)
        }
        var total = sum.sum()
        for i in blocks * 4..<count { total += a[i] * b[i] }
        return total
    }

    /// The sum of a[i] * b[i] * c[i].
    static func dot(_ a: UnsafeBufferPointer<Double>, _ b: UnsafeBufferPointer<Double>, _ c: UnsafeBufferPointer<Double>) -> Double {
        precondition(a.count == b.count && b.count == c.count, "dot product of vectors of different lengths")
        let count = a.count, blocks = count / 4
        var sum = SIMD4<Double>()
        for block in 0..<blocks {
            let i = block * 4
            sum += lanes(a, i) * lanes(b, i) * lanes(c, i)
        }
        var total = sum.sum()
        for i in blocks * 4..<count { total += a[i] * b[i] * c[i] }
        return total
    }

    /// Four values from position i on.
    @inline(__always)
    private static func lanes(_ values: UnsafeBufferPointer<Double>, _ i: Int) -> SIMD4<Double> {
        UnsafeRawPointer(values.baseAddress! + i).loadUnaligned(as: SIMD4<Double>.self)
    }

    /// y[i] += factor * x[i] * scale[i].
    static func addScaled(_ y: UnsafeMutableBufferPointer<Double>, _ factor: Double, _ x: UnsafeBufferPointer<Double>, _ scale: UnsafeBufferPointer<Double>) {
        precondition(y.count == x.count && x.count == scale.count, "update of vectors of different lengths")
        for i in 0..<y.count { y[i] += factor * x[i] * scale[i] }
    }
}
