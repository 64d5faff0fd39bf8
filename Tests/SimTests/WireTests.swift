import Foundation
import Testing
@testable import Cluster
@testable import Sim
import Capture
import Contract

/// The small parts, against hand calculations and the RFCs' own examples.
@Suite struct WireTests {
    @Test func internetChecksum_rfc1071Example() {
        // RFC 1071, section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 (one's complement, folded).
        let bytes: [UInt8] = [0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]
        let sum = bytes.withUnsafeBytes { InternetChecksum.sum($0.baseAddress!, count: 8) }
        #expect(InternetChecksum.fold(sum) == 0xDDF2)
        #expect(InternetChecksum.finish(sum) == 0x220D)
        // An odd length pads the last byte on the right: 0001 f2 -> 0001 + f200 = f201.
        let odd = bytes.withUnsafeBytes { InternetChecksum.sum($0.baseAddress!, count: 3) }
        #expect(InternetChecksum.fold(odd) == 0xF201)
    }

    @Test func timestamps_formatAndParseRFC3339() {
        #expect(Timestamp.format(nanoseconds: 1_795_860_003_250_000_999) == "2026-11-28T10:00:03.250000Z")
        #expect(Timestamp.parse("2026-11-28T10:00:03.250Z") == 1_795_860_003_250_000_000)
        #expect(Timestamp.parse("2026-11-28T11:00:03.25+01:00") == 1_795_860_003_250_000_000)
        #expect(Timestamp.parse("1970-01-01T00:00:00Z") == 0)
        #expect(Timestamp.parse("2024-02-29T12:00:00Z") == 1_709_208_000_000_000_000)
        for bad in ["2026-13-01T00:00:00Z", "2026-11-28 10:00:00Z", "2026-11-28T10:00:00", "2026-11-28T10:00:00.Z", ""] {
            #expect(Timestamp.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func prefixes_containAndCount() throws {
        let v4 = try #require(IPPrefix("10.244.1.77/24"))
        #expect(v4.description == "10.244.1.0/24" && v4.size == 256)
        #expect(v4.contains(IPAddress("10.244.1.255")!) && !v4.contains(IPAddress("10.244.2.0")!))
        #expect(v4.address(at: 10)?.description == "10.244.1.10")
        let v6 = try #require(IPPrefix("fd00:10:244:1::/64"))
        #expect(v6.contains(IPAddress("fd00:10:244:1:ffff::1")!) && !v6.contains(IPAddress("fd00:10:244:2::1")!))
        #expect(v6.address(at: 0x1_0000)?.description == "fd00:10:244:1::1:0")
        #expect(IPPrefix("10.0.0.0/33") == nil && IPPrefix("10.0.0.0") == nil)
    }

    @Test func addressPool_handsOutTheLowestFreeAddress() throws {
        var pool = AddressPool(prefix: IPPrefix("172.17.0.0/29")!, reserved: [1])
        let first = pool.allocate(), second = pool.allocate()
        #expect(first?.description == "172.17.0.2" && second?.description == "172.17.0.3")
        pool.release(first!)
        #expect(pool.allocate()?.description == "172.17.0.2")
        // .4 .5 .6 are left; .7 is the broadcast address.
        #expect([pool.allocate(), pool.allocate(), pool.allocate(), pool.allocate()].map { $0?.description } == ["172.17.0.4", "172.17.0.5", "172.17.0.6", nil])
    }

    @Test func entityLog_roundTripsAndRejectsBadLinesByNumber() throws {
        let directory = NSTemporaryDirectory() + "mimir-entity-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let events = [
            EntityEvent(time: 1_795_860_000_000_000_000, change: .added, kind: .pod, namespace: "shop", name: "web-\"quoted\"",
                        ips: [], labels: ["app": "web"], node: "n1", phase: "Pending"),
            EntityEvent(time: 1_795_860_002_000_000_000, change: .modified, kind: .pod, namespace: "shop", name: "web-\"quoted\"",
                        ips: [IPAddress("fd00::7")!], labels: ["app": "web"], node: "n1", phase: "Running"),
            EntityEvent(time: 1_795_860_002_000_000_000, change: .added, kind: .service, namespace: "shop", name: "web",
                        ips: [IPAddress("10.96.0.20")!], labels: [:], selector: ["app": "web"]),
        ]
        let writer = try EntityLogWriter(path: directory + "/entities.jsonl")
        for event in events { try writer.append(event) }
        try writer.finish()
        #expect(try EntityLogReader.read(path: directory + "/entities.jsonl") == events)
        let line = try String(contentsOfFile: directory + "/entities.jsonl", encoding: .utf8).split(separator: "\n")[1]
        #expect(line == #"{"event":"modified","ips":["fd00::7"],"kind":"pod","labels":{"app":"web"},"name":"web-\"quoted\"","namespace":"shop","node":"n1","phase":"Running","time":"2026-11-28T10:00:02.000000Z"}"#)
        let bad = [
            (#"{"time":"x"}"#, "'time' is 'x', expected an RFC 3339 time"),
            (#"{"time":"2026-11-28T10:00:02Z","event":"added","kind":"pod","namespace":"a","name":"b","ips":["10.1.2.300"],"labels":{}}"#,
             "'10.1.2.300' in 'ips' is not an IPv4 or IPv6 address"),
            ("[1, 2]", "not a JSON object"),
        ]
        for (text, message) in bad {
            try (String(line) + "\n\n" + text + "\n").write(toFile: directory + "/bad.jsonl", atomically: true, encoding: .utf8)
            #expect(throws: EntityLogError.self) { try EntityLogReader.read(path: directory + "/bad.jsonl") }
            do { _ = try EntityLogReader.read(path: directory + "/bad.jsonl") } catch {
                #expect("\(error)" == "\(directory)/bad.jsonl:3: \(message)" || "\(error)".hasPrefix("\(directory)/bad.jsonl:3: \(message)"), "\(error)")
            }
        }
    }
}
