import Contract

/// What the flow stage needs from one packet: the addresses and transport identifiers of the packet
/// counted (the innermost one unless tunnels are counted by their outer header).
public struct PacketSummary {
    public var source = IPAddress(ipv4: 0)
    public var destination = IPAddress(ipv4: 0)
    /// The IP protocol number of the transport (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, 132 SCTP, ...).
    public var ipProtocol: UInt8 = 0
    /// Ports for TCP, UDP and SCTP; for ICMP and ICMPv6 the type and the code, as flow tools
    /// conventionally store them; 0 where the packet does not carry them (later fragments, snap length).
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    /// TCP flags (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80).
    public var tcpFlags: UInt8 = 0
    /// A fragment other than the first: it has no transport header.
    public var isLaterFragment = false
    /// An ICMP or ICMPv6 error message (its quoted header is not a flow).
    public var isICMPError = false
    /// The counted IP packet's length in bytes, headers included: IPv4's total length, IPv6's payload
    /// length plus its fixed header, or where those are 0 the wire length from the IP header on.
    public var ipLength = 0
    /// An IPv4 total length of 0 (segmentation offload): the packet's length came from the capture.
    public var ipLengthFromCapture = false
    /// An IPv6 extension header chain too long to follow: `ipProtocol` is the header where it stopped.
    public var extensionChainCut = false
    /// The tunnel the counted packet came out of, if any.
    public var tunnel: Tunnel?
    /// Whether the capturing host sent or received the packet, where the link header says so (Linux
    /// cooked captures, `tcpdump -i any`).
    public var direction = PacketDirection.unknown

    public init() {}
}

/// Which way a packet crossed the capturing host's interface (the SLL and SLL2 packet type).
public enum PacketDirection: Sendable {
    /// The link header does not say (Ethernet, raw IP, loopback).
    case unknown
    /// Received: to this host, broadcast, multicast, or to another host (promiscuous).
    case incoming
    /// Sent by this host.
    case outgoing

    /// From a Linux cooked header's packet type (`PACKET_OUTGOING` is 4).
    init(packetType: UInt16) { self = packetType == 4 ? .outgoing : .incoming }
}

/// Overlay encapsulations that Kubernetes network plugins use.
public enum Tunnel: String, Sendable, CaseIterable {
    case vxlan, geneve, gre, ipInIP = "ip_in_ip"

    /// Position in `allCases`, for tallies kept in arrays.
    var ordinal: Int {
        switch self {
        case .vxlan: 0
        case .geneve: 1
        case .gre: 2
        case .ipInIP: 3
        }
    }
}

/// How the dissector treats one packet.
public enum DissectionOutcome: Equatable {
    /// An IP packet: the summary is filled in.
    case ip
    /// Not IP (ARP, LLDP, ...): `kind` names it, e.g. `ethertype_0x0806`.
    case notIP(kind: String)
    /// Headers that cannot be right, under a stable name; the packet is skipped.
    case damaged(reason: String)
    /// A link type this dissector does not know.
    case unsupportedLinkType
}
