import Foundation
@testable import Table
import Testing
import TestSupport
@testable import Capture
import Contract

/// Edge cases seen in public test captures, each on a capture the test builds, checked against
/// tshark and editcap where they have an opinion and by hand where they do not.
@Suite struct CaptureEdgeCaseTests {
    typealias K = PacketKit
    static let packet = K.ethernet(type: 0x0800, K.ipv4("10.0.0.1", "10.0.0.2", protocol: 17, K.udp(1234, 80, [UInt8](repeating: 7, count: 20))))
    static let start: UInt64 = 1_700_000_000_000_000  // microseconds

    /// Two simple packets (no timestamp) first, two timed ones, another simple one, then one 700 s later.
    static let simpleFirst = K.pcapngStart + K.simplePacket(packet) + K.simplePacket(packet)
        + K.enhancedPacket(microseconds: start, packet) + K.enhancedPacket(microseconds: start + 1_000_000, packet)
        + K.simplePacket(packet) + K.enhancedPacket(microseconds: start + 700_000_000, packet)

    @Test func simplePacketsTakeTheTimeOfTheTimedPacketsAroundThem() throws {
        let (reader, packets) = try CaptureReaderTests.readAll(Self.simpleFirst, name: "c.pcapng")
        let t = Int64(Self.start) * 1000
        #expect(packets.map(\.0) == [t, t, t, t + 1_000_000_000, t + 1_000_000_000, t + 700_000_000_000])
        #expect(reader.damage.entries["simple_packet_without_timestamp"]?.count == 3)
        // A capture of simple packets only: every one at time 0, none lost.
        let (_, untimed) = try CaptureReaderTests.readAll(K.pcapngStart + K.simplePacket(Self.packet) + K.simplePacket(Self.packet), name: "d.pcapng")
        #expect(untimed.map(\.0) == [0, 0])
    }

    @Test(.needs(SplitOracleTests.available, "needs tshark and editcap"))
    func simplePacketsFirst_splitAsEditcapSplits() throws {
        let directory = try TemporaryDirectory()
        let capture = directory.file("spb.pcapng")
        try K.write(Self.simpleFirst, to: capture)
        let ours = directory.file("ours")
        try FileManager.default.createDirectory(atPath: ours, withIntermediateDirectories: true)
        let report = try CaptureSplit(mode: .interval(nanoseconds: 600_000_000_000), version: "test").run(capturePath: capture, directory: ours)
        #expect(report.shards == 2)
        let theirs = directory.file("theirs")
        try FileManager.default.createDirectory(atPath: theirs, withIntermediateDirectories: true)
        let editcap = try CrossCheck.run("editcap", ["-i", "600", capture, theirs + "/s.pcapng"])
        #expect(editcap.status == 0, "\(editcap.output)")
        let mine = try FileManager.default.contentsOfDirectory(atPath: ours).filter { $0.hasPrefix("shard-") }.sorted()
        let editcaps = try FileManager.default.contentsOfDirectory(atPath: theirs).sorted()
        #expect(mine.count == editcaps.count)
        // Our shards keep the simple packet blocks as they are (tshark shows no time); editcap rewrites
        // them as enhanced ones at time 0.
        for (a, b) in zip(mine, editcaps) {
            let ourFrames = try Self.tsharkFrames(ours + "/" + a).map { $0.hasPrefix("\t") ? "0.000000000" + $0 : $0 }
            #expect(try ourFrames == Self.tsharkFrames(theirs + "/" + b), "\(a) vs \(b)")
        }
    }

    @Test(.needs(FlowOracleTests.available, "needs tshark"))
    func modifiedPcap_readsAsTsharkReadsIt() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("modified.pcap")
        var bytes = K.pcapHeader(magic: 0xA1B2_CD34)
        for second in 0..<3 {
            bytes += K.pcapRecord(seconds: 1_700_000_000 + UInt32(second), microseconds: 500, Self.packet, extra: K.le32(2) + [0x00, 0x08, 0, 0])
        }
        try K.write(bytes, to: path)
        let reader = try CaptureReader(path: path)
        var ours: [String] = []
        try reader.read { ours.append("\(EpochSeconds.format($0.timestamp))\t\($0.originalLength)\t\($0.data.count)") }
        #expect(try Self.tsharkFrames(path, fields: ["frame.time_epoch", "frame.len", "frame.cap_len"]) == ours)
        #expect(ours.count == 3)
    }

    @Test(.needs(FlowOracleTests.available, "needs tshark"))
    func capturedLongerThanOriginal_countsTheOriginalLengthAsTsharkDoes() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("long.pcap")
        try K.write(K.pcapHeader() + K.pcapRecord(seconds: 1_700_000_000, microseconds: 0, Self.packet, originalLength: 40)
                    + K.pcapRecord(seconds: 1_700_000_001, microseconds: 0, Self.packet), to: path)
        let frameLengths = try Self.tsharkFrames(path, fields: ["frame.len"]).compactMap { Int64($0) }
        #expect(frameLengths == [40, Int64(Self.packet.count)])
        try FileManager.default.createDirectory(atPath: directory.file("split"), withIntermediateDirectories: true)
        let split = try CaptureSplit(mode: .count(packets: 10), version: "test").run(capturePath: path, directory: directory.file("split"))
        #expect(split.counters.entries["original_length_below_captured"]?.count == 1)
        let shards = try TableReader(path: directory.file("split/shards.parquet")).readAll()
        #expect(shards["bytes"]!.int64s == [frameLengths.reduce(0, +)])
        try FileManager.default.createDirectory(atPath: directory.file("flows"), withIntermediateDirectories: true)
        let flows = try FlowExtraction(windowLengths: [10], version: "test").run(capturePath: path, directory: directory.file("flows"))
        #expect(flows.bytes == frameLengths.reduce(0, +))
        #expect(flows.counters["damaged.original_length_below_captured"]?.0 == 1)
    }

    @Test func unsupportedPcapVersion_isReadWithAWarning() throws {
        let (reader, packets) = try CaptureReaderTests.readAll(K.pcapHeader(major: 9, minor: 9)
                                                                + K.pcapRecord(seconds: 1_700_000_000, microseconds: 0, Self.packet))
        #expect(packets.count == 1)
        #expect(reader.warnings == ["pcap version 9.9 in the file header, which libpcap refuses (it reads 2.0 to 2.4); read as 2.4"])
        let (usual, _) = try CaptureReaderTests.readAll(K.pcapHeader(major: 2, minor: 4))
        #expect(usual.warnings.isEmpty)
    }

    @Test func bigTCPIPv4_takesItsLengthFromTheCapture() throws {
        var ip = K.ipv4("10.0.0.1", "10.0.0.2", protocol: 6, K.tcp(40000, 443, flags: 0x10, [UInt8](repeating: 1, count: 3000)))
        ip[2] = 0
        ip[3] = 0  // total length 0, as Linux 6.3+ BIG TCP packets are captured
        let (outcome, summary) = dissect(K.ethernet(type: 0x0800, ip))
        #expect(outcome == .ip && summary.ipLengthFromCapture)
        #expect(summary.ipLength == 20 + 20 + 3000)  // the wire length less the 14-byte Ethernet header
        #expect(summary.sourcePort == 40000 && summary.destinationPort == 443 && summary.tcpFlags == 0x10)
        let directory = try TemporaryDirectory()
        let path = directory.file("big.pcap")
        try K.write(K.pcap([K.ethernet(type: 0x0800, ip), Self.packet]), to: path)
        let flows = try FlowExtraction(windowLengths: [10], version: "test").run(capturePath: path, directory: directory.path)
        #expect(flows.ipPackets == 2 && flows.counters["ipv4_length_from_capture"]?.0 == 1)
        #expect(flows.counters.keys.allSatisfy { !$0.hasPrefix("damaged.") }, "\(flows.counters)")
    }

    @Test func longIPv6ExtensionChain_countsByTheFixedHeader() throws {
        // 100 destination-options headers of 8 bytes each, then UDP.
        var chain: [UInt8] = []
        for index in 0..<100 { chain += [index == 99 ? 17 : 60, 0, 1, 4, 0, 0, 0, 0] }
        let source: [UInt8] = [0xFD, 0] + [UInt8](repeating: 0, count: 13) + [1]
        let destination: [UInt8] = [0xFD, 0] + [UInt8](repeating: 0, count: 13) + [2]
        let (outcome, summary) = dissect(K.ethernet(type: 0x86DD, K.ipv6(source, destination, next: 60, chain + K.udp(5353, 53))))
        #expect(outcome == .ip && summary.extensionChainCut)
        #expect(summary.source.description == "fd00::1" && summary.destination.description == "fd00::2")
        #expect(summary.ipProtocol == 60 && summary.sourcePort == 0)
        // A short chain is followed to the transport as before.
        let (_, short) = dissect(K.ethernet(type: 0x86DD, K.ipv6(source, destination, next: 60, Array(chain.suffix(8)) + K.udp(5353, 53))))
        #expect(!short.extensionChainCut && short.ipProtocol == 17 && short.destinationPort == 53)
    }

    /// tshark's view of a capture's frames, one tab-separated line each.
    static func tsharkFrames(_ path: String, fields: [String] = ["frame.time_epoch", "frame.len", "frame.cap_len", "ip.src"]) throws -> [String] {
        let result = try CrossCheck.run("tshark", ["-r", path, "-T", "fields"] + fields.flatMap { ["-e", $0] })
        return result.output.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("Running as") }
    }
}
