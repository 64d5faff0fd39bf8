import Contract

/// Keys of `FlowHashTable`: a fixed, seedless hash, so tables behave identically on every run.
protocol FlowKey: Equatable {
    var hashValue64: UInt64 { get }
}

/// A hash table for the per-packet counters of the flow stage. Swift's `Dictionary` costs a seeded
/// SipHash call and a uniqueness check per lookup (shared/design/swift-notes.md §5), and a table of
/// value type nested in other collections adds copy-on-write checks on every update; this is a
/// reference whose update is a multiply, a probe and a compare.
///
/// Entries live densely, in insertion order (so what is read out depends only on the input), in
/// chunks of 65,536 that never move; the open-addressing index (linear probing, power-of-two capacity,
/// at most half full) holds only entry numbers. A window of 10 million flows then costs its entries
/// and 4 to 8 bytes of index each, and growing copies at most the first chunk's entries: it starts
/// at 64 and doubles until it is whole, so that the thousands of windows a long flow record keeps
/// open take a page or so each, not a 4 MB allocation each (with whole first chunks, a day of conn.log
/// whose open windows were kept to 32 MiB still peaked at 327 MB; with small ones, 124 MB).
final class FlowHashTable<Key: FlowKey, Value> {
    private static var chunkShift: Int { 16 }
    private static var chunkSize: Int { 1 << chunkShift }

    // Touched on every packet, from one thread, never across a call that could re-enter: dynamic
    // exclusivity checks on these cost a third of the stage's time (measured), so they are off here.
    @exclusivity(unchecked) private var chunks: [UnsafeMutablePointer<(key: Key, value: Value)>] = []
    /// Entry number plus one per slot (0: empty).
    @exclusivity(unchecked) private var index: UnsafeMutablePointer<UInt32>
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private(set) var count = 0
    /// Entries the chunks can hold.
    @exclusivity(unchecked) private var entryCapacity = 0
    private let empty: Value
    private static var firstChunkSize: Int { 64 }

    init(emptyValue: Value, capacity requested: Int = 1024) {
        var size = 16
        while size < requested * 2 { size *= 2 }
        capacity = size
        empty = emptyValue
        index = .allocate(capacity: size)
        index.initialize(repeating: 0, count: size)
    }

    deinit {
        removeAll()
        for chunk in chunks { chunk.deallocate() }
        index.deallocate()
    }

    @inline(__always)
    private func entry(_ number: Int) -> UnsafeMutablePointer<(key: Key, value: Value)> {
        chunks[number >> Self.chunkShift] + (number & (Self.chunkSize - 1))
    }

    @inline(__always)
    private func home(_ key: Key, mask: Int) -> Int {
        Int(truncatingIfNeeded: (key.hashValue64 &* 0x9E37_79B9_7F4A_7C15) >> 20) & mask
    }

    /// Updates the value for `key`, inserting `empty` first if the key is new; true if it was.
    @inline(__always) @discardableResult
    func update(_ key: Key, _ body: (inout Value) -> Void) -> Bool {
        let mask = capacity - 1
        var slot = home(key, mask: mask)
        while index[slot] != 0 {
            let found = entry(Int(index[slot]) - 1)
            if found.pointee.key == key {
                body(&found.pointee.value)
                return false
            }
            slot = (slot + 1) & mask
        }
        precondition(count < Int(UInt32.max), "a window holds more than 4 billion flows")
        if count == entryCapacity { makeRoom() }
        let new = entry(count)
        new.initialize(to: (key, empty))
        count += 1
        index[slot] = UInt32(count)
        body(&new.pointee.value)
        if count * 2 > capacity { grow() }
        return true
    }

    /// Room for one more entry: a first chunk, the first chunk doubled, or another whole chunk.
    private func makeRoom() {
        if chunks.isEmpty {
            chunks.append(.allocate(capacity: Self.firstChunkSize))
            entryCapacity = Self.firstChunkSize
        } else if entryCapacity < Self.chunkSize {
            let larger = UnsafeMutablePointer<(key: Key, value: Value)>.allocate(capacity: entryCapacity * 2)
            larger.moveInitialize(from: chunks[0], count: count)
            chunks[0].deallocate()
            chunks[0] = larger
            entryCapacity *= 2
        } else {
            chunks.append(.allocate(capacity: Self.chunkSize))
            entryCapacity += Self.chunkSize
        }
    }

    private func grow() {
        index.deallocate()
        capacity *= 2
        index = .allocate(capacity: capacity)
        index.initialize(repeating: 0, count: capacity)
        let mask = capacity - 1
        for number in 0..<count {
            var slot = home(entry(number).pointee.key, mask: mask)
            while index[slot] != 0 { slot = (slot + 1) & mask }
            index[slot] = UInt32(number + 1)
        }
    }

    /// Empties the table, keeping its memory for the next window.
    func removeAll() {
        if count * 8 < capacity {
            // Few entries in a large index (a big window before): clear only their slots.
            let mask = capacity - 1
            for number in 0..<count {
                var slot = home(entry(number).pointee.key, mask: mask)
                while index[slot] != UInt32(number + 1) { slot = (slot + 1) & mask }
                index[slot] = 0
            }
        } else {
            index.update(repeating: 0, count: capacity)
        }
        for number in 0..<count { entry(number).deinitialize(count: 1) }
        count = 0
    }

    /// Calls `body` with every entry, in insertion order.
    func forEach(_ body: (Key, Value) throws -> Void) rethrows {
        for number in 0..<count {
            let found = entry(number)
            try body(found.pointee.key, found.pointee.value)
        }
    }
}

@inline(__always)
func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
    (a ^ (b &+ 0x9E37_79B9_7F4A_7C15 &+ (a << 6) &+ (a >> 2))) &* 0xBF58_476D_1CE4_E5B9
}

extension IPAddress: FlowKey {
    var hashValue64: UInt64 { mix(mix(high, low), isIPv4 ? 1 : 0) }
}

/// Addresses by their number in the aggregator's address list (first appearance order): a pair is 8
/// bytes where two addresses take 48.
struct PairKey: FlowKey {
    var source: UInt32
    var destination: UInt32

    var hashValue64: UInt64 { mix(UInt64(source), UInt64(destination)) }
}

struct PairCounters {
    var packets: Int64 = 0
    var bytes: Int64 = 0
    var ipBytes: Int64 = 0
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
    var ipBytes: Int64 = 0
    var first: Int64 = .max
    var last: Int64 = .min
    var tcpFlags: UInt8 = 0
}
