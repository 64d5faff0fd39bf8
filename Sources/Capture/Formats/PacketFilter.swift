import CPcap

/// A BPF filter in tcpdump's syntax, compiled by libpcap (`pcap_compile` on `pcap_open_dead`) once
/// per link type and applied per packet with `pcap_offline_filter`, exactly as tcpdump applies it.
/// The only file that calls libpcap.
public final class PacketFilter {
    public let expression: String
    private var programs: [LinkType: UnsafeMutablePointer<bpf_program>] = [:]

    /// Compiles `expression` for Ethernet up front, so a syntax error is reported before any work.
    public init(_ expression: String) throws {
        self.expression = expression
        _ = try program(for: .ethernet)
    }

    deinit {
        for program in programs.values {
            pcap_freecode(program)
            program.deallocate()
        }
    }

    /// Whether the packet passes the filter.
    /// - Throws: `CaptureError.badFilter` if the expression does not compile for the packet's link type.
    public func matches(_ packet: CapturedPacket) throws -> Bool {
        let compiled = try program(for: packet.linkType)
        var header = pcap_pkthdr()
        header.caplen = UInt32(packet.data.count)
        header.len = UInt32(packet.originalLength)
        guard let bytes = packet.data.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
        return pcap_offline_filter(compiled, &header, bytes) != 0
    }

    private func program(for linkType: LinkType) throws -> UnsafeMutablePointer<bpf_program> {
        if let compiled = programs[linkType] { return compiled }
        guard let handle = pcap_open_dead(Int32(linkType.rawValue), 262_144) else {
            throw CaptureError.badFilter(expression: expression, linkType: "\(linkType)", message: "pcap_open_dead failed")
        }
        defer { pcap_close(handle) }
        let compiled = UnsafeMutablePointer<bpf_program>.allocate(capacity: 1)
        compiled.initialize(to: bpf_program())
        guard pcap_compile(handle, compiled, expression, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            let message = String(cString: pcap_geterr(handle))
            compiled.deallocate()
            throw CaptureError.badFilter(expression: expression, linkType: "\(linkType)", message: message)
        }
        programs[linkType] = compiled
        return compiled
    }
}
