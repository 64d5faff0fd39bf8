import Contract

/// Addresses numbered in order of first appearance, so that keys and rows hold 4-byte numbers
/// (a capture or a records file repeats a few addresses in millions of packets or records).
final class AddressNumbers {
    private let numbers = FlowHashTable<IPAddress, UInt32>(emptyValue: .max, capacity: 1024)
    /// How many addresses have a number: the next one gets this.
    private(set) var count = 0
    /// The last pair asked for. Touched for every packet from one thread, never across a call that
    /// could re-enter: dynamic exclusivity checks are off, as in the flow aggregator.
    @exclusivity(unchecked) private var recent: (source: IPAddress, destination: IPAddress, numbers: (UInt32, UInt32))?

    /// The numbers of a source and a destination; `new` is called with each address numbered now, in
    /// order. Most packets and records repeat the last pair, or turn it around (an answer, a flow's
    /// reverse record): those take no lookup.
    @inline(__always)
    func numbers(_ source: IPAddress, _ destination: IPAddress, new: (IPAddress) -> Void) -> (UInt32, UInt32) {
        if let recent {
            if recent.source == source, recent.destination == destination { return recent.numbers }
            if recent.source == destination, recent.destination == source { return (recent.numbers.1, recent.numbers.0) }
        }
        let pair = (number(source, new), number(destination, new))
        recent = (source, destination, pair)
        return pair
    }

    private func number(_ address: IPAddress, _ new: (IPAddress) -> Void) -> UInt32 {
        var result: UInt32 = 0
        numbers.update(address) { number in
            if number == .max {
                number = UInt32(count)
                count += 1
                new(address)
            }
            result = number
        }
        return result
    }
}
