import Capture
import Cluster
import Contract

/// Hands out the lowest free address of a range, as host-local IPAM does after a wrap-around: an
/// address freed by a deleted pod is the next one given out, so address reuse happens as it does in
/// a busy cluster.
struct AddressPool {
    let prefix: IPPrefix
    private var used: [Bool]
    private let first: Int

    /// - Parameter reserved: offsets never handed out (network address, gateway).
    init(prefix: IPPrefix, reserved: Set<Int>) {
        self.prefix = prefix
        let usable = min(prefix.size, 1 << 16)
        used = Array(repeating: false, count: usable)
        for offset in reserved where offset < usable { used[offset] = true }
        used[0] = true
        if prefix.network.isIPv4 && usable == prefix.size && usable > 2 { used[usable - 1] = true }  // broadcast
        first = 1
    }

    mutating func allocate() -> IPAddress? {
        guard let offset = used.indices.dropFirst(first).first(where: { !used[$0] }) else { return nil }
        used[offset] = true
        return prefix.address(at: offset)
    }

    /// Takes a specific offset (random service addresses).
    mutating func take(offset: Int) -> IPAddress? {
        guard offset > 0, offset < used.count, !used[offset] else { return nil }
        used[offset] = true
        return prefix.address(at: offset)
    }

    mutating func release(_ address: IPAddress) {
        let offset = Int(truncatingIfNeeded: address.low &- prefix.network.low)
        if offset > 0 && offset < used.count { used[offset] = false }
    }

    var capacity: Int { used.count }
}
