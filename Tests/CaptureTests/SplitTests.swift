import Foundation
import Testing
@testable import Capture
import Contract
import SystemSupport
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

    /// The index gives each shard as bytes of the capture: after the 24-byte file header, records of
    /// 16 + 60 bytes, four in shard 0, three in shard 1, none in the empty shards (an empty range where
    /// the last one ended), one in each of the rest. No shard file is written.
    @Test func index_givesEachShardAsBytesOfTheCapture() throws {
        let directory = try TemporaryDirectory()
        let out = try TemporaryDirectory()
        let capture = try Self.capture(in: directory)
        _ = try CaptureSplit(mode: .interval(nanoseconds: 10 * Self.second), index: true, version: "test").run(capturePath: capture, directory: out.path)
        let table = try TableReader(path: out.file("shards.parquet"))
        let columns = try table.readAll()
        #expect(columns["offset"]!.int64s == [24, 328, 556, 556, 556, 632, 708])
        #expect(columns["length"]!.int64s == [304, 228, 0, 0, 76, 76, 76])
        #expect(columns["header"]!.byteArrays.strings == Array(repeating: "0+24", count: 7))
        #expect((0..<7).allSatisfy { columns["file_name"]!.isNull($0) })
        #expect(table.metadata[key: SplitTable.inputSizeKey] == "784")
        #expect(table.metadata[key: SplitTable.inputKey] == RelativePath.of(capture, from: out.path))
        #expect(table.metadata[key: SplitTable.inputKey]?.hasPrefix("../") == true && table.metadata[key: SplitTable.inputKey]?.hasSuffix("/t.pcap") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["shards.parquet"])
        // Read back through the ranges, the shards hold editcap's packets.
        let shards = try (0..<7).map { shard in
            var markers: [Int] = []
            let range = CaptureRange(header: [0..<24], body: Int(columns["offset"]!.int64s[shard])..<Int(columns["offset"]!.int64s[shard] + columns["length"]!.int64s[shard]))
            try CaptureReader(path: capture, range: range).read { markers.append(Int($0.data[0])) }
            return markers
        }
        #expect(shards == Self.expectedShards)
        // A range cannot leave packets out, and a range past the file's end means the file changed.
        #expect(throws: CaptureError.self) {
            try CaptureSplit(mode: .count(packets: 3), start: 105 * Self.second, index: true, version: "test").run(capturePath: capture, directory: out.path)
        }
        #expect(throws: CaptureError.self) { try CaptureReader(path: capture, range: CaptureRange(header: [0..<24], body: 700..<800)) }
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

    /// An index's shards, read as ranges of the capture, are the bytes of the shard files a split into
    /// files writes (which editcap checks above): pcap and pcapng, two sections whose interfaces
    /// change, by time and by count; and flows counts the same from either. A compressed capture is
    /// cut into files all the same.
    @Test(.needs(FlowOracleTests.available, "needs the Python environment (make venv)"))
    func index_holdsTheBytesOfTheShardFiles() throws {
        let (directory, names) = try #require(FlowOracleTests.captures, "make_captures.py failed")
        for name in names where !name.hasSuffix(".zst") && !name.hasSuffix(".gz") {
            let capture = directory.file(name), bytes = try Data(contentsOf: URL(fileURLWithPath: directory.file(name)))
            for mode in [CaptureSplit.Mode.interval(nanoseconds: 7_000_000_000), .count(packets: 250)] {
                let files = try TemporaryDirectory(), index = try TemporaryDirectory()
                _ = try CaptureSplit(mode: mode, version: "test").run(capturePath: capture, directory: files.path)
                _ = try CaptureSplit(mode: mode, index: true, version: "test").run(capturePath: capture, directory: index.path)
                let fileTable = try TableReader(path: files.file("shards.parquet")).readAll(), indexTable = try TableReader(path: index.file("shards.parquet")).readAll()
                let shardFiles = fileTable["file_name"]!.byteArrays.strings
                try #require(indexTable.rowCount == shardFiles.count && shardFiles.count > 1, "\(name)")
                let origin = fileTable["origin"]!.int64s[0] * 1000
                for (shard, file) in shardFiles.enumerated() {
                    let header = try #require(CaptureRange.ranges(indexTable["header"]!.byteArrays.string(at: shard)))
                    let offset = Int(indexTable["offset"]!.int64s[shard]), length = Int(indexTable["length"]!.int64s[shard])
                    let range = CaptureRange(header: header, body: offset..<offset + length)
                    let pieces = range.pieces.reduce(Data()) { $0 + bytes[$1] }
                    #expect(pieces == (try Data(contentsOf: URL(fileURLWithPath: files.file(file)))), "\(name) shard \(shard)")
                    if shard < 3 {
                        let fromFile = try TemporaryDirectory(), fromRange = try TemporaryDirectory()
                        _ = try FlowExtraction(windowLengths: [10], origin: origin, version: "test").run(capturePath: files.file(file), directory: fromFile.path)
                        _ = try FlowExtraction(windowLengths: [10], origin: origin, version: "test")
                            .run(capturePath: capture, range: range, directory: fromRange.path)
                        for table in ["pairs.parquet", "flows.parquet", "summary.parquet"] {
                            #expect(FileManager.default.contentsEqual(atPath: fromFile.file(table), andPath: fromRange.file(table)), "\(name) \(shard) \(table)")
                        }
                    }
                }
            }
        }
        let compressed = try TemporaryDirectory()
        _ = try CaptureSplit(mode: .interval(nanoseconds: 7_000_000_000), index: true, version: "test")
            .run(capturePath: directory.file("sll2-ns-le.pcap.gz"), directory: compressed.path)
        let table = try TableReader(path: compressed.file("shards.parquet")).readAll()
        #expect(table["file_name"]!.byteArrays.strings.allSatisfy { $0.hasPrefix("shard-") } && table["offset"]!.isNull(0))
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
