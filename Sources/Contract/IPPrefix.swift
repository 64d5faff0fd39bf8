/// An address range in CIDR notation (`10.244.0.0/24`, `fd00:10:244::/64`).
public struct IPPrefix: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The range's first address (the address given, masked to the prefix).
    public let network: IPAddress
    /// The prefix length in bits.
    public let length: Int

    /// Parses `address/length`; the address is masked to the prefix.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = IPAddress(String(parts[0])), let length = Int(parts[1]),
              length >= 0, length <= (address.isIPv4 ? 32 : 128) else { return nil }
        self.length = length
        network = Self.masked(address, length)
    }

    public var description: String { "\(network)/\(length)" }

    /// The address family's width: 32 or 128 bits.
    public var bitWidth: Int { network.isIPv4 ? 32 : 128 }

    /// Whether `address` is in the range (an address of the other family never is).
    public func contains(_ address: IPAddress) -> Bool {
        address.isIPv4 == network.isIPv4 && Self.masked(address, length) == network
    }

    /// How many addresses the prefix holds, saturated at `Int.max`.
    public var size: Int {
        let hostBits = bitWidth - length
        return hostBits >= 62 ? Int.max : 1 << hostBits
    }

    /// The address `offset` places after the network address.
    public func address(at offset: Int) -> IPAddress? {
        guard offset >= 0, offset < size else { return nil }
        var address = network
        let (low, carry) = address.low.addingReportingOverflow(UInt64(offset))
        address.low = low
        if carry { address.high &+= 1 }
        return address
    }

    private static func masked(_ address: IPAddress, _ length: Int) -> IPAddress {
        var result = address
        if address.isIPv4 {
            let mask: UInt64 = length == 0 ? 0 : (0xFFFF_FFFF << UInt64(32 - length)) & 0xFFFF_FFFF
            result.low &= mask
        } else {
            let highMask: UInt64 = length >= 64 ? .max : (length == 0 ? 0 : ~0 << UInt64(64 - length))
            let lowMask: UInt64 = length <= 64 ? 0 : (length == 128 ? .max : ~0 << UInt64(128 - length))
            result.high &= highMask
            result.low &= lowMask
        }
        return result
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let prefix = IPPrefix(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not an address range such as 10.244.0.0/24"))
        }
        self = prefix
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension IPAddress: Codable {
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let address = IPAddress(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not an IPv4 or IPv6 address"))
        }
        self = address
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
