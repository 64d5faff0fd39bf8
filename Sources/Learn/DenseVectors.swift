/// Dot products and updates of equal-length vectors, four lanes at a time: Swift keeps a scalar
/// loop's additions in order, so a sum over thousands of rows would otherwise run one term a cycle.
enum DenseVectors {
    /// The sum of a[i] * b[i].
    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        precondition(a.count == b.count, "dot product of vectors of different lengths")
        return a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                var sum = SIMD4<Double>()
                let blocks = a.count / 4
                for block in 0..<blocks { sum += lanes(a, block * 4) * lanes(b, block * 4) }
                var total = sum.sum()
                for i in blocks * 4..<a.count { total += a[i] * b[i] }
                return total
            }
        }
    }

    /// The sum of a[i] * b[i] * c[i].
    static func dot(_ a: [Double], _ b: [Double], _ c: [Double]) -> Double {
        precondition(a.count == b.count && b.count == c.count, "dot product of vectors of different lengths")
        return a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeBufferPointer { c in
                    var sum = SIMD4<Double>()
                    let blocks = a.count / 4
                    for block in 0..<blocks { sum += lanes(a, block * 4) * lanes(b, block * 4) * lanes(c, block * 4) }
                    var total = sum.sum()
                    for i in blocks * 4..<a.count { total += a[i] * b[i] * c[i] }
                    return total
                }
            }
        }
    }

    /// y[i] += factor * x[i] * scale[i].
    static func addScaled(_ y: inout [Double], _ factor: Double, _ x: [Double], _ scale: [Double]) {
        precondition(y.count == x.count && x.count == scale.count, "update of vectors of different lengths")
        x.withUnsafeBufferPointer { x in
            scale.withUnsafeBufferPointer { scale in
                y.withUnsafeMutableBufferPointer { y in
                    for i in 0..<y.count { y[i] += factor * x[i] * scale[i] }
                }
            }
        }
    }

    /// Four values from position i on.
    @inline(__always)
    private static func lanes(_ values: UnsafeBufferPointer<Double>, _ i: Int) -> SIMD4<Double> {
        UnsafeRawPointer(values.baseAddress! + i).loadUnaligned(as: SIMD4<Double>.self)
    }
}
