/// Decodes Parquet's RLE/bit-packed hybrid encoding (Encodings.md), both halves: RLE runs and
/// bit-packed runs. Reads only inside `buffer`; a run that claims more values or bytes than exist is
/// an error, never an over-read.
struct RLEHybridDecoder {
    private let buffer: UnsafeRawBufferPointer
    private let bitWidth: Int
    private var position = 0

    init(_ buffer: UnsafeRawBufferPointer, bitWidth: Int) {
        self.buffer = buffer
        self.bitWidth = bitWidth
    }

    /// Decodes exactly `output.count` values into `output`.
    /// - Throws: `DecodeFailure` with an offset relative to `buffer` when the data ends early or is malformed.
    mutating func decode(into output: UnsafeMutableBufferPointer<UInt32>) throws {
        var filled = 0
        let valueBytes = (bitWidth + 7) / 8
        let mask: UInt64 = bitWidth == 0 ? 0 : (UInt64(1) << UInt64(bitWidth)) - 1
        while filled < output.count {
            let headerOffset = position
            let header = try readVarint()
            if header & 1 == 0 {
                let length = Int(clamping: header >> 1)
                guard position + valueBytes <= buffer.count else {
                    throw DecodeFailure(offset: headerOffset, detail: "RLE run ends early")
                }
                var value: UInt64 = 0
                for byte in 0..<valueBytes { value |= UInt64(buffer[position + byte]) << UInt64(8 * byte) }
                position += valueBytes
                guard value <= mask || bitWidth == 0 && value == 0 else {
                    throw DecodeFailure(offset: headerOffset, detail: "RLE value \(value) does not fit \(bitWidth) bits")
                }
                let take = min(length, output.count - filled)
                (output.baseAddress! + filled).update(repeating: UInt32(value), count: take)
                filled += take
            } else {
                let groups = Int(clamping: header >> 1)
                let values = groups.multipliedReportingOverflow(by: 8)
                guard !values.overflow else { throw DecodeFailure(offset: headerOffset, detail: "bit-packed run too long") }
                let take = min(values.partialValue, output.count - filled)
                // The last run may stop short of its padding; the values taken must be there.
                let neededBytes = (take * bitWidth + 7) / 8
                guard neededBytes <= buffer.count - position else {
                    throw DecodeFailure(offset: headerOffset, detail: "bit-packed run of \(take) values ends early")
                }
                unpack(count: take, from: position, mask: mask, into: output.baseAddress! + filled)
                filled += take
                position += min(groups * bitWidth, buffer.count - position)
            }
        }
    }

    /// Little-endian bit unpacking: value `i` occupies bits `i*bitWidth ..< (i+1)*bitWidth`.
    private func unpack(count: Int, from start: Int, mask: UInt64, into output: UnsafeMutablePointer<UInt32>) {
        guard bitWidth > 0 else {
            output.update(repeating: 0, count: count)
            return
        }
        let base = buffer.baseAddress! + start
        let available = buffer.count - start
        for index in 0..<count {
            let bit = index * bitWidth
            let byte = bit >> 3
            let word: UInt64
            if byte + 8 <= available {
                word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: byte, as: UInt64.self))
            } else {
                var assembled: UInt64 = 0
                for offset in 0..<min(8, available - byte) {
                    assembled |= UInt64(base.load(fromByteOffset: byte + offset, as: UInt8.self)) << UInt64(8 * offset)
                }
                word = assembled
            }
            output[index] = UInt32(truncatingIfNeeded: (word >> UInt64(bit & 7)) & mask)
        }
    }

    private mutating func readVarint() throws -> UInt64 {
        try ULEB128.read(buffer, at: &position)
    }
}
