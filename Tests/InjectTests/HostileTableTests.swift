import Contract
import Foundation
import Table
import Testing
import TestSupport

/// Well-formed Parquet files whose values break the contract, and option values out of range, given to
/// mimir-inject: each must end with exit 3 (2 for an option) naming the file and the column, never
/// with a signal (these cases once ended in SIGILL: a division by zero, an overflow, a trapping read).
@Suite struct HostileTableTests {
    static let binary = CrossCheck.packageRoot + "/.build/debug/mimir-inject"
    static let built = FileManager.default.isExecutableFile(atPath: binary)

    /// A pod-edge table of two windows of 10 s: a pod of `db` sending to `outside`.
    static func podEdges(_ path: String, fields: [Field] = GraphTables.podEdges.fields,
                         change: (inout [ColumnArray]) -> Void = { _ in }) throws {
        var columns: [ColumnArray] = [
            ColumnArray([Int32(10), 10]), ColumnArray([Int64(0), 1]), ColumnArray(.int64([1_764_400_000_000_000, 1_764_400_010_000_000])),
            ColumnArray([false, false]), ColumnArray(["db-0", "db-0"]), ColumnArray(["outside", "outside"]), ColumnArray(["pod", "pod"]),
            ColumnArray(["outside", "outside"]), ColumnArray(["db", "db"]), ColumnArray(["", ""]), ColumnArray([Int64(5), 6]),
            ColumnArray([Int64(500), 600]),
        ]
        change(&columns)
        let schema = try Schema(fields)
        let provenance = try Provenance(stage: GraphTables.stage, version: "2", schemaVersion: GraphTables.schemaVersion, params: .object([:]),
                                        extra: [KeyValue(key: WindowColumns.originKey, value: "1764400000.000000000")])
        let writer = try TableWriter(path: path, schema: schema, metadata: provenance.keyValues)
        try writer.write(TableBatch(schema: schema, columns: columns))
        try writer.close()
    }

    static func replacing(_ name: String, with field: Field) -> [Field] {
        GraphTables.podEdges.fields.map { $0.name == name ? field : $0 }
    }

    static func inject(_ arguments: [String], out: String) throws -> (status: Int32, output: String) {
        try CrossCheck.run(binary, arguments + ["--sensitive", "db", "--rate", "1", "--out", out])
    }

    @Test(.needs(built, "needs the executables (swift build)"))
    func hostilePodEdgeTables_areBadInputNamingTheColumn() throws {
        let directory = try TemporaryDirectory()
        let good = directory.file("good.parquet")
        try Self.podEdges(good)
        let working = try Self.inject(["--pod-edges", good], out: directory.file("out-good"))
        #expect(working.status == 0, "\(working.output)")
        let cases: [(String, String, [Field], (inout [ColumnArray]) -> Void)] = [
            ("zero-length", "column 'window_len_s' holds 0 at row 1", GraphTables.podEdges.fields, { $0[0] = ColumnArray([Int32(10), 0]) }),
            ("lengths-as-strings", "column 'window_len_s' is string, expected int32", Self.replacing(Column.windowLength, with: Field(Column.windowLength, .string)),
             { $0[0] = ColumnArray(["10", "10"]) }),
            ("null-packets", "column 'packets' is null at row 1", Self.replacing(Column.packets, with: Field(Column.packets, .int64, nullable: true)),
             { $0[10] = ColumnArray([Int64(5), nil]) }),
            ("huge-index", "column 'window_index' holds 4611686018427387904 at row 1", GraphTables.podEdges.fields,
             { $0[1] = ColumnArray([Int64(0), 1 << 62]) }),
            ("negative-packets", "column 'packets' holds -6 at row 1", GraphTables.podEdges.fields, { $0[10] = ColumnArray([Int64(5), -6]) }),
            ("unknown-kind", "column 'src_kind' holds 'robot' at row 0", GraphTables.podEdges.fields, { $0[6] = ColumnArray(["robot", "pod"]) }),
        ]
        for (name, message, fields, change) in cases {
            let path = directory.file("\(name).parquet")
            try Self.podEdges(path, fields: fields, change: change)
            let (status, output) = try Self.inject(["--pod-edges", path], out: directory.file("out-\(name)"))
            #expect(status == 3, "\(name): exit \(status): \(output)")
            #expect(output.contains("mimir-inject: error: \(path): \(message)"), "\(name): \(output)")
        }
    }

    /// A truth table whose start and end are given as `type`: a wrong type, or right but not times.
    static func truth(_ path: String, times type: ColumnType, eventID: ColumnType = .int32) throws {
        let schema = try Schema([Field(Column.eventID, eventID), Field(Column.kind, .string), Field("start", type), Field("end", type),
                                 Field("source", .string), Field(Column.path, .string), Field(Column.bytes, .int64)])
        let times: (Int64) -> ColumnArray = { seconds in
            switch type {
            case .double: ColumnArray([Double(seconds)])
            case .timestamp: ColumnArray(.int64([seconds * 1_000_000]))
            default: ColumnArray([seconds])
            }
        }
        let writer = try TableWriter(path: path, schema: schema)
        try writer.write(TableBatch(schema: schema, columns: [
            eventID == .int32 ? ColumnArray([Int32(1)]) : ColumnArray([Int64(1)]), ColumnArray(["exfil"]), times(1_764_400_005),
            times(1_764_400_008), ColumnArray(["db-0"]), ColumnArray(["db-0>outside"]), ColumnArray([Int64(100)]),
        ]))
        try writer.close()
    }

    @Test(.needs(built, "needs the executables (swift build)"))
    func hostileTruthTables_areBadInputNamingTheColumn() throws {
        let directory = try TemporaryDirectory()
        let edges = directory.file("edges.parquet")
        try Self.podEdges(edges)
        try Self.truth(directory.file("good.parquet"), times: .timestamp)
        let working = try Self.inject(["--pod-edges", edges, "--truth", directory.file("good.parquet")], out: directory.file("out-good"))
        #expect(working.status == 0, "\(working.output)")
        let cases: [(String, ColumnType, ColumnType, String)] = [
            ("float-times", .double, .int32, "column 'start' is double, expected timestamp"),
            ("integer-seconds", .int64, .int32, "column 'start' is int64, expected timestamp"),
            ("wide-event-id", .timestamp, .int64, "column 'event_id' is int64, expected int32"),
        ]
        for (name, times, eventID, message) in cases {
            let path = directory.file("\(name).parquet")
            try Self.truth(path, times: times, eventID: eventID)
            let (status, output) = try Self.inject(["--pod-edges", edges, "--truth", path], out: directory.file("out-\(name)"))
            #expect(status == 3, "\(name): exit \(status): \(output)")
            #expect(output.contains("mimir-inject: error: \(path): \(message)"), "\(name): \(output)")
        }
    }

    @Test(.needs(built, "needs the executables (swift build)"))
    func ratesBeyondWhatBytesCanCount_areUsageErrors() throws {
        let directory = try TemporaryDirectory()
        try Self.podEdges(directory.file("edges.parquet"))
        for rate in ["1e15", "1e308", "100001"] {
            let (status, output) = try CrossCheck.run(Self.binary, ["--pod-edges", directory.file("edges.parquet"), "--sensitive", "db",
                                                                    "--rate", rate, "--out", directory.file("out")])
            #expect(status == 2, "--rate \(rate): exit \(status): \(output)")
            #expect(output.contains("mimir-inject: error: --rate must be a number from 0 to 100000 MB per minute"), "\(output)")
        }
    }
}
