/// Unsigned LEB128 varints, as both the Thrift compact protocol and the RLE/bit-packed hybrid
/// encoding use them: seven bits per byte, least significant first, high bit set on all but the last.
enum ULEB128 {
    static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    /// Reads a varint at `position` in `buffer` and advances past it.
    /// - Throws: `DecodeFailure` if the buffer ends inside it or it is longer than ten bytes.
    static func read(_ buffer: UnsafeRawBufferPointer, at position: inout Int) throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < buffer.count else { throw DecodeFailure(offset: position, detail: "varint runs past the end of the data") }
            guard shift < 64 else { throw DecodeFailure(offset: position, detail: "varint longer than ten bytes") }
            let byte = buffer[position]
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }
}
