import Capture
import Contract

/// Writes one packet (link header, optional VXLAN encapsulation, IP, TCP or UDP, payload) with
/// correct lengths and checksums into a buffer.
struct PacketAssembler {
    let linkType: LinkType
    let vxlanPort: UInt16

    enum Transport { case tcp(flags: UInt8, seq: UInt32, ack: UInt32, window: UInt16, mss: UInt16?), udp }

    static let fin: UInt8 = 0x01, syn: UInt8 = 0x02, rst: UInt8 = 0x04, psh: UInt8 = 0x08, ackFlag: UInt8 = 0x10

    var linkHeaderLength: Int {
        switch linkType {
        case .linuxSLL2: 20
        case .linuxSLL: 16
        default: 14
        }
    }

    /// The length of the inner IP packet of a packet `length` bytes long as `view` shows it: what the
    /// pairs' `ip_bytes` count.
    func innerIPLength(ofPacket length: Int, view: View) -> Int {
        length - linkHeaderLength - encapsulationLength(view)
    }

    /// The VXLAN encapsulation's bytes before the inner IP header (outer IP, UDP, VXLAN, inner Ethernet).
    private func encapsulationLength(_ view: View) -> Int {
        view.tunnel.map { ($0.from.isIPv4 ? 20 : 40) + 8 + 8 + 14 } ?? 0
    }

    /// Writes the packet at `out` and returns its length. The payload (`payloadLength` bytes, whose
    /// checksum sum is `payloadSum`) must already sit at `out + payloadOffset(...)`; the caller puts it
    /// there with `payloadOffset`.
    func payloadOffset(view: View, transport: Transport, isIPv4: Bool) -> Int {
        var offset = linkHeaderLength + encapsulationLength(view)
        offset += isIPv4 ? 20 : 40
        switch transport {
        case let .tcp(_, _, _, _, mss): offset += mss == nil ? 20 : 24
        case .udp: offset += 8
        }
        return offset
    }

    func write(to out: UnsafeMutableRawPointer, view: View, forward: Bool, transport: Transport, payloadLength: Int,
               payloadSum: UInt64, ipID: UInt16) -> Int {
        let source = forward ? view.client : view.server
        let destination = forward ? view.server : view.client
        let sourcePort = forward ? view.clientPort : view.serverPort
        let destinationPort = forward ? view.serverPort : view.clientPort
        let outgoing = forward == view.clientToServerOutgoing
        let isIPv4 = source.isIPv4
        let l4Length: Int
        switch transport {
        case let .tcp(_, _, _, _, mss): l4Length = (mss == nil ? 20 : 24) + payloadLength
        case .udp: l4Length = 8 + payloadLength
        }
        let innerLength = (isIPv4 ? 20 : 40) + l4Length
        var cursor = linkHeaderLength
        var outerProtocolIsIPv4 = isIPv4
        if let tunnel = view.tunnel {
            let (outerSource, outerDestination) = forward ? (tunnel.from, tunnel.to) : (tunnel.to, tunnel.from)
            outerProtocolIsIPv4 = outerSource.isIPv4
            let udpLength = 8 + 8 + 14 + innerLength
            let outerIPLength = writeIP(out + cursor, source: outerSource, destination: outerDestination, protocolNumber: 17,
                                        payloadLength: udpLength, ipID: ipID, dontFragment: true)
            cursor += outerIPLength
            // UDP: the source port spreads flows (a hash of the inner ports), checksum 0 over IPv4 as
            // Linux sends VXLAN; over IPv6 it is computed.
            let udp = out + cursor
            store16(udp, 0, 49_152 | ((sourcePort ^ destinationPort) & 0x3FFF))
            store16(udp, 2, vxlanPort)
            store16(udp, 4, UInt16(udpLength))
            store16(udp, 6, 0)
            // VXLAN: flags (VNI present), VNI 1.
            store32(udp, 8, 0x0800_0000)
            store32(udp, 12, 0x0000_0100)
            writeEthernet(udp + 16, source: source, destination: destination, etherType: isIPv4 ? 0x0800 : 0x86DD)
            cursor += 8 + 8 + 14
            let ipLength = writeIP(out + cursor, source: source, destination: destination,
                                   protocolNumber: transportNumber(transport), payloadLength: l4Length, ipID: ipID,
                                   dontFragment: isTCP(transport))
            writeTransport(out + cursor + ipLength, transport: transport, source: source, destination: destination,
                           sourcePort: sourcePort, destinationPort: destinationPort, payloadLength: payloadLength, payloadSum: payloadSum)
            if !outerSource.isIPv4 {
                let sum = pseudoHeaderSum(outerSource, outerDestination, protocolNumber: 17, length: udpLength)
                    + InternetChecksum.sum(udp, count: udpLength)
                store16(udp, 6, finishUDP(sum))
            }
            cursor += innerLength
        } else {
            let ipLength = writeIP(out + cursor, source: source, destination: destination,
                                   protocolNumber: transportNumber(transport), payloadLength: l4Length, ipID: ipID,
                                   dontFragment: isTCP(transport))
            writeTransport(out + cursor + ipLength, transport: transport, source: source, destination: destination,
                           sourcePort: sourcePort, destinationPort: destinationPort, payloadLength: payloadLength, payloadSum: payloadSum)
            cursor += innerLength
        }
        writeLinkHeader(out, interface: view.interface, outgoing: outgoing, source: view.tunnel.map { forward ? $0.from : $0.to } ?? source,
                        destination: view.tunnel.map { forward ? $0.to : $0.from } ?? destination,
                        etherType: outerProtocolIsIPv4 ? 0x0800 : 0x86DD)
        return cursor
    }

    private func isTCP(_ transport: Transport) -> Bool {
        if case .tcp = transport { return true }
        return false
    }

    private func transportNumber(_ transport: Transport) -> UInt8 { isTCP(transport) ? 6 : 17 }

    private func writeLinkHeader(_ out: UnsafeMutableRawPointer, interface: UInt32, outgoing: Bool, source: IPAddress,
                                 destination: IPAddress, etherType: UInt16) {
        switch linkType {
        case .linuxSLL2:
            store16(out, 0, etherType)
            store16(out, 2, 0)
            store32(out, 4, interface)
            store16(out, 8, 1)  // ARPHRD_ETHER
            out.storeBytes(of: outgoing ? 4 : 0, toByteOffset: 10, as: UInt8.self)  // PACKET_OUTGOING or PACKET_HOST
            out.storeBytes(of: 6, toByteOffset: 11, as: UInt8.self)
            writeMAC(out + 12, for: source)
            store16(out, 18, 0)
        case .linuxSLL:
            store16(out, 0, outgoing ? 4 : 0)
            store16(out, 2, 1)
            store16(out, 4, 6)
            writeMAC(out + 6, for: source)
            store16(out, 12, 0)
            store16(out, 14, etherType)
        default:
            writeEthernet(out, source: source, destination: destination, etherType: etherType)
        }
    }

    private func writeEthernet(_ out: UnsafeMutableRawPointer, source: IPAddress, destination: IPAddress, etherType: UInt16) {
        writeMAC(out, for: destination)
        writeMAC(out + 6, for: source)
        store16(out, 12, etherType)
    }

    /// A locally administered MAC derived from the address, as Docker derives 02:42:ac:11:00:02 from
    /// 172.17.0.2.
    private func writeMAC(_ out: UnsafeMutableRawPointer, for address: IPAddress) {
        let low = UInt32(truncatingIfNeeded: address.isIPv4 ? address.low : address.low ^ (address.low >> 32) ^ address.high)
        store16(out, 0, 0x0242)
        store32(out, 2, low)
    }

    /// Writes an IPv4 or IPv6 header and returns its length.
    private func writeIP(_ out: UnsafeMutableRawPointer, source: IPAddress, destination: IPAddress, protocolNumber: UInt8,
                         payloadLength: Int, ipID: UInt16, dontFragment: Bool) -> Int {
        if source.isIPv4 {
            out.storeBytes(of: 0x45, as: UInt8.self)
            out.storeBytes(of: 0, toByteOffset: 1, as: UInt8.self)
            store16(out, 2, UInt16(20 + payloadLength))
            store16(out, 4, ipID)
            store16(out, 6, dontFragment ? 0x4000 : 0)
            out.storeBytes(of: 64, toByteOffset: 8, as: UInt8.self)
            out.storeBytes(of: protocolNumber, toByteOffset: 9, as: UInt8.self)
            store16(out, 10, 0)
            store32(out, 12, UInt32(truncatingIfNeeded: source.low))
            store32(out, 16, UInt32(truncatingIfNeeded: destination.low))
            store16(out, 10, InternetChecksum.finish(InternetChecksum.sum(out, count: 20)))
            return 20
        }
        store32(out, 0, 0x6000_0000)
        store16(out, 4, UInt16(payloadLength))
        out.storeBytes(of: protocolNumber, toByteOffset: 6, as: UInt8.self)
        out.storeBytes(of: 64, toByteOffset: 7, as: UInt8.self)
        store64(out, 8, source.high); store64(out, 16, source.low)
        store64(out, 24, destination.high); store64(out, 32, destination.low)
        return 40
    }

    private func writeTransport(_ out: UnsafeMutableRawPointer, transport: Transport, source: IPAddress, destination: IPAddress,
                                sourcePort: UInt16, destinationPort: UInt16, payloadLength: Int, payloadSum: UInt64) {
        store16(out, 0, sourcePort)
        store16(out, 2, destinationPort)
        switch transport {
        case let .tcp(flags, seq, ack, window, mss):
            let headerLength = mss == nil ? 20 : 24
            store32(out, 4, seq)
            store32(out, 8, flags & PacketAssembler.ackFlag != 0 ? ack : 0)
            out.storeBytes(of: UInt8(headerLength / 4) << 4, toByteOffset: 12, as: UInt8.self)
            out.storeBytes(of: flags, toByteOffset: 13, as: UInt8.self)
            store16(out, 14, window)
            store16(out, 16, 0)
            store16(out, 18, 0)
            if let mss {
                store16(out, 20, 0x0204)
                store16(out, 22, mss)
            }
            let sum = pseudoHeaderSum(source, destination, protocolNumber: 6, length: headerLength + payloadLength)
                + InternetChecksum.sum(out, count: headerLength) + payloadSum
            store16(out, 16, InternetChecksum.finish(sum))
        case .udp:
            store16(out, 4, UInt16(8 + payloadLength))
            store16(out, 6, 0)
            let sum = pseudoHeaderSum(source, destination, protocolNumber: 17, length: 8 + payloadLength)
                + InternetChecksum.sum(out, count: 8) + payloadSum
            store16(out, 6, finishUDP(sum))
        }
    }

    /// A UDP checksum of 0 means "none", so a computed 0 is sent as 0xFFFF (RFC 768).
    private func finishUDP(_ sum: UInt64) -> UInt16 {
        let value = InternetChecksum.finish(sum)
        return value == 0 ? 0xFFFF : value
    }

    private func pseudoHeaderSum(_ source: IPAddress, _ destination: IPAddress, protocolNumber: UInt8, length: Int) -> UInt64 {
        func words(_ address: IPAddress) -> UInt64 {
            if address.isIPv4 { return (address.low >> 16 & 0xFFFF) + (address.low & 0xFFFF) }
            var total: UInt64 = 0
            for word in [address.high, address.low] {
                total += (word >> 48) + (word >> 32 & 0xFFFF) + (word >> 16 & 0xFFFF) + (word & 0xFFFF)
            }
            return total
        }
        return words(source) + words(destination) + UInt64(protocolNumber) + UInt64(length >> 16) + UInt64(length & 0xFFFF)
    }
}

@inline(__always) func store16(_ out: UnsafeMutableRawPointer, _ offset: Int, _ value: UInt16) {
    out.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
}

@inline(__always) func store32(_ out: UnsafeMutableRawPointer, _ offset: Int, _ value: UInt32) {
    out.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
}

@inline(__always) func store64(_ out: UnsafeMutableRawPointer, _ offset: Int, _ value: UInt64) {
    out.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt64.self)
}
