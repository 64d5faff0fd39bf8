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

    /// Each column's dot product with `vector`, as `dot` gives it to the bit: four columns at a time, so
    /// that four sums are in flight where one would wait on its last addition at every row.
    static func dots(_ columns: [[Double]], _ vector: [Double]) -> [Double] {
        vector.withUnsafeBufferPointer { values in
            fourAtATime(columns, rows: vector.count, single: { dot($0, vector) }) { column, offset in
                column * lanes(values, offset)
            } tail: { value, row in value * values[row] }
        }
    }

    /// Each column's sum of its squares times `weight`, as `dot(column, column, weight)` gives it to the
    /// bit, four columns at a time.
    static func weightedSquares(_ columns: [[Double]], _ weight: [Double]) -> [Double] {
        weight.withUnsafeBufferPointer { weights in
            fourAtATime(columns, rows: weight.count, single: { dot($0, $0, weight) }) { column, offset in
                column * column * lanes(weights, offset)
            } tail: { value, row in value * value * weights[row] }
        }
    }

    /// Sums `term` of four lanes, then `tail` of the rows past the last four, for every column of
    /// `n` rows, four columns together; `single` for the columns left over.
    @inline(__always)
    private static func fourAtATime(_ columns: [[Double]], rows n: Int, single: ([Double]) -> Double,
                                    term: (SIMD4<Double>, Int) -> SIMD4<Double>, tail: (Double, Int) -> Double) -> [Double] {
        precondition(columns.allSatisfy { $0.count == n }, "dot products of vectors of different lengths")
        var result = [Double](repeating: 0, count: columns.count)
        let blocks = n / 4
        guard n > 0 else { return result }
        var j = 0
        while j + 4 <= columns.count {
            columns[j].withUnsafeBufferPointer { c0 in columns[j + 1].withUnsafeBufferPointer { c1 in
                columns[j + 2].withUnsafeBufferPointer { c2 in columns[j + 3].withUnsafeBufferPointer { c3 in
                    var (s0, s1, s2, s3) = (SIMD4<Double>(), SIMD4<Double>(), SIMD4<Double>(), SIMD4<Double>())
                    for block in 0..<blocks {
                        let offset = block * 4
                        s0 += term(lanes(c0, offset), offset)
                        s1 += term(lanes(c1, offset), offset)
                        s2 += term(lanes(c2, offset), offset)
                        s3 += term(lanes(c3, offset), offset)
                    }
                    var totals = [s0.sum(), s1.sum(), s2.sum(), s3.sum()]
                    for i in blocks * 4..<n {
                        totals[0] += tail(c0[i], i)
                        totals[1] += tail(c1[i], i)
                        totals[2] += tail(c2[i], i)
                        totals[3] += tail(c3[i], i)
                    }
                    result.replaceSubrange(j..<j + 4, with: totals)
                } }
            } }
            j += 4
        }
        for k in j..<columns.count { result[k] = single(columns[k]) }
        return result
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
        lanes(values.baseAddress!, i)
    }

    /// Four values from position i on.
    @inline(__always)
    static func lanes(_ values: UnsafePointer<Double>, _ i: Int) -> SIMD4<Double> {
        UnsafeRawPointer(values + i).loadUnaligned(as: SIMD4<Double>.self)
    }
}
