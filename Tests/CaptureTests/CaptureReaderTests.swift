import Foundation
import Testing
@testable import Capture

@Suite struct CaptureReaderTests {
    typealias K = PacketKit

    static func readAll(_ bytes: [UInt8], name: String = "c.pcap") throws -> (CaptureReader, [(Int64, Int)]) {
        let directory = try TemporaryDirectory()
        let path = directory.file(name)
        try K.write(bytes, to: path)
        let reader = try CaptureReader(path: path)
        var packets: [(Int64, Int)] = []
        try reader.read { packets.append(($0.timestamp, $0.data.count)) }
        return (reader, packets)
    }

    static let threePackets = K.pcap([[UInt8](repeating: 1, count: 60), [UInt8](repeating: 2, count: 70), [UInt8](repeating: 3, count: 80)])

    @Test func pcap_readsEveryPacket() throws {
        let (reader, packets) = try Self.readAll(Self.threePackets)
        #expect(reader.format == .pcap && reader.truncation == nil)
        #expect(packets.map(\.1) == [60, 70, 80])
        #expect(packets.map(\.0) == [1_764_400_000_000_000_000, 1_764_400_000_001_000_000, 1_764_400_000_002_000_000])
    }

    @Test func truncatedFile_stopsAtTheLastWholePacket() throws {
        let cut = Array(Self.threePackets.prefix(Self.threePackets.count - 10))
        let (reader, packets) = try Self.readAll(cut)
        #expect(packets.count == 2)
        let offset = 24 + 16 + 60 + 16 + 70
        #expect(reader.truncation == Truncation(offset: offset, packetsRead: 2, detail: "a record of 80 bytes has only 70 of them"))
    }

    @Test func notACapture_isRefusedWithItsFirstBytes() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("notes.pcap")
        try K.write(Array("hello world".utf8), to: path)
        #expect(throws: CaptureError.notACapture(path: path, firstBytes: [0x68, 0x65, 0x6C, 0x6C])) { try CaptureReader(path: path) }
        let empty = directory.file("empty.pcap")
        try K.write([], to: empty)
        #expect(throws: CaptureError.notACapture(path: empty, firstBytes: [])) { try CaptureReader(path: empty) }
    }

    @Test func absurdRecordLength_isAnErrorWithTheOffset() throws {
        var bytes = Self.threePackets
        let second = 24 + 16 + 60
        bytes.replaceSubrange((second + 8)..<(second + 12), with: K.le32(0x7FFF_FFFF))
        #expect {
            try Self.readAll(bytes)
        } throws: { error in
            guard case let .corrupt(_, offset, detail)? = error as? CaptureError else { return false }
            return offset == second + 8 && detail.contains("2147483647 captured bytes")
        }
    }

    @Test func pcapngWithAbsurdBlockLength_isAnErrorWithTheOffset() throws {
        let shb = K.le32(0x0A0D_0D0A) + K.le32(28) + K.le32(0x1A2B_3C4D) + [1, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8) + K.le32(28)
        let idb = K.le32(1) + K.le32(20) + [1, 0, 0, 0] + K.le32(0) + K.le32(20)
        let bad = K.le32(6) + K.le32(0x7FFF_FFF0) + [UInt8](repeating: 0, count: 20)
        #expect {
            try Self.readAll(shb + idb + bad, name: "c.pcapng")
        } throws: { error in
            guard case let .corrupt(_, offset, detail)? = error as? CaptureError else { return false }
            return offset == 28 + 20 + 4 && detail.contains("2147483632 bytes")
        }
    }

    @Test func garbageGzip_isAnErrorNamingTheCompression() throws {
        #expect {
            try Self.readAll([0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3] + [UInt8](repeating: 0xFF, count: 64), name: "c.pcap.gz")
        } throws: { error in
            guard case let .corruptCompression(_, format, _, _)? = error as? CaptureError else { return false }
            return format == "gzip"
        }
    }

    /// Every prefix of a valid capture: shorter than the file header, an error; else the whole records
    /// it holds, and a truncation exactly where it cuts one (records of 16 + 60, 70 and 80 bytes after
    /// the 24-byte header).
    @Test func everyPrefix_readsItsWholeRecordsOrFailsCleanly() throws {
        let ends = [24, 24 + 16 + 60, 24 + 16 + 60 + 16 + 70, Self.threePackets.count]
        for length in 0...Self.threePackets.count {
            let prefix = Array(Self.threePackets.prefix(length))
            guard length >= 24 else {
                #expect(throws: CaptureError.self, "\(length) bytes") { try Self.readAll(prefix) }
                continue
            }
            let (reader, packets) = try Self.readAll(prefix)
            let whole = ends.lastIndex { $0 <= length }!
            #expect(packets.count == whole, "\(length) bytes")
            #expect((reader.truncation == nil) == ends.contains(length), "\(length) bytes: \(String(describing: reader.truncation))")
            #expect(reader.truncation.map { $0.offset == ends[whole] && $0.packetsRead == whole } ?? true, "\(length) bytes")
        }
    }
}
