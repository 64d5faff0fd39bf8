import Testing
@testable import Capture

/// The flow stages' hash table: entries kept in insertion order while its first chunk doubles from
/// 64 entries and further chunks are added, and reused after being emptied.
@Suite struct FlowHashTableTests {
    static func key(_ number: Int) -> PairKey {
        PairKey(source: UInt32(number % 977), destination: UInt32(number / 977))
    }

    @Test func entries_keepTheirValuesAndOrder_asTheTableGrows() {
        let table = FlowHashTable<PairKey, PairCounters>(emptyValue: PairCounters(), capacity: 4)
        // 140,000 keys: the first chunk doubles from 64 to 65,536 entries, then two more chunks.
        let keys = 140_000
        for round in 0..<2 {
            var refused: [Int] = []
            for number in 0..<keys {
                let isNew = table.update(Self.key(number)) { $0.packets += 1; $0.bytes += Int64(number) }
                let isNewAgain = number % 3 == 0 && table.update(Self.key(number)) { $0.ipBytes += 7 }
                if !isNew || isNewAgain { refused.append(number) }
            }
            #expect(refused.isEmpty, "keys taken for new or old wrongly in round \(round): \(refused.prefix(5))")
            #expect(table.count == keys)
            var seen = 0
            var wrong: [Int] = []
            table.forEach { key, value in
                let expectedIPBytes: Int64 = seen % 3 == 0 ? 7 : 0
                if key != Self.key(seen) || value.packets != 1 || value.bytes != Int64(seen) || value.ipBytes != expectedIPBytes {
                    wrong.append(seen)
                }
                seen += 1
            }
            #expect(seen == keys && wrong.isEmpty, "first entries out of place: \(wrong.prefix(5))")
            // Emptied, it keeps its memory and fills again from the first entry.
            table.removeAll()
            #expect(table.count == 0)
        }
    }
}
