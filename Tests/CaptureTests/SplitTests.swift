import Foundation
import Testing
@testable import Capture
@testable import Table

@Suite struct SplitTests {
    typealias K = PacketKit
    static let second: Int64 = 1_000_000_000

    /// Packets at 100.5, 105, 110.5 (exactly t0 + T: stays in shard 0, as with editcap), 110.4999
    /// (out of order), 115, 120.5, 107 (out of order: stays where it arrives), 150.2 (two empty
    /// shards before it), 160.5, 160.6. The expected shards are what editcap 4.0 writes for -i 10.
    static let times: [Int64] = [100_500_000, 105_000_000, 110_500_000, 110_499_900, 115_000_000, 120_500_000,
                                 107_000_000, 150_200_000, 160_500_000, 160_600_000].map { $0 * 1000 }
    static let expectedShards: [[Int]] = [[0, 1, 2, 3], [4, 5, 6], [], [], [7], [8], [9]]

    static func capture(in directory: TemporaryDirectory) throws -> String {
        let packets = (0..<times.count).map { [UInt8](repeating: UInt8($0), count: 60) }
        let path = directory.file("t.pcap")
        try K.write(K.pcap(packets, times: times), to: path)
        return path
    }

    static func shardContents(_ directory: String, _ names: [String]) throws -> [[Int]] {
        try names.map { name in
            var markers: [Int] = []
            try CaptureReader(path: directory + "/" + name).read { markers.append(Int($0.data[0])) }
            return markers
        }
    }

    @Test func interval_followsEditcapsBoundaries() throws {
        let directory = try TemporaryDirectory()
        let out = try TemporaryDirectory()
        let split = CaptureSplit(mode: .interval(nanoseconds: 10 * Self.second), version: "test")
        let report = try split.run(capturePath: try Self.capture(in: directory), directory: out.path)
        #expect(report.shards == 7 && report.packetsWritten == 10)
        #expect(report.counters.entries["out_of_order"]?.count == 2)
        let table = try TableReader(path: out.file("shards.parquet")).readAll()
        let names = table["file_name"]!.byteArrays.strings
        #expect(names == (0..<7).map { "shard-0000\($0).pcap" })
        #expect(try Self.shardContents(out.path, names) == Self.expectedShards)
        #expect(table["packets"]!.int64s == [4, 3, 0, 0, 1, 1, 1])
        #expect(table["window_index"]!.int64s == [0, 1, 2, 3, 4, 5, 6])
        #expect(table["origin"]!.int64s.allSatisfy { $0 == 100_500_000 })
        #expect(table["window_start"]!.int64s == [100_500_000, 110_500_000, 120_500_000, 130_500_000, 140_500_000, 150_500_000, 160_500_000])
        #expect(table["partial"]!.bools == [true, false, false, false, false, false, true])
        #expect(table["first_packet"]!.isNull(2) && table["last_packet"]!.int64s[1] == 107_000_000)
    }

    @Test func skipEmpty_writesOnlyShardsWithPackets() throws {
        let directory = try TemporaryDirectory()
        let out = try TemporaryDirectory()
        let split = CaptureSplit(mode: .interval(nanoseconds: 10 * Self.second), skipEmpty: true, version: "test")
        let report = try split.run(capturePath: try Self.capture(in: directory), directory: out.path)
        #expect(report.shards == 5)
        let table = try TableReader(path: out.file("shards.parquet")).readAll()
        #expect(table["window_index"]!.int64s == [0, 1, 4, 5, 6])
        #expect(try Self.shardContents(out.path, table["file_name"]!.byteArrays.strings) == Self.expectedShards.filter { !$0.isEmpty })
    }

    @Test func countStartAndStop_followEditcap() throws {
        let directory = try TemporaryDirectory()
        let out = try TemporaryDirectory()
        // -A 105 -B 150.2: from 105 inclusive to 150.2 exclusive, in stream order; then -c 2.
        let split = CaptureSplit(mode: .count(packets: 2), start: 105 * Self.second, stop: 150_200_000_000, version: "test")
        let report = try split.run(capturePath: try Self.capture(in: directory), directory: out.path)
        let names = try TableReader(path: out.file("shards.parquet")).readAll()["file_name"]!.byteArrays.strings
        #expect(try Self.shardContents(out.path, names) == [[1, 2], [3, 4], [5, 6]])
        #expect(report.packetsWritten == 6)
    }

    @Test func absurdGap_isRefusedWithAHint() throws {
        let directory = try TemporaryDirectory()
        let out = try TemporaryDirectory()
        let path = directory.file("gap.pcap")
        try K.write(K.pcap([[1], [2]], times: [1_000 * Self.second, 2_000_000 * Self.second]), to: path)
        let split = CaptureSplit(mode: .interval(nanoseconds: Self.second), version: "test")
        #expect {
            try split.run(capturePath: path, directory: out.path)
        } throws: { error in
            "\(error)".contains("--skip-empty") && "\(error)".contains("1998998 empty shards")
        }
        #expect(!out.contents.contains("shards.parquet"))
        let skipping = CaptureSplit(mode: .interval(nanoseconds: Self.second), skipEmpty: true, version: "test")
        #expect(try skipping.run(capturePath: path, directory: out.path).shards == 2)
    }

    @Test func align_startsShardsAtEpochMultiples() throws {
        let directory = try TemporaryDirectory()
        let out = try TemporaryDirectory()
        let split = CaptureSplit(mode: .interval(nanoseconds: 10 * Self.second), align: true, version: "test")
        _ = try split.run(capturePath: try Self.capture(in: directory), directory: out.path)
        let table = try TableReader(path: out.file("shards.parquet")).readAll()
        #expect(table["origin"]!.int64s.first == 100_000_000)
        #expect(try Self.shardContents(out.path, table["file_name"]!.byteArrays.strings).first == [0, 1])
    }
}

/// mimir-split against editcap, and split with flows against flows alone.
@Suite(.serialized) struct SplitOracleTests {
    static let available = FlowOracleTests.available && CrossCheck.hasCommand("editcap")

    @Test(.needs(available, "needs the Python environment (make venv), tshark and editcap"))
    func shards_holdWhatEditcapsHold() throws {
        let (directory, names) = try #require(FlowOracleTests.captures, "make_captures.py failed")
        // editcap 4.0 cannot split the two-section file (its later interfaces change link type) and
        // does not read zstd; both are covered by the tests below.
        for name in names where !name.hasSuffix(".zst") && !name.hasPrefix("mixed") {
            for (flag, value, mode) in [("-i", "10", CaptureSplit.Mode.interval(nanoseconds: 10_000_000_000)),
                                        ("-i", "3.5", .interval(nanoseconds: 3_500_000_000)), ("-c", "250", .count(packets: 250))] {
                let out = try TemporaryDirectory()
                _ = try CaptureSplit(mode: mode, version: "test").run(capturePath: directory.file(name), directory: out.path)
                let (status, output) = try CrossCheck.runScript("check_split_with_editcap.py",
                                                                [directory.file(name), out.path, flag, value])
                #expect(status == 0, "\(name) \(flag) \(value): \(output)")
            }
        }
    }

    /// A stored capture's records are copied by the kernel, a compressed one's through memory: both
    /// give the same shards, byte for byte.
    @Test(.needs(FlowOracleTests.available, "needs the Python environment (make venv)"))
    func compressedCapture_splitsIntoTheSameBytes() throws {
        let (directory, _) = try #require(FlowOracleTests.captures, "make_captures.py failed")
        for (stored, compressed) in [("sll2-ns-le.pcap", "sll2-ns-le.pcap.gz"), ("ethernet-us-le.pcap", "ethernet-us-le.pcap.zst"),
                                     ("one-section.pcapng", "one-section-pcapng.gz")] {
            var shards: [[Data]] = []
            for name in [stored, compressed] {
                let out = try TemporaryDirectory()
                _ = try CaptureSplit(mode: .interval(nanoseconds: 7_000_000_000), version: "test")
                    .run(capturePath: directory.file(name), directory: out.path)
                let names = try TableReader(path: out.file("shards.parquet")).readAll()["file_name"]!.byteArrays.strings
                shards.append(try names.map { try Data(contentsOf: URL(fileURLWithPath: out.file($0))) })
            }
            #expect(shards[0].count > 3 && shards[0] == shards[1], "\(compressed)")
        }
    }

    /// Flows on each shard, with the origin split wrote, sum to flows on the whole capture: every
    /// shard agrees on window indices (ARCHITECTURE.md, "Time and windows").
    @Test(.needs(FlowOracleTests.available, "needs the Python environment (make venv)"))
    func flowsOfShards_sumToFlowsOfTheWhole() throws {
        let (directory, _) = try #require(FlowOracleTests.captures, "make_captures.py failed")
        for name in ["mixed.pcapng", "ethernet-us-le.pcap.zst"] {
            let whole = try TemporaryDirectory()
            _ = try FlowExtraction(windowLengths: [10, 60], version: "test").run(capturePath: directory.file(name), directory: whole.path)
            let shards = try TemporaryDirectory()
            _ = try CaptureSplit(mode: .interval(nanoseconds: 60_000_000_000), version: "test")
                .run(capturePath: directory.file(name), directory: shards.path)
            let table = try TableReader(path: shards.file("shards.parquet")).readAll()
            let origin = table["origin"]!.int64s[0] * 1000
            var summed: [String: Int64] = [:]
            for file in table["file_name"]!.byteArrays.strings {
                let out = try TemporaryDirectory()
                _ = try FlowExtraction(windowLengths: [10, 60], origin: origin, version: "test")
                    .run(capturePath: shards.file(file), directory: out.path)
                for (key, bytes) in try Self.pairBytes(out.file("pairs.parquet")) { summed[key, default: 0] += bytes }
            }
            let expected = try Self.pairBytes(whole.file("pairs.parquet"))
            #expect(summed == expected, "\(name)")
            #expect(expected.count > 100)
        }
    }

    static func pairBytes(_ path: String) throws -> [String: Int64] {
        let table = try TableReader(path: path).readAll()
        var result: [String: Int64] = [:]
        let lengths = table["window_len_s"]!.int32s, indices = table["window_index"]!.int64s
        let sources = table["src"]!.byteArrays, destinations = table["dst"]!.byteArrays, bytes = table["bytes"]!.int64s
        for row in 0..<table.rowCount {
            result["\(lengths[row]) \(indices[row]) \(sources.string(at: row)) \(destinations.string(at: row))", default: 0] += bytes[row]
        }
        return result
    }
}
