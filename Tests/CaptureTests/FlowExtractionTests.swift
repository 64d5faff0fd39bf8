import Foundation
import Testing
@testable import Capture
@testable import Table

/// Hand-checked cases of mimir-flows: every expected number follows from the packets written here.
@Suite struct FlowExtractionTests {
    typealias K = PacketKit

    static func run(_ bytes: [UInt8], windows: [Int] = [10], filter: String? = nil, outer: Bool = false)
        throws -> (FlowExtraction.Report, TableBatch, TableBatch) {
        let directory = try TemporaryDirectory()
        try K.write(bytes, to: directory.file("c.pcap"))
        let out = try TemporaryDirectory()
        let report = try FlowExtraction(windowLengths: windows, filter: filter, countsOuterHeader: outer, version: "test")
            .run(capturePath: directory.file("c.pcap"), directory: out.path)
        return (report, try TableReader(path: out.file("pairs.parquet")).readAll(),
                try TableReader(path: out.file("flows.parquet")).readAll())
    }

    static let web = K.ethernet(type: 0x0800, K.ipv4("10.1.0.2", "10.1.0.3", protocol: 6, K.tcp(40000, 80, flags: 0x02)))
    static let tls = K.ethernet(type: 0x0800, K.ipv4("10.1.0.2", "10.1.0.4", protocol: 6, K.tcp(40001, 443, flags: 0x02)))
    static let dns = K.ethernet(type: 0x0800, K.ipv4("10.1.0.2", "10.96.0.10", protocol: 17, K.udp(5353, 80)))

    @Test func bpfFilter_countsOnlyMatchingPackets() throws {
        let (report, pairs, _) = try Self.run(K.pcap([Self.web, Self.tls, Self.dns, Self.web]), filter: "tcp port 80")
        #expect(report.counters["filtered_out"]?.value == 2)
        #expect(pairs["dst"]!.byteArrays.strings == ["10.1.0.3"])
        #expect(pairs["packets"]!.int64s == [2])
        #expect(pairs["bytes"]!.int64s == [Int64(Self.web.count * 2)])
    }

    @Test func badFilter_isAUsageError() throws {
        let directory = try TemporaryDirectory()
        try K.write(K.pcap([Self.web]), to: directory.file("c.pcap"))
        #expect {
            try FlowExtraction(windowLengths: [10], filter: "tcp prot 80", version: "test").run(capturePath: directory.file("c.pcap"), directory: directory.path)
        } throws: { error in
            guard case .badFilter? = error as? CaptureError else { return false }
            return (error as! CaptureError).errorClass == .usage
        }
    }

    @Test func tunnelledPackets_countInnerByDefault_outerOnRequest() throws {
        let inner = K.ethernet(type: 0x0800, K.ipv4("10.244.1.5", "10.244.2.7", protocol: 6, K.tcp(1234, 8080, flags: 0x18)))
        let vxlan = K.ethernet(type: 0x0800, K.ipv4("192.168.0.1", "192.168.0.2", protocol: 17, K.udp(40000, 8472, K.vxlan(inner))))
        let (report, pairs, flows) = try Self.run(K.pcap([vxlan]))
        #expect(pairs["src"]!.byteArrays.strings == ["10.244.1.5"])
        #expect(pairs["bytes"]!.int64s == [Int64(vxlan.count)])  // the frame's length on the wire
        #expect(flows["dst_port"]!.int32s == [8080] && flows["tcp_flags"]!.int32s == [0x18])
        #expect(report.counters["tunnel.vxlan"]?.value == 1)
        let (_, outerPairs, outerFlows) = try Self.run(K.pcap([vxlan]), outer: true)
        #expect(outerPairs["src"]!.byteArrays.strings == ["192.168.0.1"])
        #expect(outerFlows["dst_port"]!.int32s == [8472] && outerFlows["protocol"]!.int32s == [17])
    }

    @Test func icmpError_isOneFlowBetweenItsOwnAddresses() throws {
        let quoted = Array(K.ipv4("10.1.0.5", "10.1.0.6", protocol: 17, K.udp(1000, 2000)).prefix(28))
        let error = K.ethernet(type: 0x0800, K.ipv4("10.1.0.6", "10.1.0.5", protocol: 1, [3, 3, 0, 0, 0, 0, 0, 0] + quoted))
        let (report, pairs, flows) = try Self.run(K.pcap([error]))
        #expect(pairs.rowCount == 1 && pairs["src"]!.byteArrays.strings == ["10.1.0.6"])
        #expect(flows.rowCount == 1 && flows["protocol"]!.int32s == [1] && flows["src_port"]!.int32s == [3])
        #expect(report.counters["icmp_errors"]?.value == 1)
    }

    @Test func unknownLinkType_isSkippedAndCounted() throws {
        let (report, pairs, _) = try Self.run(K.pcap([[1, 2, 3, 4], [5, 6, 7, 8]], linkType: 147))
        #expect(pairs.rowCount == 0)
        #expect(report.counters["skipped_link_type.USER0"]?.value == 2)
        #expect(report.counters["link_type.USER0"]?.value == 2)
    }

    /// A damaged packet is counted under its reason, with its index, and skipped; the rest counts.
    @Test func damagedPacket_isCountedAndSkipped() throws {
        let bad = K.ethernet(type: 0x0800, K.ipv4("10.1.0.2", "10.1.0.3", protocol: 6, K.tcp(1, 2, flags: 2), totalLength: 10))
        let (report, pairs, _) = try Self.run(K.pcap([Self.web, bad, Self.web]))
        #expect(report.counters["damaged.ipv4_total_length_below_header"]?.value == 1)
        #expect(report.counters["damaged.ipv4_total_length_below_header"]?.firstPacket == 1)
        #expect(pairs["packets"]!.int64s == [2])
    }

    /// pcapng simple packet blocks carry no timestamp: they take the previous packet's, and are counted.
    @Test func simplePacketBlocks_takeThePreviousTime() throws {
        let shb = K.le32(0x0A0D_0D0A) + K.le32(28) + K.le32(0x1A2B_3C4D) + [1, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8) + K.le32(28)
        let idb = K.le32(1) + K.le32(20) + [1, 0, 0, 0] + K.le32(0) + K.le32(20)
        let packet = Self.web + [UInt8](repeating: 0, count: (4 - Self.web.count % 4) % 4)
        let time: UInt64 = 1_764_400_000_000_000  // microseconds
        let epb = K.le32(6) + K.le32(UInt32(32 + packet.count)) + K.le32(0) + K.le32(UInt32(time >> 32))
            + K.le32(UInt32(time & 0xFFFF_FFFF)) + K.le32(UInt32(Self.web.count)) + K.le32(UInt32(Self.web.count)) + packet
            + K.le32(UInt32(32 + packet.count))
        let spb = K.le32(3) + K.le32(UInt32(16 + packet.count)) + K.le32(UInt32(Self.web.count)) + packet + K.le32(UInt32(16 + packet.count))
        let (report, pairs, flows) = try Self.run(shb + idb + epb + spb)
        #expect(report.packets == 2 && pairs["packets"]!.int64s == [2])
        #expect(flows["last_seen"]!.int64s == [Int64(time)])
        #expect(report.counters["damaged.simple_packet_without_timestamp"]?.value == 1)
    }

    /// A capture with a header and no packet still gives all three tables, empty.
    @Test func emptyCapture_givesEmptyTables() throws {
        let (report, pairs, flows) = try Self.run(K.pcap([]))
        #expect(report.packets == 0 && pairs.rowCount == 0 && flows.rowCount == 0)
        #expect(report.counters["packets"]?.value == 0)
    }
}
