import Foundation
import Testing
import TestSupport
@testable import Capture

/// mimir-merge against mergecap on captures whose packets interleave: ties between inputs (mergecap
/// writes the last input's first; found by this test, the first input's had been assumed), a packet out
/// of order within an input, an empty input, packets cut by the snap length, and (pcapng only) a
/// second link type. The script reads both outputs with scapy.
@Suite struct MergeOracleTests {
    typealias K = PacketKit
    static let binary = CrossCheck.packageRoot + "/.build/debug/mimir-merge"
    static let ready = FileManager.default.isExecutableFile(atPath: binary) && CrossCheck.hasCommand("mergecap")
        && CrossCheck.python != nil

    static let start: Int64 = 1_764_400_000_000_000_000

    static func frames(_ count: Int, size: Int) -> [[UInt8]] {
        (0..<count).map { index in
            K.ethernet(type: 0x0800, K.ipv4("10.0.\(size % 250).\(index + 1)", "10.1.0.\(index + 1)", protocol: 17,
                                            K.udp(1000 + index, 53, [UInt8](repeating: UInt8(index), count: size + index))))
        }
    }

    /// The inputs, each written by PacketKit (microsecond pcap): the milliseconds of their packets.
    static func writeInputs(in directory: TemporaryDirectory, secondLinkType: Bool) throws -> [String] {
        let ms = { (values: [Int64]) in values.map { start + $0 * 1_000_000 } }
        var inputs: [(String, [UInt8])] = [
            ("a.pcap", K.pcap(frames(6, size: 10), times: ms([0, 3, 3, 7, 5, 9]))),
            ("b.pcap", K.pcap(frames(4, size: 30), times: ms([1, 3, 8, 20]))),
            ("empty.pcap", K.pcap([])),
            ("cut.pcap", K.pcap(frames(2, size: 200), times: ms([2, 4]), snapLength: 60)),
        ]
        if secondLinkType {
            let sll2 = frames(2, size: 50).map { [0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6] + [UInt8](repeating: 0, count: 8) + Array($0.dropFirst(14)) }
            inputs.append(("sll2.pcap", K.pcap(sll2, linkType: 276, times: ms([6, 10]))))
        }
        return try inputs.map { name, bytes in
            try K.write(bytes, to: directory.file(name))
            return directory.file(name)
        }
    }

    @Test(.needs(ready, "needs mimir-merge (swift build), mergecap and the Python environment (scapy)"))
    func merged_equalsMergecap_inPcapngAndPcap() throws {
        let directory = try TemporaryDirectory()
        for (format, secondLinkType) in [("pcapng", true), ("pcap", false)] {
            let inputs = try Self.writeInputs(in: directory, secondLinkType: secondLinkType)
            let out = directory.file("merged.\(format)")
            let (status, output) = try CrossCheck.run(Self.binary, inputs + ["--out", out, "--format", format])
            #expect(status == 0, "\(output)")
            #expect(output.contains("mimir-merge: \(secondLinkType ? 14 : 12) packets (6 from"), "\(output)")
            let check = try CrossCheck.runScript("check_merge_with_mergecap.py", [out, format] + inputs)
            #expect(check.status == 0, "\(format): \(check.output)")
        }
    }

    @Test(.needs(ready, "needs mimir-merge (swift build), mergecap and the Python environment (scapy)"))
    func twoLinkTypesIntoPcap_isRefusedAndLeavesNoFile() throws {
        let directory = try TemporaryDirectory()
        let inputs = try Self.writeInputs(in: directory, secondLinkType: true)
        let out = directory.file("merged.pcap")
        let (status, output) = try CrossCheck.run(Self.binary, inputs + ["--out", out, "--format", "pcap"])
        #expect(status == 2, "\(output)")
        #expect(output.contains("mimir-merge: error: a pcap file holds one link type: \(directory.file("sll2.pcap")) has LINUX_SLL2 packets"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(directory.contents.filter { $0.hasPrefix(".merged") }.isEmpty, "\(directory.contents)")
    }
}
