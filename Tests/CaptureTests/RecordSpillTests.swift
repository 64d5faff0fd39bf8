import Testing
import TestSupport
@testable import Capture
import Contract
import Seeded

/// The scratch file of mimir-records' first pass gives back every record as it was kept: each number
/// exact whatever its size (varints of one to ten bytes), starts out of order, and records across
/// the refills of its buffer.
@Suite struct RecordSpillTests {
    @Test func everyRecord_comesBackAsItWasKept() throws {
        let directory = try TemporaryDirectory()
        let spill = try RecordSpill(directory: directory.path)
        var random = SeededRandom(seed: 19)
        // Values at every varint length's edges, then any.
        let edges: [Int64] = [0, 1, 127, 128, 16_383, 16_384, 1 << 35, Int64(UInt32.max), Int64.max - 1, Int64.max]
        func number(_ index: Int) -> Int64 { index < edges.count ? edges[index] : Int64.random(in: 0...Int64.max, using: &random) }
        // More addresses than one varint byte numbers, of both families.
        let addresses = (0..<300).map { $0 % 3 == 0 ? IPAddress(ipv6: 0x2001_0db8 << 32, UInt64($0)) : IPAddress(ipv4: 0x0A00_0000 + UInt32($0)) }
        var kept: [FlowRecord] = []
        for index in 0..<150_000 {
            let start = number(index)
            let span = index < edges.count ? Int64.max - start : Int64.random(in: 0...min(Int64.max - start, 1 << 40), using: &random)
            let record = FlowRecord(source: addresses.randomElement(using: &random)!, destination: addresses.randomElement(using: &random)!,
                                    sourcePort: .random(in: 0...UInt16.max, using: &random), destinationPort: index < edges.count ? .max : 443,
                                    ipProtocol: .random(in: 0...UInt8.max, using: &random), tcpFlags: .random(in: 0...UInt8.max, using: &random),
                                    start: start, end: start + span, packets: number(edges.count - 1 - index % edges.count),
                                    ipBytes: number(index))
            try spill.append(record)
            kept.append(record)
        }
        var returned: [FlowRecord] = []
        try spill.forEach { returned.append($0) }
        #expect(spill.count == kept.count)
        try #require(returned.count == kept.count)
        // The first record that came back changed, if any (a message of two records, not of 150,000).
        let changed = kept.indices.first { returned[$0] != kept[$0] }
        #expect(changed == nil, "record \(changed ?? 0): kept \(kept[changed ?? 0]), returned \(returned[changed ?? 0])")
    }
}
