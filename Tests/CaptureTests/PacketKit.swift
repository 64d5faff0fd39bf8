import Foundation
@testable import Capture
@_exported import TestSupport

/// Builds packets byte by byte for hand-checked tests: every header field is written here, so the
/// expected results follow from the bytes, not from our dissector.
enum PacketKit {
    static func be16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
    static func be32(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
    static func le32(_ value: UInt32) -> [UInt8] { Array(be32(value).reversed()) }

    static func v4(_ text: String) -> [UInt8] {
        text.split(separator: ".").map { UInt8($0)! }
    }

    static func ipv4(_ source: String, _ destination: String, protocol number: UInt8, _ payload: [UInt8],
                     fragmentOffset: Int = 0, moreFragments: Bool = false, options: [UInt8] = [],
                     totalLength: Int? = nil) -> [UInt8] {
        let headerLength = 20 + options.count
        let flags = (moreFragments ? 0x2000 : 0) | fragmentOffset
        return [UInt8(0x40 | headerLength / 4), 0] + be16(totalLength ?? headerLength + payload.count) + be16(1) + be16(flags)
            + [64, number] + be16(0) + v4(source) + v4(destination) + options + payload
    }

    static func ipv6(_ source: [UInt8], _ destination: [UInt8], next: UInt8, _ payload: [UInt8]) -> [UInt8] {
        [0x60, 0, 0, 0] + be16(payload.count) + [next, 64] + source + destination + payload
    }

    static func udp(_ sourcePort: Int, _ destinationPort: Int, _ payload: [UInt8] = []) -> [UInt8] {
        be16(sourcePort) + be16(destinationPort) + be16(8 + payload.count) + be16(0) + payload
    }

    static func tcp(_ sourcePort: Int, _ destinationPort: Int, flags: UInt8, _ payload: [UInt8] = []) -> [UInt8] {
        be16(sourcePort) + be16(destinationPort) + be32(1) + be32(0) + [0x50, flags] + be16(65535) + be16(0) + be16(0) + payload
    }

    static func ethernet(type: Int, _ payload: [UInt8]) -> [UInt8] {
        [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1] + be16(type) + payload
    }

    static func vxlan(_ innerFrame: [UInt8]) -> [UInt8] {
        [0x08, 0, 0, 0, 0, 0, 1, 0] + innerFrame
    }

    /// A pcap file (microseconds, little-endian) of `packets` at `times` (nanoseconds).
    static func pcap(_ packets: [[UInt8]], linkType: UInt32 = 1, times: [Int64]? = nil, snapLength: Int? = nil) -> [UInt8] {
        var bytes = le32(0xA1B2_C3D4) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(262_144) + le32(linkType)
        for (index, packet) in packets.enumerated() {
            let time = times?[index] ?? (1_764_400_000_000_000_000 + Int64(index) * 1_000_000)
            let captured = min(packet.count, snapLength ?? packet.count)
            bytes += le32(UInt32(time / 1_000_000_000)) + le32(UInt32(time % 1_000_000_000 / 1000))
                + le32(UInt32(captured)) + le32(UInt32(packet.count)) + packet.prefix(captured)
        }
        return bytes
    }

    /// A pcap file header with a chosen magic and version (little-endian).
    static func pcapHeader(magic: UInt32 = 0xA1B2_C3D4, major: UInt16 = 2, minor: UInt16 = 4, linkType: UInt32 = 1) -> [UInt8] {
        le32(magic) + [UInt8(major & 0xFF), UInt8(major >> 8), UInt8(minor & 0xFF), UInt8(minor >> 8)] + le32(0) + le32(0) + le32(262_144) + le32(linkType)
    }

    /// A pcap record (microseconds); `extra` bytes follow the 16-byte header (the modified format's 8).
    static func pcapRecord(seconds: UInt32, microseconds: UInt32, _ packet: [UInt8], originalLength: Int? = nil, extra: [UInt8] = []) -> [UInt8] {
        le32(seconds) + le32(microseconds) + le32(UInt32(packet.count)) + le32(UInt32(originalLength ?? packet.count)) + extra + packet
    }

    /// A little-endian pcapng block: type, total length, body padded to 4 bytes, total length.
    static func pcapngBlock(_ type: UInt32, _ body: [UInt8]) -> [UInt8] {
        let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
        let length = UInt32(12 + padded.count)
        return le32(type) + le32(length) + padded + le32(length)
    }

    /// A section header and one Ethernet interface (microsecond timestamps, no snap length).
    static let pcapngStart = pcapngBlock(0x0A0D_0D0A, le32(0x1A2B_3C4D) + [1, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8))
        + pcapngBlock(1, [1, 0, 0, 0] + le32(0))

    /// An enhanced packet block on interface 0 at `microseconds` after the epoch.
    static func enhancedPacket(microseconds: UInt64, _ packet: [UInt8]) -> [UInt8] {
        pcapngBlock(6, le32(0) + le32(UInt32(microseconds >> 32)) + le32(UInt32(microseconds & 0xFFFF_FFFF))
                    + le32(UInt32(packet.count)) + le32(UInt32(packet.count)) + packet)
    }

    /// A simple packet block: no interface, no timestamp.
    static func simplePacket(_ packet: [UInt8]) -> [UInt8] {
        pcapngBlock(3, le32(UInt32(packet.count)) + packet)
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }
}

/// Dissects one packet framed for `linkType`.
func dissect(_ bytes: [UInt8], linkType: LinkType = .ethernet, outer: Bool = false, originalLength: Int? = nil)
    -> (DissectionOutcome, PacketSummary) {
    var summary = PacketSummary()
    let outcome = bytes.withUnsafeBytes {
        Dissector(countsOuterHeader: outer).dissect($0, originalLength: originalLength ?? bytes.count, linkType: linkType, into: &summary)
    }
    return (outcome, summary)
}
