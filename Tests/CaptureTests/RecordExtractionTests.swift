import Foundation
import Testing
import TestSupport
@testable import Capture
import Contract
import Table

/// mimir-records' tables: a record's packets and bytes spread over the windows it overlaps, worked
/// out by hand, and what the tables record about themselves.
@Suite struct RecordExtractionTests {
    typealias K = IPFIXKit

    /// Rows of a table as dictionaries, in file order.
    static func rows(_ path: String) throws -> [[String: Any]] {
        let columns = try TableReader(path: path).readAllTyped()
        return (0..<columns.rowCount).map { row in
            var values: [String: Any] = [:]
            for (index, field) in columns.batch.schema.fields.enumerated() {
                let column = columns.batch.columns[index]
                if column.validity?[row] == false { continue }
                switch column.values {
                case let .int64(v): values[field.name] = v[row]
                case let .int32(v): values[field.name] = v[row]
                case let .byteArray(v): values[field.name] = v.string(at: row)
                case let .bool(v): values[field.name] = v[row]
                case let .double(v): values[field.name] = v[row]
                }
            }
            return values
        }
    }

    @Test func aRecordSpanningWindows_isSpreadInProportionToTime() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("records.ipfix")
        // From 5 s to 25 s after the origin: 10 packets, 1000 bytes over windows [0,10) [10,20) [20,30).
        // Packet j at 5 + floor((2j + 1) 20 / 20) = 6, 8, 10, ..., 24 s: 2, 5 and 3 packets; bytes
        // round(1000 J / 10) through the J-th: 200, 700, 1000, so 200, 500 and 300.
        // A second record inside window 1 counts whole there.
        let origin: UInt64 = 1_800_000_000_000
        try Data(K.message(sequence: 0, K.template(256, K.flowFields),
                           K.set(256, K.flow(K.a, K.b, startMs: origin + 5000, endMs: origin + 25000, packets: 10, octets: 1000)
                                 + K.flow(K.b, K.a, ports: (80, 40000), startMs: origin + 12000, endMs: origin + 13000, packets: 4, octets: 400))))
            .write(to: URL(fileURLWithPath: path))
        let out = directory.file("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let report = try RecordExtraction(windowLengths: [10, 60], origin: Int64(origin) * 1_000_000, version: "test")
            .run(recordsPaths: [path], directory: out)
        #expect(report.records == 2 && report.packets == 14 && report.ipBytes == 1400)
        let pairs = try Self.rows(out + "/pairs.parquet").map {
            "\($0["window_len_s"]!) \($0["window_index"]!) \($0["src"]!) \($0["packets"]!) \($0["ip_bytes"]!) \($0["bytes"] ?? "null")"
        }
        #expect(Set(pairs) == ["10 0 10.0.0.1 2 200 null", "10 1 10.0.0.1 5 500 null", "10 1 10.0.0.2 4 400 null",
                               "10 2 10.0.0.1 3 300 null", "60 0 10.0.0.1 10 1000 null", "60 0 10.0.0.2 4 400 null"])
        // Each window's part of the flow spans the record clipped to the window (microseconds).
        let flows = try Self.rows(out + "/flows.parquet").filter { $0["window_len_s"] as? Int32 == 10 && $0["src"] as? String == "10.0.0.1" }
        let start = Int64(origin) * 1000
        #expect(flows.map { [$0["first_seen"] as! Int64 - start, $0["last_seen"] as! Int64 - start] }
                == [[5_000_000, 9_999_999], [10_000_000, 19_999_999], [20_000_000, 25_000_000]])
        let metadata = try TableReader(path: out + "/pairs.parquet").metadata
        #expect(metadata[key: "mimir.stage"] == "records")
        #expect(metadata[key: Observation.key] == #"{"nodes":[],"source":"records"}"#)
    }

    @Test func theEarliestStart_anywhereInTheFile_isTheOrigin_andNothingElseIsLeft() throws {
        // Two records of one flow inside one window, then a record that starts earlier than both (a
        // later message): the origin O is its start, 5 s after `base`, and windows count from it.
        // Relative to O: A 7-8 s (4 packets, 400 bytes), B 8.5-9.5 s (2, 100), both 10.0.0.2 -> .1;
        // C 0-20 s (10 packets, 1000 bytes, .1 -> .2), packets at 1, 3, ..., 19 s: 5 and 5, bytes
        // round(1000 J / 10): 500 and 500.
        let directory = try TemporaryDirectory()
        let path = directory.file("records.ipfix")
        let base: UInt64 = 1_800_000_000_000
        try Data(K.message(sequence: 0, K.template(256, K.flowFields),
                           K.set(256, K.flow(K.b, K.a, ports: (80, 40000), startMs: base + 12000, endMs: base + 13000, packets: 4, octets: 400)
                                 + K.flow(K.b, K.a, ports: (80, 40000), startMs: base + 13500, endMs: base + 14500, packets: 2, octets: 100)))
                 + K.message(sequence: 2, K.set(256, K.flow(K.a, K.b, startMs: base + 5000, endMs: base + 25000, packets: 10, octets: 1000))))
            .write(to: URL(fileURLWithPath: path))
        let expected: Set = ["10 0 10.0.0.1 5 500", "10 1 10.0.0.1 5 500", "10 0 10.0.0.2 6 500", "60 0 10.0.0.1 10 1000", "60 0 10.0.0.2 6 500"]
        let origin = Int64(base + 5000) * 1_000_000
        for given in [nil, origin] {
            let out = directory.file(given == nil ? "found" : "given")
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let report = try RecordExtraction(windowLengths: [10, 60], origin: given, version: "test").run(recordsPaths: [path], directory: out)
            #expect(report.origin == origin && report.records == 3)
            let pairs = try Self.rows(out + "/pairs.parquet").map {
                "\($0["window_len_s"]!) \($0["window_index"]!) \($0["src"]!) \($0["packets"]!) \($0["ip_bytes"]!)"
            }
            #expect(Set(pairs) == expected, "origin \(given == nil ? "found" : "given")")
            // The records waited in a scratch file that has no name: only the tables are there.
            #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == ["flows.parquet", "pairs.parquet", "summary.parquet"])
        }
    }

    @Test func aRecordThatIsNotCounted_doesNotSetTheOrigin() throws {
        // Found comparing with the two-pass reader on the fuzz corpus: its first pass took the start of
        // a record it then refused (a counter beyond 2^63), and the windows started there.
        let directory = try TemporaryDirectory()
        let path = directory.file("records.ipfix")
        let base: UInt64 = 1_800_000_000_000
        try Data(K.message(sequence: 0, K.template(256, K.flowFields),
                           K.set(256, K.flow(K.a, K.b, startMs: base, endMs: base, packets: UInt64(Int64.max) + 1, octets: 1)
                                 + K.flow(K.a, K.b, startMs: base + 100_000, endMs: base + 101_000, packets: 2, octets: 100))))
            .write(to: URL(fileURLWithPath: path))
        let report = try RecordExtraction(windowLengths: [10], version: "test").run(recordsPaths: [path], directory: directory.path)
        #expect(report.counters["damaged.record_counter_out_of_range"]?.value == 1 && report.records == 1)
        #expect(report.origin == Int64(base + 100_000) * 1_000_000)
    }

    @Test func packetsArePlacedEvenly_andOnlyTheirWindowsGetRows() throws {
        // Three packets over 30 s: at floor((2j + 1) 30 / 6) = 5, 15, 25 s.
        let spread = RecordSpread(start: 0, span: 30_000_000_000, packets: 3)
        #expect((0..<3).map { spread.time(ofPacket: $0) } == [5_000_000_000, 15_000_000_000, 25_000_000_000])
        #expect([0, 5_000_000_000, 5_000_000_001, 15_000_000_001, 30_000_000_000].map { spread.packets(before: $0) } == [0, 0, 1, 2, 3])
        // No overflow at the extremes, and the two agree: packet j lies before its time + 1, not before its time.
        let huge = RecordSpread(start: 0, span: .max, packets: .max)
        for j: Int64 in [0, 1, 1 << 40, .max - 1] {
            let time = huge.time(ofPacket: j)
            #expect(huge.packets(before: time) == j && huge.packets(before: time + 1) == j + 1)
        }
        // Two packets over 1,000 windows of 1 s: two rows, not a thousand.
        let directory = try TemporaryDirectory()
        let path = directory.file("long.ipfix")
        try Data(K.message(sequence: 0, K.template(256, K.flowFields),
                           K.set(256, K.flow(K.a, K.b, startMs: 1_800_000_000_000, endMs: 1_800_001_000_000, packets: 2, octets: 120))))
            .write(to: URL(fileURLWithPath: path))
        _ = try RecordExtraction(windowLengths: [1], version: "test").run(recordsPaths: [path], directory: directory.path)
        #expect(try TableReader(path: directory.file("pairs.parquet")).rowCount == 2)
    }

    @Test func countsPast2To63_areDamage_notATrap() throws {
        // Found by fuzz-records: two records of 2^63 - 1 packets in one window overflowed its sum.
        let directory = try TemporaryDirectory()
        let path = directory.file("huge.ipfix")
        let huge = K.flow(K.a, K.b, startMs: 1_800_000_000_000, endMs: 1_800_000_000_000, packets: UInt64(Int64.max), octets: 1)
        try Data(K.message(sequence: 0, K.template(256, K.flowFields), K.set(256, huge + huge))).write(to: URL(fileURLWithPath: path))
        let report = try RecordExtraction(windowLengths: [10], version: "test").run(recordsPaths: [path], directory: directory.path)
        #expect(report.records == 1 && report.packets == Int64.max)
        #expect(report.counters["damaged.record_total_beyond_2^63"]?.value == 1)
    }

    @Test func aWindowMemoryBudget_writesTheOldestWindowsEarly_andTheSumsStay() throws {
        // Two hours of 10 s windows: a record over all of them first (so every window stays open for
        // it), a short flow in each window in time order, and last a second long record (logged when
        // it ended) reaching back to the first window. Without a budget all 720 windows are open at
        // once; with one of 100 windows' worth, the oldest are written early, the last record opens
        // them again, and the rows of a window and pair still add up to the same counts.
        let directory = try TemporaryDirectory()
        let path = directory.file("day.ipfix")
        let base: UInt64 = 1_800_000_000_000, windows: UInt64 = 720
        var records = [K.flow(K.a, K.b, startMs: base, endMs: base + windows * 10_000, packets: windows, octets: windows * 100)]
        for window in 0..<windows {
            records.append(K.flow(K.b, K.a, ports: (UInt16(1000 + window), 80), startMs: base + window * 10_000 + 1000,
                                  endMs: base + window * 10_000 + 2000, packets: 2, octets: 100))
        }
        records.append(K.flow(K.b, K.a, ports: (9, 9), startMs: base, endMs: base + windows * 10_000, packets: windows / 2, octets: 1000))
        var bytes = K.message(sequence: 0, K.template(256, K.flowFields))
        for start in stride(from: 0, to: records.count, by: 100) {
            bytes += K.message(sequence: UInt32(start), K.set(256, records[start..<min(start + 100, records.count)].flatMap { $0 }))
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        func run(_ name: String, windowMemory: Int) throws -> (RecordExtraction.Report, pairs: [String: [Int64]], flows: [String: [Int64]], rows: Int) {
            let out = directory.file(name)
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let report = try RecordExtraction(windowLengths: [10, 60], version: "test", windowMemory: windowMemory)
                .run(recordsPaths: [path], directory: out)
            func sums(_ table: String, _ key: [String]) throws -> ([String: [Int64]], Int) {
                let rows = try Self.rows(out + "/" + table)
                var sums: [String: [Int64]] = [:]
                for row in rows {
                    let counts = [row["packets"] as! Int64, row["ip_bytes"] as! Int64]
                    let name = key.map { "\(row[$0]!)" }.joined(separator: " ")
                    sums[name] = zip(sums[name] ?? [0, 0], counts).map(+)
                }
                return (sums, rows.count)
            }
            let window = ["window_len_s", "window_index", "src", "dst"]
            let (pairs, rows) = try sums("pairs.parquet", window)
            return (report, pairs, try sums("flows.parquet", window + ["src_port", "dst_port"]).0, rows)
        }
        let whole = try run("whole", windowMemory: .max)
        let budget = 100 * OpenWindowMemory.bytesPerWindow
        let bounded = try run("bounded", windowMemory: budget)
        #expect(whole.0.windowMemoryPeak > 720 * OpenWindowMemory.bytesPerWindow)
        #expect(whole.0.counters["late_windows"] == nil)
        // The budget held, but for the window being opened and the record being counted.
        #expect(bounded.0.windowMemoryPeak <= budget + OpenWindowMemory.bytesPerWindow + 2 * OpenWindowMemory.bytesPerEntry)
        #expect((bounded.0.counters["late_windows"]?.value ?? 0) > 500)
        #expect((bounded.0.counters["windows_written_early"]?.value ?? 0) >= bounded.0.counters["late_windows"]?.value ?? 0)
        #expect(whole.0.counters["windows_written_early"] == nil)
        #expect(bounded.0.warnings.contains { $0.contains("windows were written before") && $0.contains("over 800 KiB") })
        #expect(bounded.rows > whole.rows, "windows written twice have rows twice")
        #expect(bounded.pairs == whole.pairs)
        #expect(bounded.flows == whole.flows)
        #expect(whole.pairs["10 0 10.0.0.1 10.0.0.2"] == [1, 100] && whole.pairs["10 719 10.0.0.2 10.0.0.1"] == [3, 103])
    }

    @Test func shares_addUpExactly_andRoundHalvesUp() {
        #expect(FlowAggregator.share(10, of: 5, in: 20) == 3)
        #expect(FlowAggregator.share(10, of: 20, in: 20) == 10)
        #expect(FlowAggregator.share(7, of: 0, in: 0) == 7)
        // No overflow at the extremes: 2^63 - 1 over a span of 2^62.
        #expect(FlowAggregator.share(.max, of: 1 << 61, in: 1 << 62) == 1 << 62)
    }

    @Test func otherFiles_areRefusedWithWhatTheyAre() throws {
        let directory = try TemporaryDirectory()
        let cases: [(bytes: [UInt8], says: String)] = [
            ([], "the file is empty"),
            ([0, 9, 0, 1, 0, 0, 0, 0], "NetFlow version 9"),
            ([0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0], "packet capture"),
            (Array("hello, flows\n".utf8), "it starts with 68 65 6c"),
        ]
        for (index, item) in cases.enumerated() {
            let path = directory.file("input\(index)")
            try Data(item.bytes).write(to: URL(fileURLWithPath: path))
            #expect {
                _ = try RecordExtraction(windowLengths: [10], version: "test").run(recordsPaths: [path], directory: directory.path)
            } throws: { error in
                "\(error)".contains(path) && "\(error)".contains(item.says)
            }
        }
    }
}
