import Foundation
import Testing
import TestSupport
@testable import Capture
import Contract
import Table

/// IPFIX messages built by hand (RFC 7011's layouts), for the reader's rules.
enum IPFIXKit {
    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
    static func be32(_ value: UInt32) -> [UInt8] { be16(UInt16(value >> 16)) + be16(UInt16(value & 0xFFFF)) }
    static func be64(_ value: UInt64) -> [UInt8] { be32(UInt32(value >> 32)) + be32(UInt32(value & 0xFFFF_FFFF)) }

    /// A field specifier: element, length, and the enterprise number for enterprise-specific ones.
    struct Field {
        var id: UInt16
        var length: UInt16
        var pen: UInt32? = nil
    }

    static func message(sequence: UInt32, domain: UInt32 = 1, exportTime: UInt32 = 1_800_000_100, _ sets: [UInt8]...) -> [UInt8] {
        let body = sets.flatMap { $0 }
        return be16(10) + be16(UInt16(16 + body.count)) + be32(exportTime) + be32(sequence) + be32(domain) + body
    }

    static func set(_ id: UInt16, _ body: [UInt8]) -> [UInt8] { be16(id) + be16(UInt16(4 + body.count)) + body }

    static func specifiers(_ fields: [Field]) -> [UInt8] {
        fields.flatMap { field in
            field.pen.map { be16(field.id | 0x8000) + be16(field.length) + be32($0) } ?? be16(field.id) + be16(field.length)
        }
    }

    static func template(_ id: UInt16, _ fields: [Field]) -> [UInt8] {
        set(2, be16(id) + be16(UInt16(fields.count)) + specifiers(fields))
    }

    static func optionsTemplate(_ id: UInt16, scope: Int, _ fields: [Field]) -> [UInt8] {
        set(3, be16(id) + be16(UInt16(fields.count)) + be16(UInt16(scope)) + specifiers(fields))
    }

    /// IPv4 5-tuple, start and end in milliseconds, delta counters, TCP flags.
    static let flowFields = [Field(id: 8, length: 4), Field(id: 12, length: 4), Field(id: 7, length: 2), Field(id: 11, length: 2),
                             Field(id: 4, length: 1), Field(id: 152, length: 8), Field(id: 153, length: 8), Field(id: 2, length: 8),
                             Field(id: 1, length: 8), Field(id: 6, length: 1)]

    static func flow(_ source: UInt32, _ destination: UInt32, ports: (UInt16, UInt16) = (40000, 80), startMs: UInt64, endMs: UInt64,
                     packets: UInt64, octets: UInt64, flags: UInt8 = 0x1B) -> [UInt8] {
        be32(source) + be32(destination) + be16(ports.0) + be16(ports.1) + [6] + be64(startMs) + be64(endMs) + be64(packets) + be64(octets) + [flags]
    }

    static let a: UInt32 = 0x0A00_0001, b: UInt32 = 0x0A00_0002  // 10.0.0.1, 10.0.0.2

    /// The records and damage of a file holding `bytes`.
    static func read(_ bytes: [UInt8]) throws -> (records: [FlowRecord], damage: [String: Int]) {
        let (records, _, damage) = try readNamed(bytes)
        return (records, damage)
    }

    /// The records, what each names, and the damage of a file holding `bytes`.
    static func readNamed(_ bytes: [UInt8]) throws -> (records: [FlowRecord], names: [RecordNames?], damage: [String: Int]) {
        let directory = try TemporaryDirectory()
        let path = directory.file("records.ipfix")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let reader = IPFIXReader(BufferedInput(try openByteSource(path: path).0))
        var records: [FlowRecord] = [], names: [RecordNames?] = []
        try reader.read { record, named in
            records.append(record)
            names.append(named)
        }
        return (records, names, reader.damage.entries.mapValues(\.count))
    }
}

@Suite struct IPFIXReaderTests {
    typealias K = IPFIXKit

    @Test func dataRecords_becomeFlowRecords() throws {
        let bytes = K.message(sequence: 0, K.template(256, K.flowFields),
                              K.set(256, K.flow(K.a, K.b, startMs: 1_800_000_000_000, endMs: 1_800_000_002_500, packets: 7, octets: 900)
                                    + K.flow(K.b, K.a, ports: (80, 40000), startMs: 1_800_000_000_001, endMs: 1_800_000_002_400, packets: 5,
                                             octets: 4000, flags: 0x12)))
        let (records, damage) = try K.read(bytes)
        #expect(damage.isEmpty)
        #expect(records == [
            FlowRecord(source: IPAddress("10.0.0.1")!, destination: IPAddress("10.0.0.2")!, sourcePort: 40000, destinationPort: 80, ipProtocol: 6,
                       tcpFlags: 0x1B, start: 1_800_000_000_000_000_000, end: 1_800_000_002_500_000_000, packets: 7, ipBytes: 900),
            FlowRecord(source: IPAddress("10.0.0.2")!, destination: IPAddress("10.0.0.1")!, sourcePort: 80, destinationPort: 40000, ipProtocol: 6,
                       tcpFlags: 0x12, start: 1_800_000_000_001_000_000, end: 1_800_000_002_400_000_000, packets: 5, ipBytes: 4000),
        ])
    }

    @Test func dataBeforeItsTemplate_orAfterItsWithdrawal_isDamage() throws {
        let data = K.set(256, K.flow(K.a, K.b, startMs: 1_800_000_000_000, endMs: 1_800_000_000_000, packets: 1, octets: 60))
        let withdrawal = K.set(2, K.be16(256) + K.be16(0))
        let bytes = K.message(sequence: 0, data) + K.message(sequence: 0, K.template(256, K.flowFields), data)
            + K.message(sequence: 1, withdrawal, data)
        let (records, damage) = try K.read(bytes)
        #expect(records.count == 1)
        // No sequence gap is claimed: the records of an unreadable set cannot be counted.
        #expect(damage == ["ipfix_data_without_template": 2])
    }

    @Test func sequenceGaps_countTheLostRecords_underEitherNumbering() throws {
        let record = K.set(256, K.flow(K.a, K.b, startMs: 1_800_000_000_000, endMs: 1_800_000_000_000, packets: 1, octets: 60))
        let template = K.template(256, K.flowFields)
        // RFC 7011: a message carries the count of records sent before it. 0, 1, then 5: 3 lost.
        let rfc = K.message(sequence: 0, template, record) + K.message(sequence: 1, record) + K.message(sequence: 5, record)
        #expect(try K.read(rfc).damage == ["ipfix_sequence_gaps": 1, "ipfix_records_lost": 3])
        // softflowd's numbering counts the message's own records: 1, 2, 3 is no gap.
        let inclusive = K.message(sequence: 1, template, record) + K.message(sequence: 2, record) + K.message(sequence: 3, record)
        #expect(try K.read(inclusive).damage.isEmpty)
    }

    @Test func antreasNames_reverseCounters_andUnknownElements() throws {
        let fields = [K.Field(id: 8, length: 4), K.Field(id: 12, length: 4), K.Field(id: 7, length: 2), K.Field(id: 11, length: 2),
                      K.Field(id: 4, length: 1), K.Field(id: 150, length: 4), K.Field(id: 151, length: 4),
                      K.Field(id: 2, length: 8), K.Field(id: 1, length: 8),
                      K.Field(id: 2, length: 8, pen: 29305), K.Field(id: 1, length: 8, pen: 29305),
                      K.Field(id: 100, length: 65535, pen: 56506), K.Field(id: 101, length: 65535, pen: 56506),
                      K.Field(id: 102, length: 65535, pen: 56506), K.Field(id: 103, length: 65535, pen: 56506),
                      K.Field(id: 9, length: 3, pen: 4242)]
        func text(_ value: String) -> [UInt8] { [UInt8(value.utf8.count)] + Array(value.utf8) }
        // A name longer than 254 bytes takes the three-byte length form.
        let longName = String(repeating: "x", count: 300)
        let data = K.be32(K.a) + K.be32(K.b) + K.be16(41000) + K.be16(8080) + [6] + K.be32(1_800_000_000) + K.be32(1_800_000_009)
            + K.be64(12) + K.be64(3000) + K.be64(10) + K.be64(20000)
            + text("shop") + text("front-1") + text("shop") + [255] + K.be16(300) + Array(longName.utf8) + [1, 2, 3]
        let (records, names, damage) = try K.readNamed(K.message(sequence: 0, K.template(300, fields), K.set(300, data)))
        #expect(damage.isEmpty)
        try #require(records.count == 2)
        #expect(records[0].packets == 12 && records[0].ipBytes == 3000 && records[0].sourcePort == 41000)
        #expect(names[0]?.sourcePod == PodName(namespace: "shop", name: "front-1"))
        #expect(names[0]?.destinationPod == PodName(namespace: "shop", name: longName))
        // The reverse direction: addresses, ports and pods swapped.
        #expect(records[1].source == IPAddress("10.0.0.2") && records[1].sourcePort == 8080 && records[1].packets == 10 && records[1].ipBytes == 20000)
        #expect(names[1]?.sourcePod?.name == longName && names[1]?.destinationPod?.name == "front-1")
        #expect(records[1].start == 1_800_000_000_000_000_000 && records[1].end == 1_800_000_009_000_000_000)
    }

    @Test func totalCounters_countTheirGrowth() throws {
        let fields = [K.Field(id: 8, length: 4), K.Field(id: 12, length: 4), K.Field(id: 4, length: 1), K.Field(id: 150, length: 4),
                      K.Field(id: 151, length: 4), K.Field(id: 86, length: 4), K.Field(id: 85, length: 4)]
        func data(_ packets: UInt32, _ octets: UInt32) -> [UInt8] {
            K.be32(K.a) + K.be32(K.b) + [17] + K.be32(1_800_000_000) + K.be32(1_800_000_010) + K.be32(packets) + K.be32(octets)
        }
        // Totals 10, 25, then 4 (the exporter restarted: all 4 are new).
        let (records, _) = try K.read(K.message(sequence: 0, K.template(400, fields), K.set(400, data(10, 1000) + data(25, 2600) + data(4, 400))))
        #expect(records.map(\.packets) == [10, 15, 4] && records.map(\.ipBytes) == [1000, 1600, 400])
    }

    @Test func upTimes_countFromTheExportersInitTime_andWrap() throws {
        let options = K.optionsTemplate(256, scope: 1, [K.Field(id: 143, length: 4), K.Field(id: 160, length: 8)])
        let fields = [K.Field(id: 8, length: 4), K.Field(id: 12, length: 4), K.Field(id: 4, length: 1), K.Field(id: 22, length: 4),
                      K.Field(id: 21, length: 4), K.Field(id: 2, length: 4), K.Field(id: 1, length: 4)]
        func data(_ start: UInt32, _ end: UInt32) -> [UInt8] { K.be32(K.a) + K.be32(K.b) + [17] + K.be32(start) + K.be32(end) + K.be32(1) + K.be32(60) }
        let initMs: UInt64 = 1_800_000_000_000
        // Without the init time the uptimes cannot be placed.
        #expect(try K.read(K.message(sequence: 0, K.template(1024, fields), K.set(1024, data(5, 6)))).damage == ["record_without_system_init_time": 1])
        let bytes = K.message(sequence: 0, exportTime: 1_800_000_100, options, K.set(256, K.be32(7) + K.be64(initMs)),
                              K.template(1024, fields),
                              // 5 s after init; and 3 s before it, as a 32-bit uptime wraps (softflowd reading an old capture).
                              K.set(1024, data(5000, 6000) + data(UInt32.max - 2999, UInt32.max - 999)))  // 2^32 - 3000 ms
        let (records, damage) = try K.read(bytes)
        #expect(damage.isEmpty)
        #expect(records.map(\.start) == [1_800_000_005_000_000_000, 1_799_999_997_000_000_000])
        #expect(records.map(\.end) == [1_800_000_006_000_000_000, 1_799_999_999_000_000_000])
    }

    @Test func ntpTimes_dropTheLowBitsOfMicroseconds() throws {
        let fields = [K.Field(id: 8, length: 4), K.Field(id: 12, length: 4), K.Field(id: 4, length: 1), K.Field(id: 154, length: 8),
                      K.Field(id: 157, length: 8), K.Field(id: 2, length: 4), K.Field(id: 1, length: 4)]
        let seconds: UInt64 = 1_800_000_000 + 2_208_988_800
        // Half a second, with low bits an exporter must not set in microseconds (RFC 7011, 6.1.9).
        let data = K.be32(K.a) + K.be32(K.b) + [17] + K.be64(seconds << 32 | 0x8000_07FF) + K.be64(seconds << 32 | 0xC000_0000)
            + K.be32(1) + K.be32(60)
        let (records, _) = try K.read(K.message(sequence: 0, K.template(500, fields), K.set(500, data)))
        #expect(records.first?.start == 1_800_000_000_500_000_000 && records.first?.end == 1_800_000_000_750_000_000)
    }

    @Test func damagedFiles_areCountedAndReadOn() throws {
        let good = K.message(sequence: 0, K.template(256, K.flowFields),
                             K.set(256, K.flow(K.a, K.b, startMs: 1_800_000_000_000, endMs: 1_800_000_001_000, packets: 2, octets: 120)))
        let next = K.message(sequence: 1, K.set(256, K.flow(K.a, K.b, startMs: 1_800_000_002_000, endMs: 1_800_000_001_000, packets: 2, octets: 120)))
        // A set that claims more than its message holds; a reserved set ID.
        let shortSet = K.message(sequence: 1, K.be16(256) + K.be16(400) + [0, 0, 0, 0])
        let reserved = K.message(sequence: 1, K.set(7, [0, 0, 0, 0]))
        let garbage: [UInt8] = [0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x09, 0x00]
        let bytes = good + garbage + next + shortSet + reserved + Array(good.prefix(30))
        let (records, damage) = try K.read(bytes)
        #expect(records.count == 1)
        #expect(damage == ["ipfix_bytes_skipped": 7, "record_end_before_start": 1, "ipfix_short_set": 1, "ipfix_reserved_set_id": 1,
                           "ipfix_truncated_message": 1])
    }

    @Test func everyPrefixAndByteFlip_isReadWithoutACrash() throws {
        let bytes = K.message(sequence: 0, K.template(256, K.flowFields), K.optionsTemplate(257, scope: 1, [K.Field(id: 160, length: 8)]),
                              K.set(256, K.flow(K.a, K.b, startMs: 1_800_000_000_000, endMs: 1_800_000_001_000, packets: 2, octets: 120)))
        for end in 0..<bytes.count { _ = try K.read(Array(bytes.prefix(end))) }
        for position in 0..<bytes.count {
            var flipped = bytes
            flipped[position] ^= 0xFF
            _ = try K.read(flipped)
        }
    }
}
