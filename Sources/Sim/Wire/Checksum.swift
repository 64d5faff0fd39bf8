/// The Internet checksum (RFC 1071) in parts: sums of 16-bit big-endian words that can be added
/// together (each part starting at an even offset of the checksummed bytes) and folded at the end.
enum InternetChecksum {
    /// The sum of `count` bytes at `bytes`, as big-endian 16-bit words (an odd last byte padded).
    @inline(__always)
    static func sum(_ bytes: UnsafeRawPointer, count: Int) -> UInt64 {
        // One's complement addition is byte-order independent (RFC 1071, 2(B)): add native 32-bit
        // words, fold, and swap the two bytes of the result on a little-endian machine.
        var accumulator: UInt64 = 0
        var index = 0
        while index + 4 <= count {
            accumulator &+= UInt64(bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self))
            index += 4
        }
        if index + 2 <= count {
            accumulator &+= UInt64(bytes.loadUnaligned(fromByteOffset: index, as: UInt16.self))
            index += 2
        }
        if index < count {
            accumulator &+= UInt64(bytes.load(fromByteOffset: index, as: UInt8.self))  // low byte on little-endian
        }
        #if _endian(little)
        return UInt64(fold(accumulator).byteSwapped)
        #else
        return UInt64(fold(accumulator))
        #endif
    }

    /// Folds a sum of words to 16 bits.
    @inline(__always)
    static func fold(_ sum: UInt64) -> UInt16 {
        var value = sum
        while value >> 16 != 0 { value = (value & 0xFFFF) + (value >> 16) }
        return UInt16(value)
    }

    /// The checksum field's value for parts summed with `sum`: the complement of the folded sum.
    @inline(__always)
    static func finish(_ sum: UInt64) -> UInt16 {
        ~fold(sum)
    }
}
