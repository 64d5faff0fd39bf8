#if canImport(Glibc)
import Glibc
#endif
import Contract

/// Values of text logs (Zeek's conn.log, VPC flow logs) read from their bytes, without a String per
/// value where the hot path allows it.
enum LogValues {
    /// An unsigned decimal integer (at most 19 digits).
    static func unsigned(_ bytes: UnsafeRawBufferPointer) -> UInt64? {
        guard !bytes.isEmpty, bytes.count <= 19 else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            value = value * 10 + UInt64(byte - 0x30)
        }
        return value
    }

    /// Non-negative decimal seconds (`1300475167.096535`) in nanoseconds, exactly; digits past the
    /// ninth decimal are dropped. Nil beyond what 64 bits of nanoseconds hold.
    static func seconds(_ bytes: UnsafeRawBufferPointer) -> Int64? {
        guard let dot = bytes.firstIndex(of: 0x2E) else {
            return unsigned(bytes).flatMap { $0 <= 9_000_000_000 ? Int64($0) * 1_000_000_000 : nil }
        }
        let whole = UnsafeRawBufferPointer(rebasing: bytes[..<dot]), fraction = bytes[(dot + 1)...]
        guard let seconds = unsigned(whole), seconds <= 9_000_000_000, !fraction.isEmpty else { return nil }
        var nanoseconds: Int64 = 0, scale: Int64 = 100_000_000
        for byte in fraction {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            nanoseconds += Int64(byte - 0x30) * scale
            scale /= 10
        }
        return Int64(seconds) * 1_000_000_000 + nanoseconds
    }

    /// An IPv4 or IPv6 address in text; dotted quads are read from the bytes (most logs' addresses).
    static func address(_ bytes: UnsafeRawBufferPointer) -> IPAddress? {
        guard bytes.count <= 64 else { return nil }
        if bytes.count <= 15, !bytes.contains(0x3A), let value = dottedQuad(bytes) { return IPAddress(ipv4: value) }
        return IPAddress(String(decoding: bytes, as: UTF8.self))
    }

    private static func dottedQuad(_ bytes: UnsafeRawBufferPointer) -> UInt32? {
        var value: UInt32 = 0, part: UInt32 = 0, digits = 0, parts = 0
        for byte in bytes {
            if byte == 0x2E {
                guard digits > 0, parts < 3 else { return nil }
                value = value << 8 | part
                (part, digits, parts) = (0, 0, parts + 1)
            } else {
                guard byte >= 0x30, byte <= 0x39, digits < 3 else { return nil }
                part = part * 10 + UInt32(byte - 0x30)
                digits += 1
                guard part <= 255 else { return nil }
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        return value << 8 | part
    }

    /// A port number.
    static func port(_ bytes: UnsafeRawBufferPointer) -> UInt16? {
        unsigned(bytes).flatMap { $0 <= 65535 ? UInt16($0) : nil }
    }

    /// Whether `bytes` spell `text` (ASCII).
    static func equals(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        same(bytes, UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Whether `bytes` are `marker`'s bytes (a log's markers, such as Zeek's unset field).
    static func equals(_ bytes: UnsafeRawBufferPointer, _ marker: [UInt8]) -> Bool {
        marker.withUnsafeBytes { same(bytes, $0) }
    }

    /// Lengths first: most values differ from what they are compared with in length.
    private static func same(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && (a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }

    /// The bytes as text, for messages (at most 60 bytes shown).
    static func shown(_ bytes: UnsafeRawBufferPointer) -> String {
        let text = String(decoding: bytes.prefix(60), as: UTF8.self)
        return bytes.count > 60 ? text + "..." : text
    }
}
