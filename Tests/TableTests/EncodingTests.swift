import Testing
@testable import Table

@Suite struct RLEHybridTests {
    static func encode(_ values: [UInt32], bitWidth: Int) -> [UInt8] {
        var encoder = RLEHybridEncoder(bitWidth: bitWidth)
        values.withUnsafeBufferPointer { encoder.encode($0) }
        return encoder.bytes
    }

    static func decode(_ bytes: [UInt8], bitWidth: Int, count: Int) throws -> [UInt32] {
        var output = [UInt32](repeating: 0, count: count)
        try bytes.withUnsafeBytes { buffer in
            var decoder = RLEHybridDecoder(buffer, bitWidth: bitWidth)
            try output.withUnsafeMutableBufferPointer { try decoder.decode(into: $0) }
        }
        return output
    }

    /// Encodings.md: values 0...7 bit-packed with width 3 are 10001000 11000110 11111010; one group
    /// gives the run header (1 << 1) | 1.
    @Test func bitPackedRun_matchesTheSpecExample() throws {
        #expect(Self.encode(Array(0...7), bitWidth: 3) == [0x03, 0x88, 0xC6, 0xFA])
        #expect(try Self.decode([0x03, 0x88, 0xC6, 0xFA], bitWidth: 3, count: 8) == Array(0...7))
    }

    /// 100 copies of 5 at width 3: header varint(100 << 1) = C8 01, then the value in one byte.
    @Test func rleRun_byHand() throws {
        #expect(Self.encode(Array(repeating: 5, count: 100), bitWidth: 3) == [0xC8, 0x01, 0x05])
        #expect(try Self.decode([0xC8, 0x01, 0x05], bitWidth: 3, count: 100) == Array(repeating: 5, count: 100))
        // Width 20 takes three value bytes, little-endian.
        #expect(try Self.decode([0x10, 0x01, 0x02, 0x03], bitWidth: 20, count: 8) == Array(repeating: 0x030201, count: 8))
    }

    @Test func mixedRuns_roundTripAtEveryWidth() throws {
        var generator = SplitMix64(state: 9)
        for width in [1, 2, 3, 5, 8, 13, 17, 24, 31, 32] {
            let limit = width == 32 ? UInt64(UInt32.max) + 1 : UInt64(1) << UInt64(width)
            var values: [UInt32] = []
            for _ in 0..<300 {
                let value = UInt32(generator.next() % limit)
                let run = Int(generator.next() % 20) + 1
                values += Array(repeating: value, count: run)
            }
            let encoded = Self.encode(values, bitWidth: width)
            #expect(try Self.decode(encoded, bitWidth: width, count: values.count) == values, "width \(width)")
        }
    }

    @Test func runsClaimingMoreThanTheBuffer_fail() throws {
        #expect(throws: DecodeFailure.self) { try Self.decode([0x03, 0x88], bitWidth: 3, count: 8) }
        #expect(throws: DecodeFailure.self) { try Self.decode([0xC8], bitWidth: 3, count: 100) }
        #expect(throws: DecodeFailure.self) { try Self.decode([0xC8, 0x01], bitWidth: 3, count: 100) }
        #expect(throws: DecodeFailure.self) { try Self.decode([0x02, 0x09], bitWidth: 3, count: 1) }  // 9 does not fit 3 bits
        #expect(throws: DecodeFailure.self) { try Self.decode([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], bitWidth: 1, count: 1) }
    }
}

@Suite struct CompactProtocolTests {
    @Test func fieldHeaders_useDeltasAndLongForm() throws {
        var encoder = CompactEncoder()
        encoder.field(1, i32: -1)      // delta 1, i32: 0x15, zigzag(-1) = 1
        encoder.field(17, i64: 300)    // delta 16 > 15: long form 0x06, zigzag id 34 = 0x22, zigzag(300) = 600 = D8 04
        encoder.field(18, bool: true)  // delta 1, BOOL_TRUE: 0x11
        encoder.field(19, string: "ok")
        #expect(encoder.finish() == [0x15, 0x01, 0x06, 0x22, 0xD8, 0x04, 0x11, 0x18, 0x02, 0x6F, 0x6B, 0x00])
    }

    @Test func unknownFields_ofEveryType_areSkipped() throws {
        var encoder = CompactEncoder()
        encoder.field(3, i32: 7)
        encoder.field(4, string: "skip me")
        encoder.field(5, struct: { $0.field(1, i64: 9); $0.field(2, stringList: ["a", "b"]) })
        encoder.field(6, structList: 20) { $0.field(1, bool: $1 % 2 == 0) }
        encoder.field(7, i32List: Array(0..<40))
        encoder.field(8, i8: -3)
        encoder.field(9, i32: 42)
        let bytes = encoder.finish()
        var found: Int32?
        try bytes.withUnsafeBytes { buffer in
            var decoder = CompactDecoder(buffer)
            try decoder.readStruct { decoder, id, type in
                if id == 9 { found = try decoder.i32(type) } else { try decoder.skip(type) }
            }
            #expect(decoder.position == bytes.count)
        }
        #expect(found == 42)
    }

    @Test func pageHeader_roundTrips() throws {
        let header = PageHeader(type: .dataPage, uncompressedPageSize: 1 << 20, compressedPageSize: 12345,
                                dataPage: DataPageHeader(numValues: 131_072, encoding: .plain))
        let bytes = header.encoded()
        let decoded = try bytes.withUnsafeBytes { buffer in
            var decoder = CompactDecoder(buffer)
            return try PageHeader(decoding: &decoder)
        }
        #expect(decoded.type == .dataPage && decoded.compressedPageSize == 12345 && decoded.uncompressedPageSize == 1 << 20)
        #expect(decoded.dataPage?.numValues == 131_072 && decoded.dataPage?.encoding == .plain)
    }
}

@Suite struct ProvenanceTests {
    @Test func canonicalJSON_isSortedAndCompact() throws {
        let value = JSONValue.object([
            "zeta": .array([.int(1), .double(0.5), .double(2), .null, .bool(true)]),
            "alpha": .string("quote \" backslash \\ newline \n tab \t bell \u{7} ü"),
            "Beta": .object(["b": .int(-3), "a": .double(1e-7)]),
        ])
        #expect(try value.canonicalText() == #"{"Beta":{"a":1e-07,"b":-3},"alpha":"quote \" backslash \\ newline \n tab \t bell \u0007 ü","zeta":[1,0.5,2.0,null,true]}"#)
        #expect(throws: TableError.self) { try JSONValue.double(.nan).canonicalText() }
    }

    @Test func provenance_roundTripsAndGuardsSchemaVersions() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("p.parquet")
        let provenance = try Provenance(stage: "graph", version: "2", schemaVersion: 3,
                                        params: .object(["window_s": .array([.int(60)])]),
                                        extra: [KeyValue(key: "mimir.origin", value: "1764400000.000000000")])
        let schema = try Schema([Field("a", .int32)])
        try roundTrip(TableBatch(schema: schema, columns: [ColumnArray([Int32(1)])]), at: path, metadata: provenance.keyValues)
        let reader = try TableReader(path: path)
        #expect(reader.metadata.map(\.key) == ["mimir.stage", "mimir.version", "mimir.schema", "mimir.params", "mimir.origin"])
        #expect(try Provenance(of: reader, stage: "graph", schemaVersions: 1...3) == provenance)
        #expect(throws: TableError.unsupported(path: path, detail: "schema version 3 of a 'graph' table; this build reads versions 1...2")) {
            try Provenance(of: reader, stage: "graph", schemaVersions: 1...2)
        }
        #expect(throws: TableError.unsupported(path: path, detail: "written by stage 'graph', expected a table of stage 'flows'")) {
            try Provenance(of: reader, stage: "flows", schemaVersions: 1...3)
        }
    }
}
