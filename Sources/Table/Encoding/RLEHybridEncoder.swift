/// Encodes small unsigned integers (definition levels, dictionary indices) with Parquet's RLE/bit-packed
/// hybrid encoding (Encodings.md): a run of at least 8 equal values becomes an RLE run; everything else
/// goes into bit-packed runs of whole groups of 8. Only the last group of the stream may be padded.
struct RLEHybridEncoder {
    let bitWidth: Int
    private(set) var bytes: [UInt8] = []

    /// A bit-packed run holds at most 63 groups, so its header always fits one byte (as parquet-mr does).
    private static let maxGroupsPerRun = 63

    init(bitWidth: Int) {
        precondition(bitWidth >= 0 && bitWidth <= 32)
        self.bitWidth = bitWidth
    }

    /// Encodes `values` (each below 2^bitWidth) as one stream.
    mutating func encode(_ values: UnsafeBufferPointer<UInt32>) {
        let count = values.count
        var index = 0
        while index < count {
            let run = runLength(values, from: index)
            if run >= 8 {
                writeRLERun(value: values[index], length: run)
                index += run
                continue
            }
            // Bit-pack whole groups of 8 until a long run starts at a group boundary.
            var groups = 0
            let start = index
            repeat {
                index = min(index + 8, count)
                groups += 1
            } while index < count && groups < Self.maxGroupsPerRun && runLength(values, from: index) < 8
            writeBitPackedRun(values, from: start, to: index, groups: groups)
        }
    }

    private func runLength(_ values: UnsafeBufferPointer<UInt32>, from start: Int) -> Int {
        let first = values[start]
        var end = start + 1
        while end < values.count && values[end] == first { end += 1 }
        return end - start
    }

    private mutating func writeRLERun(value: UInt32, length: Int) {
        writeVarint(UInt64(length) << 1)
        var remaining = value
        for _ in 0..<((bitWidth + 7) / 8) {
            bytes.append(UInt8(truncatingIfNeeded: remaining))
            remaining >>= 8
        }
    }

    private mutating func writeBitPackedRun(_ values: UnsafeBufferPointer<UInt32>, from start: Int, to end: Int, groups: Int) {
        writeVarint(UInt64(groups) << 1 | 1)
        var accumulator: UInt64 = 0
        var bits = 0
        for slot in 0..<(groups * 8) {
            let value = start + slot < end ? UInt64(values[start + slot]) : 0
            accumulator |= value << UInt64(bits)
            bits += bitWidth
            while bits >= 8 {
                bytes.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator >>= 8
                bits -= 8
            }
        }
        // groups * 8 * bitWidth is a whole number of bytes, so nothing is left over.
    }

    private mutating func writeVarint(_ value: UInt64) {
        ULEB128.append(value, to: &bytes)
    }
}
