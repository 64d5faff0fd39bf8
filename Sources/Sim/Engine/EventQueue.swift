/// A binary min-heap of timed items. Items due at the same nanosecond come out in the order they were
/// scheduled, so the simulation (and its capture) is a function of the seed alone.
struct EventQueue<Item> {
    private struct Entry {
        var time: Int64
        var order: UInt64
        var item: Item

        @inline(__always)
        func precedes(_ other: Entry) -> Bool {
            time < other.time || (time == other.time && order < other.order)
        }
    }

    private var entries: [Entry] = []
    private var scheduled: UInt64 = 0


    mutating func schedule(_ item: Item, at time: Int64) {
        entries.append(Entry(time: time, order: scheduled, item: item))
        scheduled &+= 1
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].precedes(entries[parent]) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popFirst() -> (time: Int64, item: Item)? {
        guard !entries.isEmpty else { return nil }
        let first = entries[0]
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var parent = 0
            let count = entries.count
            while true {
                let left = 2 * parent + 1
                guard left < count else { break }
                var smallest = left
                if left + 1 < count && entries[left + 1].precedes(entries[left]) { smallest = left + 1 }
                guard entries[smallest].precedes(entries[parent]) else { break }
                entries.swapAt(smallest, parent)
                parent = smallest
            }
        }
        return (first.time, first.item)
    }
}
