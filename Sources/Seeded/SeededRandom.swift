import Foundation

/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64: every stage's source of randomness,
/// so one seed fixes every draw (the simulator draws in the order of its events, inject in the order
/// of its schedule).
public struct SeededRandom: RandomNumberGenerator {
    private var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var seeder = SplitMix64(state: seed)
        s0 = seeder.next(); s1 = seeder.next(); s2 = seeder.next(); s3 = seeder.next()
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A uniform integer in `range` (both ends included).
    @inline(__always)
    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }

    /// A uniform double in [0, 1).
    @inline(__always)
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    public mutating func chance(_ probability: Double) -> Bool { unit() < probability }

    /// A uniform duration in nanoseconds between two bounds given in seconds.
    public mutating func nanoseconds(_ bounds: ClosedRange<Double>) -> Int64 {
        Int64((bounds.lowerBound + unit() * (bounds.upperBound - bounds.lowerBound)) * 1e9)
    }

    /// A normal draw (Box-Muller).
    public mutating func normal(mean: Double, standardDeviation: Double) -> Double {
        let u = max(unit(), 0x1.0p-53), v = unit()
        return mean + standardDeviation * (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}

/// SplitMix64 (Steele, Lea and Flood): what seeds xoshiro's state from one 64-bit seed, and a small
/// generator of its own for test data.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64

    public init(state: UInt64) {
        self.state = state
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
