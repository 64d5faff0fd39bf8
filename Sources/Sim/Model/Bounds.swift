import Seeded
/// A range a model draws from uniformly, written `[low, high]` or as one number (`42` = `[42, 42]`).
public struct Bounds<Value: Comparable & Decodable & Sendable & Hashable>: Decodable, Sendable, Hashable {
    public var low: Value
    public var high: Value

    public init(_ low: Value, _ high: Value) {
        self.low = low
        self.high = high
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let single = try? container.decode(Value.self) {
            self.init(single, single)
            return
        }
        let pair = try container.decode([Value].self)
        guard pair.count == 2, pair[0] <= pair[1] else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "expected [low, high] with low <= high, or one number"))
        }
        self.init(pair[0], pair[1])
    }

    public var range: ClosedRange<Value> { low...high }
}

extension SeededRandom {
    mutating func draw(_ bounds: Bounds<Int>) -> Int { int(bounds.range) }
    /// A duration in nanoseconds from bounds in milliseconds.
    mutating func milliseconds(_ bounds: Bounds<Double>) -> Int64 { nanoseconds(bounds.low / 1000...bounds.high / 1000) }
    mutating func seconds(_ bounds: Bounds<Double>) -> Int64 { nanoseconds(bounds.range) }
}
