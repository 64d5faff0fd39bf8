import Contract

/// A pod or a service as the entity log last described it.
public struct Entity: Hashable, Sendable {
    public var kind: EntityEvent.Kind
    public var namespace: String
    public var name: String
    public var labels: [String: String]
    public var selector: [String: String]?
    public var node: String?
    public var hostNetwork: Bool
}

/// Which entity owned which address when (ARCHITECTURE.md, "The entity log"): an address belongs to
/// an entity from the event that gives it the address until its deletion, or until an event takes
/// the address away (from it, or by giving it to another entity). Host-network pods share their
/// node's address and own nothing; their addresses are the nodes' (`nodeAddresses`).
public final class AddressBook {
    public private(set) var entities: [Entity] = []
    /// Per address: (from, to, entity index), in the order they began; `to` is Int64.max while open.
    private var owners: [IPAddress: [(from: Int64, to: Int64, entity: Int)]] = [:]
    /// Node name -> its addresses: those its pods report for it (`hostIPs`) and its host-network pods' own.
    public private(set) var nodeAddresses: [String: Set<IPAddress>] = [:]

    /// - Parameter expires: false keeps every mapping until another entity takes the address, as
    ///   the original did (the `mimir` profile).
    public init(events: [EntityEvent], expires: Bool = true) {
        var index: [String: Int] = [:]
        var held: [Int: Set<IPAddress>] = [:]
        for event in events {
            let identity = "\(event.kind.rawValue)/\(event.namespace)/\(event.name)"
            let entity = Entity(kind: event.kind, namespace: event.namespace, name: event.name, labels: event.labels,
                                selector: event.selector, node: event.node, hostNetwork: event.hostNetwork)
            let id: Int
            if let known = index[identity] {
                id = known
                if event.change != .deleted { entities[id] = entity }
            } else {
                id = entities.count
                entities.append(entity)
                index[identity] = id
            }
            // A pod's node has the addresses the pod reports for it (hostIPs), and a host-network pod's own.
            if let node = event.node, !node.isEmpty { nodeAddresses[node, default: []].formUnion(event.hostIPs) }
            if event.hostNetwork {
                if let node = event.node { nodeAddresses[node, default: []].formUnion(event.ips) }
                continue
            }
            let now = Set(event.change == .deleted ? [] : event.ips)
            let before = held[id] ?? []
            if expires {
                for address in before.subtracting(now) { close(address, entity: id, at: event.time) }
            }
            for address in now.subtracting(before) {
                // A new owner takes the address from whoever held it.
                if let current = owners[address]?.last, current.to == .max, current.entity != id {
                    close(address, entity: current.entity, at: event.time)
                    held[current.entity]?.remove(address)
                }
                owners[address, default: []].append((event.time, .max, id))
            }
            held[id] = expires ? now : before.union(now)
        }
    }

    private func close(_ address: IPAddress, entity: Int, at time: Int64) {
        guard var intervals = owners[address], let last = intervals.indices.last, intervals[last].entity == entity,
              intervals[last].to == .max else { return }
        intervals[last].to = time
        owners[address] = intervals
    }

    /// The entity that owned `address` in the window [start, end): its owner at the window's end, or
    /// if none then, its last owner during the window.
    public func owner(of address: IPAddress, windowStart start: Int64, windowEnd end: Int64) -> Int? {
        guard let intervals = owners[address] else { return nil }
        var last: Int?
        for interval in intervals where interval.from < end && interval.to > start {
            if interval.from <= end - 1 && interval.to > end - 1 { return interval.entity }
            last = interval.entity
        }
        return last
    }

    /// Every address an entity ever owned (for inferring the cluster's ranges).
    public var ownedAddresses: [(address: IPAddress, entity: Int)] {
        owners.flatMap { address, intervals in intervals.map { (address, $0.entity) } }
    }
}
