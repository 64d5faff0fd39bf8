/// Where a flow record's packets fall in time: P packets placed evenly over its span D from its start,
/// packet j at `start + floor((2j + 1) D / 2P)`, the middle of its share of the span. Exact in 128-bit
/// arithmetic for any 63-bit count and span.
struct RecordSpread {
    let start: Int64
    let span: Int64
    let packets: Int64

    /// The time of packet `j` (0-based, below `packets`).
    func time(ofPacket j: Int64) -> Int64 {
        guard span > 0 else { return start }
        let twice = UInt64(packets) * 2
        let product = (UInt64(j) * 2 + 1).multipliedFullWidth(by: UInt64(span))
        return start + Int64(twice.dividingFullWidth(product).quotient)
    }

    /// How many packets are placed before `time`: the j with `floor((2j + 1) D / 2P) < time - start`,
    /// that is `(2j + 1) D < 2P (time - start)`, so `ceil(2P u / D) / 2` of them for u = time - start.
    func packets(before time: Int64) -> Int64 {
        let elapsed = time - start
        guard elapsed > 0 else { return 0 }
        guard elapsed < span else { return packets }
        let product = (UInt64(packets) * 2).multipliedFullWidth(by: UInt64(elapsed))
        let (quotient, remainder) = UInt64(span).dividingFullWidth(product)
        return min(packets, Int64((quotient + (remainder > 0 ? 1 : 0)) / 2))
    }
}
