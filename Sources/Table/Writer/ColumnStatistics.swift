/// Running min, max and null count of one column chunk, encoded as Parquet statistics: min and max
/// PLAIN-encoded, NaN left out of double ranges, zero widened to -0.0 / +0.0 as the spec asks.
struct ColumnStatistics {
    private let type: ColumnType
    private let tracksRange: Bool
    private(set) var nullCount = 0
    private var minInt: Int64 = .max, maxInt: Int64 = .min
    private var minDouble: Double = .infinity, maxDouble: Double = -.infinity
    private var minBytes: [UInt8]?, maxBytes: [UInt8]?
    private var sawValue = false

    init(type: ColumnType, tracksRange: Bool) {
        self.type = type
        self.tracksRange = tracksRange
    }

    mutating func addNulls(_ count: Int) { nullCount += count }

    mutating func add(int value: Int64) {
        guard tracksRange else { return }
        sawValue = true
        if value < minInt { minInt = value }
        if value > maxInt { maxInt = value }
    }

    mutating func add(double value: Double) {
        guard tracksRange, !value.isNaN else { return }
        sawValue = true
        if value < minDouble { minDouble = value }
        if value > maxDouble { maxDouble = value }
    }

    mutating func add(bytes value: UnsafeRawBufferPointer) {
        guard tracksRange else { return }
        sawValue = true
        if minBytes.map({ lexicographicallyPrecedes(value, $0) }) ?? true { minBytes = Array(value) }
        if maxBytes.map({ lexicographicallyPrecedes($0, value) }) ?? true { maxBytes = Array(value) }
    }

    private func lexicographicallyPrecedes(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        a.lexicographicallyPrecedes(b)
    }

    var encoded: StatisticsMetadata {
        var result = StatisticsMetadata(nullCount: Int64(nullCount))
        guard tracksRange, sawValue else { return result }
        switch type {
        case .bool:
            result.minValue = [UInt8(minInt)]
            result.maxValue = [UInt8(maxInt)]
        case .int32:
            result.minValue = littleEndianBytes(Int32(minInt))
            result.maxValue = littleEndianBytes(Int32(maxInt))
        case .int64, .timestamp:
            result.minValue = littleEndianBytes(minInt)
            result.maxValue = littleEndianBytes(maxInt)
        case .double:
            result.minValue = littleEndianBytes((minDouble == 0 ? -0.0 : minDouble).bitPattern)
            result.maxValue = littleEndianBytes((maxDouble == 0 ? 0.0 : maxDouble).bitPattern)
        case .string, .binary:
            result.minValue = minBytes
            result.maxValue = maxBytes
        }
        return result
    }
}

func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}
