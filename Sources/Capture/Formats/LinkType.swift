/// A link-layer header type (LINKTYPE_* from tcpdump.org's link-layer header types page). An open
/// set: a number this library does not dissect is still a value, counted and reported by name or number.
public struct LinkType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// BSD loopback: a 4-byte address family in the capturing host's byte order.
    public static let null = LinkType(rawValue: 0)
    public static let ethernet = LinkType(rawValue: 1)
    /// Raw IP; 12 and 14 are the same on some systems (DLT_RAW), 101 is LINKTYPE_RAW.
    public static let rawIP = LinkType(rawValue: 101)
    public static let rawIPAlternate12 = LinkType(rawValue: 12)
    public static let rawIPAlternate14 = LinkType(rawValue: 14)
    /// OpenBSD loopback: the address family in network byte order.
    public static let loop = LinkType(rawValue: 108)
    public static let linuxSLL = LinkType(rawValue: 113)
    public static let ipv4 = LinkType(rawValue: 228)
    public static let ipv6 = LinkType(rawValue: 229)
    public static let linuxSLL2 = LinkType(rawValue: 276)

    static let names: [UInt32: String] = [
        0: "NULL", 1: "ETHERNET", 12: "RAW (12)", 14: "RAW (14)", 101: "RAW", 108: "LOOP", 113: "LINUX_SLL",
        228: "IPV4", 229: "IPV6", 276: "LINUX_SLL2", 105: "IEEE802_11", 127: "IEEE802_11_RADIOTAP", 147: "USER0",
    ]

    public var description: String { Self.names[rawValue] ?? "LINKTYPE \(rawValue)" }
}
