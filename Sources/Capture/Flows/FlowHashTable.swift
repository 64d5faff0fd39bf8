/// Keys of `FlowHashTable`: a fixed, seedless hash, so tables behave identically on every run.
protocol FlowKey: Equatable {
    var hashValue64: UInt64 { get }
}

/// An open-addressing hash table (linear probing, power-of-two capacity, at most half full) over raw
/// storage, for the per-packet counters of the flow stage. Swift's `Dictionary` costs a seeded SipHash
/// call and a uniqueness check per lookup (shared/design/swift-notes.md §5), and a table of value type
/// nested in other collections adds copy-on-write checks on every update; this is a reference whose
/// update is a multiply, a probe and a compare. Entries keep their insertion order in `order`, so
/// what is read out depends only on the input.
final class FlowHashTable<Key: FlowKey, Value> {
    // Touched on every packet, from one thread, never across a call that could re-enter: dynamic
    // exclusivity checks on these cost a third of the stage's time (measured), so they are off here.
    @exclusivity(unchecked) private var keys: UnsafeMutablePointer<Key>
    @exclusivity(unchecked) private var values: UnsafeMutablePointer<Value>
    /// Slot of each entry plus one, in insertion order (0: an empty slot in `slotEntry`).
    @exclusivity(unchecked) private var slotEntry: UnsafeMutablePointer<Int32>
    @exclusivity(unchecked) private(set) var order: [Int32] = []
    @exclusivity(unchecked) private var capacity: Int
    private let empty: Value

    init(emptyValue: Value, capacity requested: Int = 1024) {
        var size = 16
        while size < requested * 2 { size *= 2 }
        capacity = size
        empty = emptyValue
        keys = .allocate(capacity: size)
        values = .allocate(capacity: size)
        slotEntry = .allocate(capacity: size)
        slotEntry.initialize(repeating: 0, count: size)
    }

    deinit {
        for slot in order { (keys + Int(slot)).deinitialize(count: 1); (values + Int(slot)).deinitialize(count: 1) }
        keys.deallocate()
        values.deallocate()
        slotEntry.deallocate()
    }

    /// Updates the value for `key`, inserting `empty` first if the key is new.
    @inline(__always)
    func update(_ key: Key, _ body: (inout Value) -> Void) {
        let mask = capacity - 1
        var slot = Int(truncatingIfNeeded: (key.hashValue64 &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
        while slotEntry[slot] != 0 {
            if keys[slot] == key {
                body(&values[slot])
                return
            }
            slot = (slot + 1) & mask
        }
        (keys + slot).initialize(to: key)
        (values + slot).initialize(to: empty)
        slotEntry[slot] = 1
        order.append(Int32(slot))
        body(&values[slot])
        if order.count * 2 > capacity { grow() }
    }

    private func grow() {
        let oldKeys = keys, oldValues = values, oldSlotEntry = slotEntry, oldOrder = order
        capacity *= 2
        keys = .allocate(capacity: capacity)
        values = .allocate(capacity: capacity)
        slotEntry = .allocate(capacity: capacity)
        slotEntry.initialize(repeating: 0, count: capacity)
        order = []
        order.reserveCapacity(oldOrder.count * 2)
        let mask = capacity - 1
        for old in oldOrder {
            let key = (oldKeys + Int(old)).move()
            var slot = Int(truncatingIfNeeded: (key.hashValue64 &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
            while slotEntry[slot] != 0 { slot = (slot + 1) & mask }
            (keys + slot).initialize(to: key)
            (values + slot).moveInitialize(from: oldValues + Int(old), count: 1)
            slotEntry[slot] = 1
            order.append(Int32(slot))
        }
        oldKeys.deallocate()
        oldValues.deallocate()
        oldSlotEntry.deallocate()
    }

    /// Empties the table, keeping its memory for the next window.
    func removeAll() {
        for slot in order {
            (keys + Int(slot)).deinitialize(count: 1)
            (values + Int(slot)).deinitialize(count: 1)
            slotEntry[Int(slot)] = 0
        }
        order.removeAll(keepingCapacity: true)
    }

    /// Calls `body` with every entry, in insertion order.
    func forEach(_ body: (Key, Value) throws -> Void) rethrows {
        for slot in order { try body(keys[Int(slot)], values[Int(slot)]) }
    }
}

@inline(__always)
func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
    (a ^ (b &+ 0x9E37_79B9_7F4A_7C15 &+ (a << 6) &+ (a >> 2))) &* 0xBF58_476D_1CE4_E5B9
}

extension IPAddress: FlowKey {
    var hashValue64: UInt64 { mix(mix(high, low), isIPv4 ? 1 : 0) }
}

struct PairKey: FlowKey {
    var source: IPAddress
    var destination: IPAddress

    var hashValue64: UInt64 {
        mix(mix(mix(source.high, source.low), mix(destination.high, destination.low)),
            (source.isIPv4 ? 1 : 0) | (destination.isIPv4 ? 2 : 0))
    }
}

struct PairCounters {
    var packets: Int64 = 0
    var bytes: Int64 = 0
}

struct FiveTupleKey: FlowKey {
    var pair: PairKey
    var sourcePort: UInt16
    var destinationPort: UInt16
    var ipProtocol: UInt8

    var hashValue64: UInt64 {
        mix(pair.hashValue64, UInt64(sourcePort) << 24 | UInt64(destinationPort) << 8 | UInt64(ipProtocol))
    }
}

struct FlowCounters {
    var packets: Int64 = 0
    var bytes: Int64 = 0
    var first: Int64 = .max
    var last: Int64 = .min
    var tcpFlags: UInt8 = 0
}
