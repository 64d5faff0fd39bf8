import Foundation
import Testing
@testable import Capture

/// Random damage anywhere in a capture (headers, lengths, payloads, block structure) must give an
/// error, a counted damaged packet or different counts: never a trap, never a hang.
@Suite struct RandomDamageTests {
    typealias K = PacketKit

    static func packets() -> [[UInt8]] {
        let inner = K.ethernet(type: 0x0800, K.ipv4("10.244.1.5", "10.244.2.7", protocol: 6, K.tcp(1234, 8080, flags: 0x18)))
        let v6 = K.ipv6([UInt8](repeating: 0xFD, count: 16), [UInt8](repeating: 0x20, count: 16), next: 0,
                        [44, 0, 1, 4, 0, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0, 1] + K.udp(53, 4000, [1, 2, 3]))
        return [K.ethernet(type: 0x0800, K.ipv4("10.1.0.2", "10.1.0.3", protocol: 6, K.tcp(40000, 80, flags: 2))),
                K.ethernet(type: 0x0800, K.ipv4("192.168.0.1", "192.168.0.2", protocol: 17, K.udp(1, 4789, K.vxlan(inner)))),
                K.ethernet(type: 0x86DD, v6),
                K.ethernet(type: 0x8100, [0, 10] + K.be16(0x0800) + K.ipv4("10.0.0.1", "10.0.0.2", protocol: 47,
                                                                         [0, 0, 0x08, 0x00] + Array(inner.dropFirst(14)))),
                K.ethernet(type: 0x0806, [UInt8](repeating: 0, count: 28))]
    }

    static func pcapng(_ packets: [[UInt8]]) -> [UInt8] {
        let shb = K.le32(0x0A0D_0D0A) + K.le32(28) + K.le32(0x1A2B_3C4D) + [1, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8) + K.le32(28)
        let idb = K.le32(1) + K.le32(24) + [1, 0, 0, 0] + K.le32(0) + [9, 0, 1, 0] + K.le32(24)  // if_tsresol option cut short
        var bytes = shb + idb
        for (index, packet) in packets.enumerated() {
            let padded = packet + [UInt8](repeating: 0, count: (4 - packet.count % 4) % 4)
            let length = UInt32(32 + padded.count)
            bytes += K.le32(6) + K.le32(length) + K.le32(0) + K.le32(0) + K.le32(UInt32(index))
                + K.le32(UInt32(packet.count)) + K.le32(UInt32(packet.count)) + padded + K.le32(length)
        }
        return bytes
    }

    @Test func randomByteDamage_neverTraps() throws {
        let directory = try TemporaryDirectory()
        let originals = [K.pcap(Self.packets() + Self.packets()), Self.pcapng(Self.packets())]
        var generator = SplitMix64(state: 42)
        var outcomes = [0, 0]  // [succeeded, threw]
        var damaged: Int64 = 0
        for round in 0..<400 {
            var bytes = originals[round % 2]
            for _ in 0..<(1 + Int(generator.next() % 4)) {
                let position = Int(generator.next() % UInt64(bytes.count))
                bytes[position] = UInt8(truncatingIfNeeded: generator.next())
            }
            let path = directory.file("damaged-\(round).cap")
            try K.write(bytes, to: path)
            let out = try TemporaryDirectory()
            do {
                let report = try FlowExtraction(windowLengths: [10, 60], version: "test").run(capturePath: path, directory: out.path)
                // Every packet read is counted once: as IP, or under one reason it is not. (The reader's own
                // damage, records it could not deliver as packets, is counted under `damaged.` too.)
                let reader = try CaptureReader(path: path)
                try reader.read { _ in }
                let records = reader.damage.entries.values.reduce(0) { $0 + $1.count }
                let total = { (prefix: String) in report.counters.filter { $0.key.hasPrefix(prefix) }.values.reduce(Int64(0)) { $0 + $1.value } }
                let skipped = Int(total("damaged.") + total("not_ip.") + total("skipped_link_type.")) - records
                #expect(report.packets == report.ipPackets + skipped, "round \(round): \(report.counters)")
                damaged += total("damaged.") - Int64(records)
                _ = try CaptureSplit(mode: .count(packets: 3), version: "test").run(capturePath: path, directory: out.path)
                outcomes[0] += 1
            } catch is CaptureError {
                outcomes[1] += 1
            }
        }
        #expect(outcomes[0] > 100 && outcomes[1] > 10, "\(outcomes)")
        #expect(damaged > 0, "no damaged packet counted in \(outcomes[0]) runs")
    }
}
