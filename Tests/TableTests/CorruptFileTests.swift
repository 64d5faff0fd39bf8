import Foundation
import Testing
import SystemSupport
@testable import Table

/// Every kind of damage gets a `TableError` that names the file and the offset: never a trap, never
/// an allocation sized by the damage.
@Suite struct CorruptFileTests {
    /// A valid file of one required INT64 column: [magic][page header][page body][footer][length][magic].
    struct CraftedFile {
        var header = PageHeader(type: .dataPage, uncompressedPageSize: 24, compressedPageSize: 24,
                                dataPage: DataPageHeader(numValues: 3, encoding: .plain))
        var body: [UInt8] = [1, 2, 3].flatMap { littleEndianBytes(Int64($0)) }
        var rows: Int64 = 3
        var codec = CompressionCodec.uncompressed
        var element = SchemaElement(type: .int64, repetition: .required, name: "n")
        var editFooter: (inout FileMetadata) -> Void = { _ in }

        func bytes() -> [UInt8] {
            let page = header.encoded() + body
            var chunk = ColumnChunkMetadata(type: element.type ?? .int64, encodings: [.plain], pathInSchema: [element.name],
                                            codec: codec, numValues: rows, totalUncompressedSize: Int64(page.count),
                                            totalCompressedSize: Int64(page.count), dataPageOffset: 4, hasMetadata: true)
            chunk.statistics = nil
            var footer = FileMetadata(schema: [SchemaElement(name: "schema", numChildren: 1), element], numRows: rows,
                                      rowGroups: [RowGroupMetadata(columns: [chunk], totalByteSize: Int64(page.count), numRows: rows)])
            editFooter(&footer)
            let encodedFooter = footer.encoded()
            return TableWriter.magic + page + encodedFooter + littleEndianBytes(UInt32(encodedFooter.count)) + TableWriter.magic
        }

        /// Where the footer starts in `bytes()`.
        var footerOffset: Int { 4 + header.encoded().count + body.count }
    }

    static func write(_ bytes: [UInt8], in directory: TemporaryDirectory) throws -> String {
        let path = directory.file("damaged.parquet")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Reads the whole file and returns the error it raised.
    static func failure(of bytes: [UInt8]) throws -> (TableError?, String) {
        let directory = try TemporaryDirectory()
        let path = try write(bytes, in: directory)
        do {
            _ = try TableReader(path: path).readAll()
            return (nil, path)
        } catch let error as TableError {
            return (error, path)
        }
    }

    @Test func craftedFile_isValid() throws {
        let directory = try TemporaryDirectory()
        let path = try Self.write(CraftedFile().bytes(), in: directory)
        #expect(try TableReader(path: path).readAll()["n"]!.int64s == [1, 2, 3])
    }

    @Test func emptyFile() throws {
        let (error, path) = try Self.failure(of: [])
        #expect(error == .corrupt(path: path, offset: 0, detail: "a Parquet file has at least 12 bytes, this one 0"))
    }

    @Test func garbageFile() throws {
        var generator = SplitMix64(state: 3)
        let (error, path) = try Self.failure(of: (0..<4096).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
        #expect(error == .corrupt(path: path, offset: 0, detail: "expected the magic bytes PAR1 at the start"))
    }

    @Test func truncatedFile() throws {
        let whole = CraftedFile().bytes()
        let (error, path) = try Self.failure(of: Array(whole.prefix(whole.count - 5)))
        #expect(error == .corrupt(path: path, offset: whole.count - 9,
                                  detail: "expected the magic bytes PAR1 at the end (a truncated or unfinished file?)"))
    }

    @Test func footerLengthPastStartOfFile() throws {
        var bytes = CraftedFile().bytes()
        bytes.replaceSubrange((bytes.count - 8)..<(bytes.count - 4), with: littleEndianBytes(UInt32.max))
        let (error, path) = try Self.failure(of: bytes)
        #expect(error == .corrupt(path: path, offset: bytes.count - 8,
                                  detail: "footer length 4294967295 exceeds the \(bytes.count - 12) bytes before it"))
    }

    @Test func thriftGarbageInFooter() throws {
        let crafted = CraftedFile()
        var bytes = crafted.bytes()
        for index in crafted.footerOffset..<(bytes.count - 8) { bytes[index] = 0xFF }
        let (error, _) = try Self.failure(of: bytes)
        guard case let .corrupt(_, offset, detail)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(offset == crafted.footerOffset)
        #expect(detail.hasPrefix("file metadata: unknown Thrift type code 15"))
    }

    @Test func deeplyNestedThrift_isRefusedNotRecursed() throws {
        let crafted = CraftedFile()
        var bytes = crafted.bytes()
        let footerLength = bytes.count - 8 - crafted.footerOffset
        let nested = [UInt8](repeating: 0xFC, count: footerLength)  // unknown field 15, a struct, again and again
        bytes.replaceSubrange(crafted.footerOffset..<(bytes.count - 8), with: nested)
        let (error, _) = try Self.failure(of: bytes)
        guard case let .corrupt(_, _, detail)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(detail == "file metadata: structs nested deeper than 32 levels")
    }

    @Test func hugeThriftListLength_allocatesNothing() throws {
        // The schema list claims 2^31 elements in a footer of a few dozen bytes.
        var footer = CompactEncoder()
        footer.field(1, i32: 1)
        var bytes = footer.finish()
        bytes.removeLast()
        bytes += [0x19, 0xFC, 0x80, 0x80, 0x80, 0x80, 0x08]  // field 2, list of structs, varint 2^31
        let file = TableWriter.magic + bytes + littleEndianBytes(UInt32(bytes.count)) + TableWriter.magic
        let (error, path) = try Self.failure(of: file)
        #expect(error == .corrupt(path: path, offset: 8, detail: "file metadata: list length 2147483648 exceeds the 0 bytes left"))
    }

    @Test func pageClaimingGigabytes_isRefusedBeforeAllocating() throws {
        var crafted = CraftedFile()
        crafted.header.uncompressedPageSize = .max
        crafted.codec = .zstd
        let (error, path) = try Self.failure(of: crafted.bytes())
        #expect(error == .limitExceeded(path: path, offset: 4,
                                        detail: "a page of column 'n' claims 2147483647 bytes uncompressed, above the limit of 1073741824"))
    }

    @Test func pageRunningPastItsChunk() throws {
        var crafted = CraftedFile()
        crafted.header.compressedPageSize = 1000
        let (error, path) = try Self.failure(of: crafted.bytes())
        let left = 24
        #expect(error == .corrupt(path: path, offset: 4, detail: "a page of 1000 bytes runs past the end of column 'n' (\(left) bytes left)"))
    }

    @Test func truncatedPageBody() throws {
        var crafted = CraftedFile()
        crafted.body.removeLast(5)
        crafted.header.uncompressedPageSize = 19
        crafted.header.compressedPageSize = 19
        let (error, _) = try Self.failure(of: crafted.bytes())
        guard case let .corrupt(_, offset, detail)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(offset == 4)
        #expect(detail == "DATA_PAGE of column 'n', at byte 0 of its data: 3 values of 8 bytes need more than the 19 bytes stored")
    }

    @Test func zstdGarbage() throws {
        var crafted = CraftedFile()
        crafted.codec = .zstd
        let (error, _) = try Self.failure(of: crafted.bytes())
        guard case let .corrupt(_, offset, detail)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(offset == 4)
        #expect(detail.contains("ZSTD data does not decompress"))
    }

    @Test func moreValuesInPageThanRows() throws {
        var crafted = CraftedFile()
        crafted.header.dataPage?.numValues = 4
        let (error, path) = try Self.failure(of: crafted.bytes())
        #expect(error == .corrupt(path: path, offset: 4, detail: "DATA_PAGE of column 'n' claims 4 values; 3 of the row group's 3 remain"))
    }

    @Test func chunkEndsBeforeItsRows() throws {
        var crafted = CraftedFile()
        crafted.rows = 5
        let (error, path) = try Self.failure(of: crafted.bytes())
        let pageEnd = 4 + crafted.header.encoded().count + 24
        #expect(error == .corrupt(path: path, offset: pageEnd, detail: "column 'n' ends after 3 of its 5 values"))
    }

    @Test func rowGroupClaimingBillionsOfRows() throws {
        var crafted = CraftedFile()
        crafted.editFooter = { footer in
            footer.rowGroups[0].numRows = 1 << 40
            footer.rowGroups[0].columns[0].numValues = 1 << 40
            footer.numRows = 1 << 40
        }
        let (error, path) = try Self.failure(of: crafted.bytes())
        #expect(error == .limitExceeded(path: path, offset: crafted.footerOffset,
                                        detail: "row group 0 claims 1099511627776 rows; the limit is 268435456"))
    }

    @Test func chunkOutsideTheFile() throws {
        var crafted = CraftedFile()
        crafted.editFooter = { $0.rowGroups[0].columns[0].dataPageOffset = 1 << 50 }
        let (error, path) = try Self.failure(of: crafted.bytes())
        #expect(error == .corrupt(path: path, offset: 1 << 50, detail: "column 'n' claims \(crafted.header.encoded().count + 24) bytes at offset \(1 << 50), outside the data section 4..<\(crafted.footerOffset)"))
    }

    @Test func dictionaryIndexPastTheDictionary() throws {
        // A dictionary of two values, then indices 0, 1, 2 (bit width 2, one bit-packed group).
        let dictionaryHeader = PageHeader(type: .dictionaryPage, uncompressedPageSize: 16, compressedPageSize: 16,
                                          dictionaryPage: DictionaryPageHeader(numValues: 2, encoding: .plain))
        var crafted = CraftedFile()
        let dictionary = dictionaryHeader.encoded() + littleEndianBytes(Int64(10)) + littleEndianBytes(Int64(20))
        crafted.body = [2, 0x03, 0b0010_0100, 0]
        crafted.header = PageHeader(type: .dataPage, uncompressedPageSize: 4, compressedPageSize: 4,
                                    dataPage: DataPageHeader(numValues: 3, encoding: .rleDictionary))
        // Put the dictionary page in front of the data page.
        let original = crafted.bytes()
        var bytes = Array(original.prefix(4)) + dictionary + Array(original.dropFirst(4))
        var footerCrafted = crafted
        footerCrafted.editFooter = { footer in
            footer.rowGroups[0].columns[0].dictionaryPageOffset = 4
            footer.rowGroups[0].columns[0].dataPageOffset = Int64(4 + dictionary.count)
            footer.rowGroups[0].columns[0].totalCompressedSize += Int64(dictionary.count)
        }
        let footer = Array(footerCrafted.bytes().dropFirst(footerCrafted.footerOffset))
        bytes = Array(bytes.prefix(4 + dictionary.count + crafted.header.encoded().count + 4)) + footer
        let (error, path) = try Self.failure(of: bytes)
        #expect(error == .corrupt(path: path, offset: 4 + dictionary.count,
                                  detail: "DATA_PAGE of column 'n', at byte 1 of its data: dictionary index 2 is past the dictionary's 2 entries"))
    }

    @Test func unsupportedTypesAndSchemas_areNamed() throws {
        var crafted = CraftedFile()
        crafted.element = SchemaElement(type: .float, repetition: .required, name: "f")
        let (error, path) = try Self.failure(of: crafted.bytes())
        #expect(error == .unsupported(path: path, detail: "column 'f' is FLOAT (FLOAT, INT96 and FIXED_LEN_BYTE_ARRAY are not supported), which Mimir tables do not hold"))
    }

    @Test func missingAndSpecialFiles_areIOErrors() throws {
        #expect(throws: FileError.cannotOpenInput(path: "/nonexistent/t.parquet", errno: ENOENT)) {
            try TableReader(path: "/nonexistent/t.parquet")
        }
        let directory = try TemporaryDirectory()
        #expect(throws: FileError.notARegularFile(path: directory.path)) {
            try TableReader(path: directory.path)
        }
    }

    @Test func unknownColumn_listsTheColumns() throws {
        let directory = try TemporaryDirectory()
        let path = try Self.write(CraftedFile().bytes(), in: directory)
        #expect(throws: TableError.noSuchColumn(path: path, name: "m", available: ["n"])) {
            try TableReader(path: path).readRowGroup(0, columns: ["m"])
        }
    }

    /// Every prefix of a valid file, and every single-byte corruption of its footer, fails cleanly.
    @Test func everyPrefixAndFooterByteFlip_failsWithoutTrapping() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("valid.parquet")
        try roundTrip(RoundTripTests.edgeCaseBatch(), at: path)
        let valid = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        for length in stride(from: 0, to: valid.count, by: 7) {
            let (error, _) = try Self.failure(of: Array(valid.prefix(length)))
            #expect(error != nil)
        }
        let footerLength = Int(valid[valid.count - 8]) | Int(valid[valid.count - 7]) << 8
        for index in (valid.count - 8 - footerLength)..<(valid.count - 8) {
            var damaged = valid
            damaged[index] ^= 0x5A
            _ = try? Self.failure(of: damaged)  // an error or, where the flip hits a value, different data
        }
    }
}
