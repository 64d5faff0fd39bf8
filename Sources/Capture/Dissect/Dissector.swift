import Contract

/// Dissects a packet's link, network and transport headers into a `PacketSummary`: Ethernet, Linux
/// cooked v1 and v2, raw IP, BSD loopback; 802.1Q and 802.1ad VLAN tags; IPv4 (options, fragments) and
/// IPv6 (the extension header chain, fragments); TCP, UDP, SCTP, ICMP and ICMPv6; and the overlay
/// tunnels of Kubernetes network plugins (VXLAN on 4789 and 8472, Geneve, GRE, IP-in-IP), whose inner
/// packet is the one counted unless `countsOuterHeader` is set.
///
/// Every read goes through `PacketBytes`, which gives nil past the captured bytes, so no offset the
/// packet's own fields produce can read outside it. A header cut short by the snap length is no damage
/// (the packet counts with what is there); a header whose own length fields cannot be right, or that
/// the packet ends inside, is damage, named in the outcome.
public struct Dissector: Sendable {
    public var countsOuterHeader: Bool
    /// Deepest nesting of tunnels followed, so crafted packets cannot recurse without end.
    static let maxTunnelDepth = 4
    /// Longest IPv6 extension header chain followed (RFC 8504 lets hosts limit it; 16 is plenty).
    static let maxExtensionHeaders = 16

    public init(countsOuterHeader: Bool = false) {
        self.countsOuterHeader = countsOuterHeader
    }

    public func dissect(_ data: UnsafeRawBufferPointer, originalLength: Int, linkType: LinkType,
                        into summary: inout PacketSummary) -> DissectionOutcome {
        summary = PacketSummary()
        guard let base = data.baseAddress, data.count > 0 else { return .damaged(reason: "empty_packet") }
        let packet = PacketBytes(base: base, count: data.count, wireLength: max(originalLength, data.count))
        switch linkType {
        case .ethernet:
            return ethernet(packet, at: 0, depth: 0, &summary)
        case .linuxSLL:
            guard packet.count >= 16, let type = packet.u16(14), let packetType = packet.u16(0) else {
                return .damaged(reason: "truncated_linux_sll_header")
            }
            summary.direction = PacketDirection(packetType: packetType)
            return etherType(type, packet, at: 16, depth: 0, &summary)
        case .linuxSLL2:
            guard packet.count >= 20, let type = packet.u16(0), let packetType = packet.u8(10) else {
                return .damaged(reason: "truncated_linux_sll2_header")
            }
            summary.direction = PacketDirection(packetType: UInt16(packetType))
            return etherType(type, packet, at: 20, depth: 0, &summary)
        case .rawIP, .rawIPAlternate12, .rawIPAlternate14:
            return rawIP(packet, at: 0, depth: 0, &summary)
        case .ipv4:
            return ipv4(packet, at: 0, depth: 0, &summary)
        case .ipv6:
            return ipv6(packet, at: 0, depth: 0, &summary)
        case .null, .loop:
            guard let raw = packet.u32(0) else { return .damaged(reason: "truncated_loopback_header") }
            // NULL stores the address family in the capturing host's byte order, LOOP in network order.
            // (`u32` reads big-endian: a little-endian host's small family number comes out swapped.)
            let family = linkType == .loop || raw <= 0xFFFF ? raw : raw.byteSwapped
            switch family {
            case 2: return ipv4(packet, at: 4, depth: 0, &summary)
            case 10, 24, 28, 30: return ipv6(packet, at: 4, depth: 0, &summary)  // Linux, BSDs, macOS
            default: return .notIP(kind: "loopback_family_\(family)")
            }
        default:
            return .unsupportedLinkType
        }
    }

    // MARK: Link layer

    private func ethernet(_ packet: PacketBytes, at offset: Int, depth: Int, _ summary: inout PacketSummary) -> DissectionOutcome {
        guard packet.count - offset >= 14, let type = packet.u16(offset + 12) else { return .damaged(reason: "truncated_ethernet_header") }
        return etherType(type, packet, at: offset + 14, depth: depth, &summary)
    }

    /// Follows VLAN tags (802.1Q 0x8100, 802.1ad 0x88A8, the pre-standard 0x9100) to IPv4 or IPv6.
    private func etherType(_ type: UInt16, _ packet: PacketBytes, at offset: Int, depth: Int,
                           _ summary: inout PacketSummary) -> DissectionOutcome {
        var type = type
        var offset = offset
        var tags = 0
        while type == 0x8100 || type == 0x88A8 || type == 0x9100 {
            tags += 1
            guard tags <= 4 else { return .damaged(reason: "too_many_vlan_tags") }
            guard let inner = packet.u16(offset + 2) else { return .damaged(reason: "truncated_vlan_tag") }
            type = inner
            offset += 4
        }
        switch type {
        case 0x0800: return ipv4(packet, at: offset, depth: depth, &summary)
        case 0x86DD: return ipv6(packet, at: offset, depth: depth, &summary)
        default: return .notIP(kind: "ethertype_0x" + String(type, radix: 16, uppercase: false).leftPadded(to: 4))
        }
    }

    private func rawIP(_ packet: PacketBytes, at offset: Int, depth: Int, _ summary: inout PacketSummary) -> DissectionOutcome {
        guard let first = packet.u8(offset) else { return .damaged(reason: "truncated_ip_header") }
        switch first >> 4 {
        case 4: return ipv4(packet, at: offset, depth: depth, &summary)
        case 6: return ipv6(packet, at: offset, depth: depth, &summary)
        default: return .damaged(reason: "raw_packet_not_ipv4_or_ipv6")
        }
    }

    // MARK: Network layer

    private func ipv4(_ packet: PacketBytes, at offset: Int, depth: Int, _ summary: inout PacketSummary) -> DissectionOutcome {
        guard let first = packet.u8(offset), let total = packet.u16(offset + 2), let fragment = packet.u16(offset + 6),
              let ipProtocol = packet.u8(offset + 9), let source = packet.ipv4(offset + 12), let destination = packet.ipv4(offset + 16) else {
            return .damaged(reason: "truncated_ipv4_header")
        }
        guard first >> 4 == 4 else { return .damaged(reason: "ipv4_bad_version") }
        let headerLength = Int(first & 0x0F) * 4
        guard headerLength >= 20 else { return .damaged(reason: "ipv4_header_length_below_20") }
        let totalLength = Int(total)
        // A total length of 0 is TCP segmentation offload (GSO, Linux BIG TCP): the length comes from
        // the capture, as tshark takes it.
        guard totalLength >= headerLength || totalLength == 0 else { return .damaged(reason: "ipv4_total_length_below_header") }
        summary.ipLengthFromCapture = totalLength == 0
        summary.ipLength = totalLength == 0 ? packet.wireLength - offset : totalLength
        summary.source = source
        summary.destination = destination
        summary.ipProtocol = ipProtocol
        guard packet.count - offset >= headerLength else {
            return packet.cutBySnapLength ? .ip : .damaged(reason: "truncated_ipv4_options")
        }
        let end = totalLength == 0 ? packet.count : min(packet.count, offset + totalLength)
        if totalLength > packet.count - offset && !packet.cutBySnapLength && totalLength != 0 {
            return .damaged(reason: "ipv4_total_length_exceeds_packet")
        }
        if fragment & 0x1FFF != 0 {
            summary.isLaterFragment = true
            return .ip
        }
        return transport(summary.ipProtocol, packet, from: offset + headerLength, to: end, depth: depth, isIPv6: false, &summary)
    }

    private func ipv6(_ packet: PacketBytes, at offset: Int, depth: Int, _ summary: inout PacketSummary) -> DissectionOutcome {
        guard let first = packet.u8(offset), let payload = packet.u16(offset + 4), var next = packet.u8(offset + 6),
              let source = packet.ipv6(offset + 8), let destination = packet.ipv6(offset + 24) else {
            return .damaged(reason: "truncated_ipv6_header")
        }
        guard first >> 4 == 6 else { return .damaged(reason: "ipv6_bad_version") }
        summary.source = source
        summary.destination = destination
        let payloadLength = Int(payload)
        // A payload length of 0 is a jumbogram or segmentation offload: the length comes from the capture.
        summary.ipLength = payloadLength == 0 ? packet.wireLength - offset : 40 + payloadLength
        if payloadLength > packet.count - offset - 40 && !packet.cutBySnapLength && payloadLength != 0 {
            return .damaged(reason: "ipv6_payload_length_exceeds_packet")
        }
        let end = payloadLength == 0 ? packet.count : min(packet.count, offset + 40 + payloadLength)
        var position = offset + 40
        // Extension headers: hop-by-hop 0, routing 43, fragment 44, destination options 60,
        // authentication 51, mobility 135, HIP 139, shim6 140. A chain longer than any real stack
        // sends is not followed to its end: the packet counts by its fixed header, without ports.
        for _ in 0..<Self.maxExtensionHeaders {
            summary.ipProtocol = next
            switch next {
            case 0, 43, 60, 135, 139, 140, 51:
                guard end - position >= 8, let following = packet.u8(position), let units = packet.u8(position + 1) else {
                    return packet.cutBySnapLength ? .ip : .damaged(reason: "truncated_ipv6_extension_header")
                }
                position += next == 51 ? (Int(units) + 2) * 4 : (Int(units) + 1) * 8
                next = following
            case 44:
                guard end - position >= 8, let following = packet.u8(position), let fragment = packet.u16(position + 2) else {
                    return packet.cutBySnapLength ? .ip : .damaged(reason: "truncated_ipv6_fragment_header")
                }
                let fragmentOffset = fragment >> 3
                next = following
                position += 8
                if fragmentOffset != 0 {
                    summary.ipProtocol = next
                    summary.isLaterFragment = true
                    return .ip
                }
            default:
                return transport(next, packet, from: position, to: end, depth: depth, isIPv6: true, &summary)
            }
        }
        summary.ipProtocol = next
        summary.extensionChainCut = true
        return .ip
    }

    // MARK: Transport layer and tunnels

    private func transport(_ ipProtocol: UInt8, _ whole: PacketBytes, from start: Int, to end: Int, depth: Int, isIPv6: Bool,
                           _ summary: inout PacketSummary) -> DissectionOutcome {
        // Reads stop at the IP length's end as well as the capture's.
        let packet = whole.prefix(end)
        let available = end - start
        switch ipProtocol {
        case 6:  // TCP
            // A header cut by the snap length still gives what it holds: ports from 4 bytes, flags from 14.
            if let source = packet.u16(start), let destination = packet.u16(start + 2) {
                (summary.sourcePort, summary.destinationPort) = (source, destination)
            }
            guard available >= 14, let offsetByte = packet.u8(start + 12), let flags = packet.u8(start + 13) else {
                return shortTransport(packet, available, "truncated_tcp_header", &summary)
            }
            summary.tcpFlags = flags
            let dataOffset = Int(offsetByte >> 4) * 4
            guard dataOffset >= 20 else { return .damaged(reason: "tcp_data_offset_below_20") }
        case 17:  // UDP
            if let source = packet.u16(start), let destination = packet.u16(start + 2) {
                (summary.sourcePort, summary.destinationPort) = (source, destination)
            }
            guard available >= 8 else { return shortTransport(packet, available, "truncated_udp_header", &summary) }
            if !countsOuterHeader && depth < Self.maxTunnelDepth {
                switch summary.destinationPort {
                case 4789, 8472:  // VXLAN: IANA's port, and the Linux kernel's (flannel's) default
                    guard available >= 16, let flags = packet.u8(start + 8), flags & 0x08 != 0 else { break }
                    return decapsulate(.vxlan, &summary) { ethernet(packet, at: start + 16, depth: depth + 1, &$0) }
                case 6081:  // Geneve: 8 bytes plus options, then a protocol type like GRE's
                    guard available >= 16, let options = packet.u8(start + 8), let protocolType = packet.u16(start + 10) else { break }
                    let inner = start + 16 + Int(options & 0x3F) * 4
                    guard inner <= end else { return .damaged(reason: "truncated_geneve_options") }
                    return decapsulate(.geneve, &summary) {
                        innerPacket(protocolType: protocolType, packet, at: inner, depth: depth + 1, &$0)
                    }
                default:
                    break
                }
            }
        case 132:  // SCTP
            guard let source = packet.u16(start), let destination = packet.u16(start + 2) else {
                return shortTransport(packet, available, "truncated_sctp_header", &summary)
            }
            (summary.sourcePort, summary.destinationPort) = (source, destination)
        case 1, 58:  // ICMP, ICMPv6
            guard let type = packet.u8(start), let code = packet.u8(start + 1) else {
                return shortTransport(packet, available, "truncated_icmp_header", &summary)
            }
            summary.sourcePort = UInt16(type)
            summary.destinationPort = UInt16(code)
            summary.isICMPError = ipProtocol == 1 ? [3, 4, 5, 11, 12].contains(type) : type < 128
        case 4, 41:  // IPv4 or IPv6 in IP
            guard !countsOuterHeader && depth < Self.maxTunnelDepth else { break }
            return decapsulate(.ipInIP, &summary) {
                ipProtocol == 4 ? ipv4(packet, at: start, depth: depth + 1, &$0) : ipv6(packet, at: start, depth: depth + 1, &$0)
            }
        case 47:  // GRE
            guard !countsOuterHeader && depth < Self.maxTunnelDepth, let flags = packet.u16(start), let protocolType = packet.u16(start + 2) else { break }
            guard flags & 0x0007 == 0 else { break }  // version 0 only; PPTP's enhanced GRE stays outer
            let headerLength = 4 + (flags & 0x8000 != 0 ? 4 : 0) + (flags & 0x2000 != 0 ? 4 : 0) + (flags & 0x1000 != 0 ? 4 : 0)
            guard headerLength <= available else { return .damaged(reason: "truncated_gre_header") }
            return decapsulate(.gre, &summary) {
                innerPacket(protocolType: protocolType, packet, at: start + headerLength, depth: depth + 1, &$0)
            }
        default:
            break
        }
        return .ip
    }

    /// A transport header cut by the snap length is fine (the packet counts without ports); one cut by
    /// the IP length is damage.
    private func shortTransport(_ packet: PacketBytes, _ available: Int, _ reason: String,
                                _ summary: inout PacketSummary) -> DissectionOutcome {
        packet.cutBySnapLength || available < 0 ? .ip : .damaged(reason: reason)
    }

    /// GRE's and Geneve's protocol type: an EtherType, or 0x6558 for bridged Ethernet.
    private func innerPacket(protocolType: UInt16, _ packet: PacketBytes, at offset: Int, depth: Int,
                             _ summary: inout PacketSummary) -> DissectionOutcome {
        protocolType == 0x6558 ? ethernet(packet, at: offset, depth: depth, &summary)
            : etherType(protocolType, packet, at: offset, depth: depth, &summary)
    }

    /// Dissects the inner packet into `summary`; if it is not a usable IP packet, the outer one counts.
    private func decapsulate(_ tunnel: Tunnel, _ summary: inout PacketSummary,
                             _ inner: (inout PacketSummary) -> DissectionOutcome) -> DissectionOutcome {
        var innerSummary = PacketSummary()
        guard inner(&innerSummary) == .ip else { return .ip }
        innerSummary.tunnel = innerSummary.tunnel ?? tunnel
        innerSummary.direction = summary.direction
        summary = innerSummary
        return .ip
    }
}

/// The captured bytes of one packet, read big-endian (network order). Every read is checked: past the
/// end it gives nil, as swift-nio's `ByteBuffer` reads do, so an offset computed from the packet's
/// own fields can never read outside it.
struct PacketBytes {
    private let base: UnsafeRawPointer
    /// How many bytes reads may reach (the capture's, or fewer where an IP length ends the packet).
    let count: Int
    /// The packet's length on the wire (at least the captured bytes').
    let wireLength: Int
    /// The capture kept fewer bytes than were on the wire.
    let cutBySnapLength: Bool

    init(base: UnsafeRawPointer, count: Int, wireLength: Int) {
        (self.base, self.count, self.wireLength, cutBySnapLength) = (base, count, wireLength, count < wireLength)
    }

    private init(base: UnsafeRawPointer, count: Int, wireLength: Int, cutBySnapLength: Bool) {
        (self.base, self.count, self.wireLength, self.cutBySnapLength) = (base, count, wireLength, cutBySnapLength)
    }

    /// The same bytes, readable only below `end` (at most `count`).
    @inline(__always) func prefix(_ end: Int) -> PacketBytes {
        PacketBytes(base: base, count: max(0, min(count, end)), wireLength: wireLength, cutBySnapLength: cutBySnapLength)
    }

    /// Whether `size` bytes at `offset` lie inside the readable bytes (no overflow for any offset).
    @inline(__always) private func holds(_ offset: Int, _ size: Int) -> Bool {
        offset >= 0 && offset <= count - size
    }

    @inline(__always) func u8(_ offset: Int) -> UInt8? {
        holds(offset, 1) ? base.load(fromByteOffset: offset, as: UInt8.self) : nil
    }

    @inline(__always) func u16(_ offset: Int) -> UInt16? {
        holds(offset, 2) ? UInt16(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self)) : nil
    }

    @inline(__always) func u32(_ offset: Int) -> UInt32? {
        holds(offset, 4) ? UInt32(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) : nil
    }

    /// The IPv4 address at `offset`.
    @inline(__always) func ipv4(_ offset: Int) -> IPAddress? {
        u32(offset).map { IPAddress(ipv4: $0) }
    }

    /// The IPv6 address at `offset`.
    @inline(__always) func ipv6(_ offset: Int) -> IPAddress? {
        guard holds(offset, 16) else { return nil }
        return IPAddress(ipv6: UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
                         UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)))
    }
}
