import Foundation
import Testing
import SystemSupport
@testable import Table

@Suite struct RoundTripTests {
    static let allTypes = try! Schema([
        Field("flag", .bool), Field("small", .int32), Field("big", .int64), Field("x", .double),
        Field("name", .string), Field("blob", .binary), Field("ts", .timestamp),
        Field("flag_n", .bool, nullable: true), Field("small_n", .int32, nullable: true),
        Field("big_n", .int64, nullable: true), Field("x_n", .double, nullable: true),
        Field("name_n", .string, nullable: true), Field("blob_n", .binary, nullable: true),
        Field("ts_n", .timestamp, nullable: true),
    ])

    /// Rows with the awkward values: extremes, NaN, infinities, -0.0, empty and non-ASCII strings.
    static func edgeCaseBatch() throws -> TableBatch {
        let flags = [true, false, true, false, true, true]
        let smalls: [Int32] = [.min, .max, 0, -1, 1, 42]
        let bigs: [Int64] = [.min, .max, 0, -1, 1, 1 << 53 + 1]
        let doubles: [Double] = [.nan, .infinity, -.infinity, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        let names = ["", "ascii", "grüße", "日本語のテキスト", "emoji 🧪🚀", String(repeating: "long ", count: 2000)]
        let blobs: [[UInt8]] = [[], [0], [0, 255, 0], Array(0...255), [0xC3, 0x28], [1, 2, 3]]
        // Timestamps span the calendar's years 1 to 9999: DuckDB reads INT64's extremes as ±infinity.
        let stamps: [Int64] = [-62_135_596_800_000_000, 253_402_300_799_999_999, 0, 1_764_400_000_123_456, -1, 86_400_000_000]
        let valid = [true, false, true, false, false, true]
        return try TableBatch(schema: allTypes, columns: [
            ColumnArray(flags), ColumnArray(smalls), ColumnArray(bigs), ColumnArray(doubles), ColumnArray(names),
            ColumnArray(binary: blobs), ColumnArray(.int64(stamps)),
            ColumnArray(.bool(flags), validity: valid), ColumnArray(.int32(smalls), validity: valid),
            ColumnArray(.int64(bigs), validity: valid), ColumnArray(.double(doubles), validity: valid),
            ColumnArray(.byteArray(ByteArrayColumn(names)), validity: valid),
            ColumnArray(.byteArray(ByteArrayColumn(binary: blobs)), validity: valid),
            ColumnArray(.int64(stamps), validity: valid),
        ])
    }

    @Test func edgeCases_roundTripExactly() throws {
        let directory = try TemporaryDirectory()
        try roundTrip(Self.edgeCaseBatch(), at: directory.file("edge.parquet"))
    }

    @Test func zeroRows_roundTrip() throws {
        let directory = try TemporaryDirectory()
        let empty = try TableBatch(schema: Self.allTypes, columns: Self.allTypes.fields.map { ColumnArray.empty(of: $0.type) })
        let back = try roundTrip(empty, at: directory.file("empty.parquet"))
        #expect(back.rowCount == 0)
        #expect(try TableReader(path: directory.file("empty.parquet")).rowGroupCount == 0)
    }

    @Test func oneRow_roundTrips() throws {
        let directory = try TemporaryDirectory()
        let schema = try Schema([Field("a", .int64), Field("s", .string, nullable: true)])
        let batch = try TableBatch(schema: schema, columns: [ColumnArray([Int64(7)]), ColumnArray([String?.none])])
        try roundTrip(batch, at: directory.file("one.parquet"))
    }

    @Test func allNullColumn_roundTrips() throws {
        let directory = try TemporaryDirectory()
        let schema = try Schema([Field("x", .double, nullable: true, sortKey: true)])
        let batch = try TableBatch(schema: schema, columns: [ColumnArray(Array(repeating: Double?.none, count: 1000))])
        try roundTrip(batch, at: directory.file("nulls.parquet"))
    }

    /// Millions of rows over many row groups and pages, written in several batches, read back both
    /// whole and one row group at a time.
    @Test func millionsOfRows_spanManyRowGroups() throws {
        let directory = try TemporaryDirectory()
        let schema = try Schema([Field("i", .int64, sortKey: true), Field("d", .double, nullable: true),
                                 Field("s", .string), Field("b", .bool)])
        let rows = 2_000_000
        var generator = SplitMix64(state: 1)
        let ints = (0..<Int64(rows)).map { $0 * 3 - 1_000_000 }
        let doubles = (0..<rows).map { _ in Double(generator.next() % 1_000_000) / 7 }
        let validity = (0..<rows).map { $0 % 11 != 0 }
        let strings = ByteArrayColumn((0..<rows).map { "pod-\($0 % 977)" })
        let bools = (0..<rows).map { $0 % 3 == 0 }
        let path = directory.file("big.parquet")
        let writer = try TableWriter(path: path, schema: schema,
                                     options: WriterOptions(pageSize: 64 << 10, rowGroupRows: 300_000))
        // Five batches of unequal size, so batch and row-group boundaries do not line up.
        var start = 0
        for size in [1, 499_999, 700_000, 300_000, 500_000] {
            let range = start..<(start + size)
            try writer.write(TableBatch(schema: schema, columns: [
                ColumnArray(Array(ints[range])),
                ColumnArray(.double(Array(doubles[range])), validity: Array(validity[range])),
                ColumnArray(.byteArray(ByteArrayColumn(range.map { strings.string(at: $0) }))),
                ColumnArray(Array(bools[range])),
            ]))
            start += size
        }
        try writer.close()

        let reader = try TableReader(path: path)
        #expect(reader.rowCount == rows)
        #expect(reader.rowGroupCount == 7)
        var seen = 0
        for group in 0..<reader.rowGroupCount {
            let batch = try reader.readRowGroup(group, columns: ["s", "i"])
            #expect(batch.schema.names == ["s", "i"])
            let range = seen..<(seen + batch.rowCount)
            #expect(batch["i"]!.int64s == Array(ints[range]))
            #expect(batch["s"]!.byteArrays.strings == range.map { strings.string(at: $0) })
            seen += batch.rowCount
        }
        #expect(seen == rows)
        let all = try reader.readAll(columns: ["d", "b"])
        #expect(sameRows(all["d"]!, ColumnArray(.double(doubles), validity: validity)))
        #expect(all["b"]!.bools == bools)
    }

    @Test func sameInput_givesIdenticalBytes() throws {
        let directory = try TemporaryDirectory()
        let provenance = try Provenance(stage: "flows", version: "1", schemaVersion: 1, params: .object(["seed": .int(7)]))
        for name in ["a.parquet", "b.parquet"] {
            let writer = try TableWriter(path: directory.file(name), schema: Self.allTypes, metadata: provenance.keyValues)
            try writer.write(Self.edgeCaseBatch())
            try writer.close()
        }
        let a = try Data(contentsOf: URL(fileURLWithPath: directory.file("a.parquet")))
        let b = try Data(contentsOf: URL(fileURLWithPath: directory.file("b.parquet")))
        #expect(a == b)
    }

    @Test func compressionLevel_changesSizeNotContent() throws {
        let directory = try TemporaryDirectory()
        let schema = try Schema([Field("s", .string)])
        let batch = try TableBatch(schema: schema, columns: [ColumnArray((0..<50_000).map { "service-\($0 % 50)" })])
        try roundTrip(batch, at: directory.file("fast.parquet"), options: WriterOptions(compressionLevel: 1))
        try roundTrip(batch, at: directory.file("small.parquet"), options: WriterOptions(compressionLevel: 19))
        let fast = try FileManager.default.attributesOfItem(atPath: directory.file("fast.parquet"))[.size] as! Int
        let small = try FileManager.default.attributesOfItem(atPath: directory.file("small.parquet"))[.size] as! Int
        #expect(small < fast)
    }
}

@Suite struct WriterContractTests {
    @Test func unclosedWriter_leavesNoFile() throws {
        let directory = try TemporaryDirectory()
        do {
            let writer = try TableWriter(path: directory.file("t.parquet"), schema: Schema([Field("a", .int64)]))
            try writer.write(TableBatch(schema: writer.schema, columns: [ColumnArray([Int64(1), 2, 3])]))
            #expect(directory.contents.count == 1)  // only the hidden temporary file
            #expect(directory.contents.first?.hasPrefix(".t.parquet.tmp-") == true)
        }
        #expect(directory.contents.isEmpty)
    }

    @Test func existingFile_isReplacedOnlyOnClose() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("t.parquet")
        let schema = try Schema([Field("a", .int64)])
        try roundTrip(TableBatch(schema: schema, columns: [ColumnArray([Int64(1)])]), at: path)
        let writer = try TableWriter(path: path, schema: schema)
        try writer.write(TableBatch(schema: schema, columns: [ColumnArray([Int64(2), 3])]))
        #expect(try TableReader(path: path).readAll()["a"]!.int64s == [1])
        try writer.close()
        #expect(try TableReader(path: path).readAll()["a"]!.int64s == [2, 3])
    }

    @Test func batchNotMatchingSchema_isRefused() throws {
        let schema = try Schema([Field("a", .int64), Field("b", .string)])
        #expect(throws: TableError.invalidInput("the batch has 1 columns, the schema 2")) {
            try TableBatch(schema: schema, columns: [ColumnArray([Int64(1)])])
        }
        #expect(throws: TableError.invalidInput("column 'b' is string, the batch holds other values")) {
            try TableBatch(schema: schema, columns: [ColumnArray([Int64(1)]), ColumnArray([Int64(1)])])
        }
        #expect(throws: TableError.invalidInput("column 'b' has 2 rows, the first column 1")) {
            try TableBatch(schema: schema, columns: [ColumnArray([Int64(1)]), ColumnArray(["x", "y"])])
        }
        #expect(throws: TableError.invalidInput("column 'a' is not nullable but the batch has nulls in it")) {
            try TableBatch(schema: schema, columns: [ColumnArray([Int64?.none]), ColumnArray(["x"])])
        }
        #expect(throws: TableError.invalidInput("column name 'a' appears twice in the schema")) {
            try Schema([Field("a", .int64), Field("a", .int32)])
        }
    }

    @Test func missingDirectory_isAnIOError() throws {
        #expect {
            try TableWriter(path: "/nonexistent-mimir-dir/t.parquet", schema: Schema([Field("a", .int64)]))
        } throws: { error in
            guard case let .io(path, _, errno)? = error as? FileError else { return false }
            return path == "/nonexistent-mimir-dir/t.parquet" && errno == ENOENT
        }
    }
}
