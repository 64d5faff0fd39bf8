#if canImport(Glibc)
import Glibc
#endif

/// Keys of `FlowHashTable`: a fixed, seedless hash, so tables behave identically on every run.
protocol FlowKey: Equatable {
    var hashValue64: UInt64 { get }
}

/// An open-addressing hash table (linear probing, power-of-two capacity, at most half full) for the
/// per-packet counters of the flow stage. Swift's `Dictionary` costs a seeded SipHash call and a
/// uniqueness check per lookup; this costs a multiply and a compare (shared/design/swift-notes.md §5).
struct FlowHashTable<Key: FlowKey, Value> {
    private var keys: [Key?]
    private(set) var values: [Value]
    private var mask: Int
    private(set) var count = 0
    private let empty: Value

    init(emptyValue: Value, capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size *= 2 }
        keys = Array(repeating: nil, count: size)
        values = Array(repeating: emptyValue, count: size)
        mask = size - 1
        empty = emptyValue
    }

    /// Updates the value for `key` (inserting `empty` first if it is new).
    @inline(__always)
    mutating func update(_ key: Key, _ body: (inout Value) -> Void) {
        var slot = Int(truncatingIfNeeded: (key.hashValue64 &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
        while let existing = keys[slot] {
            if existing == key {
                body(&values[slot])
                return
            }
            slot = (slot + 1) & mask
        }
        keys[slot] = key
        body(&values[slot])
        count += 1
        if count * 2 > keys.count { grow() }
    }

    private mutating func grow() {
        let oldKeys = keys, oldValues = values
        keys = Array(repeating: nil, count: oldKeys.count * 2)
        values = Array(repeating: empty, count: oldKeys.count * 2)
        mask = keys.count - 1
        count = 0
        for (slot, key) in oldKeys.enumerated() {
            if let key { update(key) { $0 = oldValues[slot] } }
        }
    }

    /// The entries, in no particular order.
    var entries: [(Key, Value)] {
        var result: [(Key, Value)] = []
        result.reserveCapacity(count)
        for (slot, key) in keys.enumerated() { if let key { result.append((key, values[slot])) } }
        return result
    }
}

@inline(__always)
func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
    (a ^ (b &+ 0x9E37_79B9_7F4A_7C15 &+ (a << 6) &+ (a >> 2))) &* 0xBF58_476D_1CE4_E5B9
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
