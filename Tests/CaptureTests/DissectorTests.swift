import Testing
@testable import Capture
import Contract

@Suite struct DissectorTests {
    typealias K = PacketKit

    @Test func tcpOverEthernet_givesAddressesPortsAndFlags() {
        let packet = K.ethernet(type: 0x0800, K.ipv4("10.1.0.2", "10.1.0.3", protocol: 6, K.tcp(40000, 80, flags: 0x12)))
        let (outcome, summary) = dissect(packet)
        #expect(outcome == .ip)
        #expect(summary.source.description == "10.1.0.2" && summary.destination.description == "10.1.0.3")
        #expect(summary.ipProtocol == 6 && summary.sourcePort == 40000 && summary.destinationPort == 80)
        #expect(summary.tcpFlags == 0x12)
    }

    @Test func vxlan_countsTheInnerPacketUnlessAskedForTheOuter() {
        let inner = K.ethernet(type: 0x0800, K.ipv4("10.244.1.5", "10.244.2.7", protocol: 17, K.udp(5353, 53)))
        for port in [4789, 8472] {
            let packet = K.ethernet(type: 0x0800, K.ipv4("192.168.0.1", "192.168.0.2", protocol: 17, K.udp(33333, port, K.vxlan(inner))))
            let (_, innerSummary) = dissect(packet)
            #expect(innerSummary.source.description == "10.244.1.5" && innerSummary.destination.description == "10.244.2.7")
            #expect(innerSummary.destinationPort == 53 && innerSummary.tunnel == .vxlan)
            let (_, outerSummary) = dissect(packet, outer: true)
            #expect(outerSummary.source.description == "192.168.0.1" && outerSummary.destinationPort == UInt16(port))
            #expect(outerSummary.tunnel == nil)
        }
    }

    @Test func greAndIPinIP_areDecapsulated() {
        let inner = K.ipv4("10.1.0.9", "10.1.0.8", protocol: 6, K.tcp(1234, 3306, flags: 0x02))
        let gre = K.ipv4("192.168.0.1", "192.168.0.2", protocol: 47, [0x20, 0, 0x08, 0x00, 0, 0, 0, 7] + inner)  // key present
        let (_, greSummary) = dissect(K.ethernet(type: 0x0800, gre))
        #expect(greSummary.source.description == "10.1.0.9" && greSummary.destinationPort == 3306 && greSummary.tunnel == .gre)
        let ipip = K.ipv4("192.168.0.1", "192.168.0.2", protocol: 4, inner)
        let (_, ipipSummary) = dissect(ipip, linkType: .rawIP)
        #expect(ipipSummary.source.description == "10.1.0.9" && ipipSummary.tunnel == .ipInIP)
    }

    /// An ICMP error counts between its own addresses; the header it quotes is no flow.
    @Test func icmpError_isTrafficBetweenItsOwnAddresses() {
        let quoted = Array(K.ipv4("10.1.0.5", "10.1.0.6", protocol: 17, K.udp(1000, 2000)).prefix(28))
        let packet = K.ipv4("10.1.0.6", "10.1.0.5", protocol: 1, [3, 3, 0, 0, 0, 0, 0, 0] + quoted)
        let (outcome, summary) = dissect(packet, linkType: .ipv4)
        #expect(outcome == .ip)
        #expect(summary.source.description == "10.1.0.6" && summary.destination.description == "10.1.0.5")
        #expect(summary.ipProtocol == 1 && summary.isICMPError)
        #expect(summary.sourcePort == 3 && summary.destinationPort == 3)  // ICMP type and code
    }

    @Test func laterFragments_haveNoPorts() {
        let first = K.ipv4("10.1.0.2", "10.1.0.3", protocol: 17, K.udp(5000, 6000, Array(repeating: 1, count: 16)), moreFragments: true)
        let later = K.ipv4("10.1.0.2", "10.1.0.3", protocol: 17, Array(repeating: 1, count: 16), fragmentOffset: 3)
        #expect(dissect(first, linkType: .ipv4).1.destinationPort == 6000)
        let (outcome, summary) = dissect(later, linkType: .ipv4)
        #expect(outcome == .ip && summary.isLaterFragment && summary.destinationPort == 0)
    }

    @Test func ipv6ExtensionChain_isWalkedToTheTransport() {
        let source = [UInt8](repeating: 0, count: 15) + [1], destination = [0xFD] + [UInt8](repeating: 0, count: 14) + [7]
        let hopByHop: [UInt8] = [60, 0, 1, 4, 0, 0, 0, 0]  // next: destination options
        let destinationOptions: [UInt8] = [6, 0, 1, 4, 0, 0, 0, 0]  // next: TCP
        let packet = K.ipv6(source, destination, next: 0, hopByHop + destinationOptions + K.tcp(443, 50000, flags: 0x10))
        let (outcome, summary) = dissect(packet, linkType: .ipv6)
        #expect(outcome == .ip)
        #expect(summary.source.description == "::1" && summary.destination.description == "fd00::7")
        #expect(summary.ipProtocol == 6 && summary.sourcePort == 443)
    }

    @Test func vlanTags_andLinkTypes() {
        let ip = K.ipv4("10.0.0.1", "10.0.0.2", protocol: 17, K.udp(1, 2))
        let qinq = K.ethernet(type: 0x88A8, [0, 100] + K.be16(0x8100) + [0, 10] + K.be16(0x0800) + ip)
        #expect(dissect(qinq).1.destination.description == "10.0.0.2")
        let sll2 = K.be16(0x0800) + [0, 0] + [0, 0, 0, 3] + [0, 1, 0, 6] + [UInt8](repeating: 0, count: 8) + ip
        #expect(dissect(sll2, linkType: .linuxSLL2).1.source.description == "10.0.0.1")
        let sll = [0, 0, 0, 1, 0, 6] + [UInt8](repeating: 0, count: 8) + K.be16(0x0800) + ip
        #expect(dissect(sll, linkType: .linuxSLL).1.source.description == "10.0.0.1")
        #expect(dissect(K.le32(2) + ip, linkType: .null).1.source.description == "10.0.0.1")
        #expect(dissect(K.be32(2) + ip, linkType: .loop).1.source.description == "10.0.0.1")
        #expect(dissect(K.ethernet(type: 0x0806, [UInt8](repeating: 0, count: 28))).0 == .notIP(kind: "ethertype_0x0806"))
        #expect(dissect(ip, linkType: LinkType(rawValue: 147)).0 == .unsupportedLinkType)
    }

    /// Header lengths that cannot be right are damage; headers cut by the snap length are not.
    @Test func damage_isNamed_snapLengthIsNot() {
        let tcp = K.ipv4("10.0.0.1", "10.0.0.2", protocol: 6, K.tcp(1, 2, flags: 2))
        #expect(dissect(Array(tcp.prefix(12)), linkType: .ipv4).0 == .damaged(reason: "truncated_ipv4_header"))
        var badLength = tcp
        badLength[0] = 0x44
        #expect(dissect(badLength, linkType: .ipv4).0 == .damaged(reason: "ipv4_header_length_below_20"))
        let shortTotal = K.ipv4("10.0.0.1", "10.0.0.2", protocol: 6, K.tcp(1, 2, flags: 2), totalLength: 10)
        #expect(dissect(shortTotal, linkType: .ipv4).0 == .damaged(reason: "ipv4_total_length_below_header"))
        let longTotal = K.ipv4("10.0.0.1", "10.0.0.2", protocol: 6, K.tcp(1, 2, flags: 2), totalLength: 400)
        #expect(dissect(longTotal, linkType: .ipv4).0 == .damaged(reason: "ipv4_total_length_exceeds_packet"))
        // The same packet cut to 30 bytes by a snap length still counts, with the ports its 10 TCP
        // bytes hold but no flags (they are byte 13), as tshark reads it.
        let (outcome, summary) = dissect(Array(tcp.prefix(30)), linkType: .ipv4, originalLength: tcp.count)
        #expect(outcome == .ip && summary.destination.description == "10.0.0.2")
        #expect(summary.destinationPort == 2 && summary.tcpFlags == 0)
        let (_, cutEarlier) = dissect(Array(tcp.prefix(22)), linkType: .ipv4, originalLength: tcp.count)
        #expect(cutEarlier.destinationPort == 0)
        #expect(dissect(Array(K.ethernet(type: 0x0800, tcp).prefix(10))).0 == .damaged(reason: "truncated_ethernet_header"))
    }

    /// Every prefix of a packet is named damage where the packet ends inside a header the dissector
    /// needs, or where the IP length claims more than the packet holds (the wire length is the
    /// prefix's); cut by the snap length instead (the wire length is the whole packet's), it counts
    /// as IP once the fixed IP header is there. Worked out by hand from the headers' sizes: Ethernet
    /// 14, IPv4 20, IPv6 40.
    @Test func everyPrefix_isNamedDamageOrCountsWithWhatIsThere() {
        let inner = K.ethernet(type: 0x0800, K.ipv4("10.244.1.5", "10.244.2.7", protocol: 6, K.tcp(1, 2, flags: 2)))
        let vxlan = K.ethernet(type: 0x0800, K.ipv4("1.1.1.1", "2.2.2.2", protocol: 17, K.udp(1, 4789, K.vxlan(inner))))
        let ipv6 = K.ipv6([UInt8](repeating: 1, count: 16), [UInt8](repeating: 2, count: 16), next: 0,
                          [44, 0, 1, 4, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 1] + K.tcp(1, 2, flags: 2))
        for outer in [false, true] {
            for length in 0...vxlan.count {
                let cut = Array(vxlan.prefix(length))
                let header: DissectionOutcome? = length == 0 ? .damaged(reason: "empty_packet") : length < 14 ? .damaged(reason: "truncated_ethernet_header")
                    : length < 34 ? .damaged(reason: "truncated_ipv4_header") : nil
                #expect(dissect(cut, outer: outer).0 == header ?? (length == vxlan.count ? .ip : .damaged(reason: "ipv4_total_length_exceeds_packet")),
                        "\(length) bytes")
                #expect(dissect(cut, outer: outer, originalLength: vxlan.count).0 == header ?? .ip, "\(length) of \(vxlan.count) bytes")
            }
            for length in 0...ipv6.count {
                let cut = Array(ipv6.prefix(length))
                let header: DissectionOutcome? = length == 0 ? .damaged(reason: "empty_packet")
                    : length < 40 ? .damaged(reason: "truncated_ipv6_header") : nil
                #expect(dissect(cut, linkType: .rawIP, outer: outer).0
                        == header ?? (length == ipv6.count ? .ip : .damaged(reason: "ipv6_payload_length_exceeds_packet")), "\(length) bytes")
                #expect(dissect(cut, linkType: .rawIP, outer: outer, originalLength: ipv6.count).0 == header ?? .ip, "\(length) bytes")
            }
        }
    }

    @Test func addresses_printAsRFC5952AndParseBack() {
        let cases = ["::", "::1", "fd00::7", "2001:db8::1:0:0:1", "2001:db8:0:1:1:1:1:1", "fe80::1:2:3:4", "1::", "10.1.0.255", "0.0.0.0"]
        for text in cases {
            #expect(IPAddress(text)?.description == text, "\(text)")
        }
        #expect(IPAddress("2001:0db8:0000:0000:0001:0000:0000:0001")?.description == "2001:db8::1:0:0:1")
        #expect(IPAddress("::ffff:10.1.2.3")?.description == "::ffff:10.1.2.3")
        #expect(IPAddress("::ffff:a01:203")?.description == "::ffff:10.1.2.3")
        #expect(IPAddress("10.1.2") == nil && IPAddress("1:2:3:4:5:6:7:8:9") == nil && IPAddress("256.1.1.1") == nil)
    }
}
