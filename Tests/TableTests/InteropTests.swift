import Foundation
import Testing
@testable import Table
import Contract

/// Cross-checks against independent Parquet implementations (pyarrow, DuckDB, polars) through the
/// scripts in Tests/interop, run by the Python of the tests' virtual environment (`make venv`).
/// `make test` sets MIMIR_PYTHON; a bare `swift test` finds `.venv` or skips these tests.
@Suite struct InteropTests {
    static let python = CrossCheck.python

    static func run(_ script: String, _ argument: String) throws -> (status: Int32, output: String) {
        try CrossCheck.runScript(script, [argument])
    }

    // MARK: Our files, read by the others

    @Test(.needs(python != nil, "no Python environment: run `make venv`"))
    func ourFiles_readIdenticallyInPyarrowDuckDBAndPolars() throws {
        let directory = try TemporaryDirectory()
        let provenance = try Provenance(stage: "flows", version: "3", schemaVersion: 1,
                                        params: .object(["window_s": .array([.int(1), .int(5)]), "filter": .string("tcp")]),
                                        extra: [KeyValue(key: "mimir.origin", value: "1764400000.25")])
        for (name, batch, options) in try Self.ourCases() {
            let path = directory.file(name + ".parquet")
            let writer = try TableWriter(path: path, schema: batch.schema, metadata: provenance.keyValues, options: options)
            try writer.write(batch)
            try writer.close()
            try Manifest(batch: batch, metadata: provenance.keyValues).write(to: directory.file(name + ".expected.json"))
        }
        let (status, output) = try Self.run("check_mimir_files.py", directory.path)
        #expect(status == 0, "\(output)")
        #expect(output.contains("checked \(try Self.ourCases().count) files"), "\(output)")
    }

    static func ourCases() throws -> [(String, TableBatch, WriterOptions)] {
        let sorted = try Schema([Field("window", .int64, sortKey: true), Field("start", .timestamp, sortKey: true),
                                 Field("pod", .string, sortKey: true), Field("bytes", .double, nullable: true, sortKey: true),
                                 Field("proto", .int32, nullable: true, sortKey: true), Field("ok", .bool, sortKey: true),
                                 Field("raw", .binary, nullable: true, sortKey: true)])
        let rows = 30_000
        var generator = SplitMix64(state: 5)
        let windows: [Int64] = (0..<Int64(rows)).map { $0 / 100 }
        let starts: [Int64] = (0..<Int64(rows)).map { 1_764_400_000_000_000 + $0 * 1_000 }
        let pods: [String] = (0..<rows).map { _ in "pod-\(generator.next() % 300)" }
        let bytes: [Double?] = (0..<rows).map { $0 % 17 == 0 ? nil : Double(generator.next() % 10_000) / 3 }
        let protocols: [Int32] = (0..<rows).map { $0 % 3 == 0 ? 6 : 17 }
        let protocolValid: [Bool] = (0..<rows).map { $0 % 5 != 0 }
        let oks: [Bool] = (0..<rows).map { $0 % 4 == 0 }
        let raws: [[UInt8]] = (0..<rows).map { [UInt8(truncatingIfNeeded: $0), 0, 255] }
        let rawValid: [Bool] = (0..<rows).map { $0 % 7 != 0 }
        let columns: [ColumnArray] = [
            ColumnArray(windows), ColumnArray(.int64(starts)), ColumnArray(pods), ColumnArray(bytes),
            ColumnArray(.int32(protocols), validity: protocolValid), ColumnArray(oks),
            ColumnArray(.byteArray(ByteArrayColumn(binary: raws)), validity: rawValid),
        ]
        let many = try TableBatch(schema: sorted, columns: columns)
        let edge = try RoundTripTests.edgeCaseBatch()
        let sortedEdge = try TableBatch(schema: Schema(edge.schema.fields.map {
            Field($0.name, $0.type, nullable: $0.nullable, sortKey: true)
        }), columns: edge.columns)
        let one = try TableBatch(schema: Schema([Field("only", .string, nullable: true, sortKey: true)]),
                                 columns: [ColumnArray(["única"])])
        let allNull = try TableBatch(schema: Schema([Field("x", .double, nullable: true, sortKey: true)]),
                                     columns: [ColumnArray([Double?](repeating: nil, count: 10))])
        let empty = try TableBatch(schema: edge.schema, columns: edge.schema.fields.map { ColumnArray.empty(of: $0.type) })
        return [
            ("many-row-groups", many, WriterOptions(compressionLevel: 1, pageSize: 4096, rowGroupRows: 7_000)),
            ("edge-cases", edge, WriterOptions()),
            ("edge-cases-sorted", sortedEdge, WriterOptions(compressionLevel: 9)),
            ("one-row", one, WriterOptions()),
            ("all-null", allNull, WriterOptions()),
            ("zero-rows", empty, WriterOptions()),
        ]
    }

    // MARK: Their files, read by ours

    @Test(.needs(python != nil, "no Python environment: run `make venv`"))
    func foreignFiles_readIdenticallyOrFailClearly() throws {
        let directory = try TemporaryDirectory()
        let (status, output) = try Self.run("write_foreign_files.py", directory.path)
        try #require(status == 0, "\(output)")
        let manifests = directory.contents.filter { $0.hasSuffix(".expected.json") }.sorted()
        #expect(manifests.count == 15)
        for name in manifests {
            let manifest = try Manifest(contentsOf: directory.file(name))
            let path = directory.file(String(name.dropLast(".expected.json".count)) + ".parquet")
            if let expectedError = manifest.expectError {
                #expect(performing: { _ = try TableReader(path: path).readAll() }, throws: { error in
                    "\(error)".contains(expectedError) && "\(error)".contains(path)
                })
                continue
            }
            let reader = try TableReader(path: path)
            let batch = try reader.readAll()
            #expect(batch.schema.names == manifest.columns.map(\.name), "\(name)")
            for (key, value) in manifest.metadata {
                #expect(reader.metadata[key: key] == value, "\(name): metadata \(key)")
            }
            for column in manifest.columns {
                guard let field = batch.schema[column.name], let values = batch[column.name] else { continue }
                #expect(field.type == column.type, "\(name): column \(column.name) read as \(field.type)")
                if let nullable = column.nullable { #expect(field.nullable == nullable, "\(name): \(column.name)") }
                #expect(sameRows(values, try column.array()), "\(name): column \(column.name) differs")
            }
        }
    }
}

/// Reads and writes the manifests described in Tests/interop/manifest.py.
struct Manifest {
    struct Column {
        var name: String
        var type: ColumnType
        var nullable: Bool?
        var sortKey: Bool
        var values: [String?]

        func array() throws -> ColumnArray {
            let validity = values.map { $0 != nil }
            let texts = values.map { $0 ?? "" }
            let storage: ColumnValues
            switch type {
            case .bool: storage = .bool(texts.map { $0 == "true" })
            case .int32: storage = .int32(texts.map { Int32($0) ?? 0 })
            case .int64, .timestamp: storage = .int64(texts.map { Int64($0) ?? 0 })
            case .double: storage = .double(texts.map { Double($0) ?? 0 })
            case .string: storage = .byteArray(ByteArrayColumn(texts))
            case .binary: storage = .byteArray(ByteArrayColumn(binary: texts.map(Manifest.bytes(hex:))))
            }
            return ColumnArray(storage, validity: validity.contains(false) ? validity : nil)
        }
    }

    var columns: [Column]
    var metadata: [String: String]
    var expectError: String?

    init(batch: TableBatch, metadata: [KeyValue]) {
        columns = zip(batch.schema.fields, batch.columns).map { field, array in
            Column(name: field.name, type: field.type, nullable: field.nullable, sortKey: field.sortKey,
                   values: (0..<array.count).map { array.isNull($0) ? nil : Manifest.text(field.type, array.values, $0) })
        }
        self.metadata = Dictionary(metadata.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    init(contentsOf path: String) throws {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        columns = (object["columns"] as! [[String: Any]]).map { column in
            Column(name: column["name"] as! String, type: ColumnType(rawValue: column["type"] as! String)!,
                   nullable: column["nullable"] as? Bool, sortKey: column["sort_key"] as? Bool ?? false,
                   values: (column["values"] as! [Any]).map { $0 as? String })
        }
        metadata = object["metadata"] as? [String: String] ?? [:]
        expectError = object["expect_error"] as? String
    }

    func write(to path: String) throws {
        let object: [String: Any] = [
            "columns": columns.map { column in
                ["name": column.name, "type": column.type.rawValue, "nullable": column.nullable as Any,
                 "sort_key": column.sortKey, "values": column.values.map { $0 as Any }] as [String: Any]
            },
            "metadata": metadata,
        ]
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    }

    static func text(_ type: ColumnType, _ values: ColumnValues, _ row: Int) -> String {
        if type == .binary, case let .byteArray(v) = values {
            return v[row].map { String(format: "%02x", $0) }.joined()
        }
        switch values {
        case let .bool(v): return v[row] ? "true" : "false"
        case let .int32(v): return String(v[row])
        case let .int64(v): return String(v[row])
        case let .double(v): return "\(v[row])"
        case let .byteArray(v): return String(decoding: v[row], as: UTF8.self)
        }
    }

    static func bytes(hex: String) -> [UInt8] {
        var result: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return result
    }
}
