/// An IPv4 or IPv6 address in 17 bytes' worth of integers: hashable, comparable and cheap to copy.
/// IPv4 addresses live in `low`'s lower 32 bits with `isIPv4` set, so `::ffff:10.0.0.1` and `10.0.0.1`
/// stay distinct.
public struct IPAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// IPv6: the address's first 64 bits; IPv4: 0.
    public var high: UInt64
    /// IPv6: the last 64 bits; IPv4: the address in the lower 32 bits.
    public var low: UInt64
    /// Whether this is an IPv4 address.
    public var isIPv4: Bool

    /// The IPv4 address `value` (host byte order: 10.0.0.1 is 0x0A000001).
    public init(ipv4 value: UInt32) {
        high = 0
        low = UInt64(value)
        isIPv4 = true
    }

    /// The IPv6 address whose first and last 64 bits are `high` and `low`.
    public init(ipv6 high: UInt64, _ low: UInt64) {
        self.high = high
        self.low = low
        isIPv4 = false
    }

    /// 127.0.0.0/8 or ::1: the host itself.
    public var isLoopback: Bool { isIPv4 ? low >> 24 == 127 : high == 0 && low == 1 }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        if a.isIPv4 != b.isIPv4 { return a.isIPv4 }
        return (a.high, a.low) < (b.high, b.low)
    }

    /// Dotted quad for IPv4; RFC 5952 for IPv6 (lowercase hex, no leading zeros, the longest run of
    /// two or more zero groups, the first if tied, shortened to `::`; IPv4-mapped addresses in the
    /// mixed notation `::ffff:10.1.2.3` of its section 5).
    public var description: String {
        if isIPv4 { return Self.dottedQuad(UInt32(truncatingIfNeeded: low)) }
        if high == 0 && low >> 32 == 0xFFFF { return "::ffff:" + Self.dottedQuad(UInt32(truncatingIfNeeded: low)) }
        let groups = (0..<8).map { index -> UInt16 in
            let word = index < 4 ? high : low
            return UInt16(truncatingIfNeeded: word >> UInt64(48 - 16 * (index % 4)))
        }
        var bestStart = -1, bestLength = 0, runStart = -1
        for index in 0...8 {
            if index < 8 && groups[index] == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                if index - runStart > bestLength && index - runStart >= 2 { bestStart = runStart; bestLength = index - runStart }
                runStart = -1
            }
        }
        func hex(_ range: Range<Int>) -> String { range.map { String(groups[$0], radix: 16) }.joined(separator: ":") }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    private static func dottedQuad(_ v: UInt32) -> String {
        "\(v >> 24).\((v >> 16) & 0xFF).\((v >> 8) & 0xFF).\(v & 0xFF)"
    }

    /// Parses dotted-quad IPv4 or any RFC 4291 text form of IPv6 (including an embedded IPv4 tail).
    public init?(_ text: String) {
        if !text.contains(":") {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 4 else { return nil }
            var value: UInt32 = 0
            for part in parts {
                guard !part.isEmpty, part.count <= 3, let byte = UInt8(part) else { return nil }
                value = value << 8 | UInt32(byte)
            }
            self.init(ipv4: value)
            return
        }
        var groups: [UInt16] = []
        var tail: [UInt16] = []
        let halves = text.split(separator: "::", omittingEmptySubsequences: false).map(String.init)
        guard halves.count <= 2 else { return nil }
        func parse(_ part: String, into target: inout [UInt16]) -> Bool {
            guard !part.isEmpty else { return true }
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains("."), let v4 = IPAddress(String(piece)) {
                    let v = UInt32(truncatingIfNeeded: v4.low)
                    target += [UInt16(v >> 16), UInt16(v & 0xFFFF)]
                } else {
                    guard !piece.isEmpty, piece.count <= 4, let group = UInt16(piece, radix: 16) else { return false }
                    target.append(group)
                }
            }
            return true
        }
        guard parse(halves[0], into: &groups) else { return nil }
        if halves.count == 2 {
            guard parse(halves[1], into: &tail), groups.count + tail.count <= 7 else { return nil }
            groups += Array(repeating: 0, count: 8 - groups.count - tail.count) + tail
        }
        guard groups.count == 8 else { return nil }
        let high = groups[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        let low = groups[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        self.init(ipv6: high, low)
    }
}
