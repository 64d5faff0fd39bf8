import Cluster
import Contract

/// The cluster's addressing, from `cluster.yaml` or inferred from the entity log: which ranges hold
/// pods and services, which addresses are nodes and gateways.
public struct ClusterLayout: Sendable {
    public var podRanges: [IPPrefix]
    public var serviceRanges: [IPPrefix]
    public var nodeAddresses: [IPAddress: String]
    public var gateways: Set<IPAddress>
    /// The cluster's nodes, by name (sorted).
    public var nodeNames: [String]

    public init(settings: ClusterSettings, extraGateways: [IPAddress] = []) {
        podRanges = settings.nodes.map(\.podCIDR)
        serviceRanges = [settings.serviceCIDR]
        nodeAddresses = Dictionary(settings.nodes.map { ($0.address, $0.name) }, uniquingKeysWith: { first, _ in first })
        gateways = Set(settings.nodes.map(\.gateway) + extraGateways)
        nodeNames = settings.nodes.map(\.name).sorted()
    }

    /// Inferred: pod ranges cover each node's pod addresses (at least a /24, or a /64 for IPv6), the
    /// service range covers every service address, host-network pods give the node addresses, and
    /// each pod range's first address is taken for its gateway (a bridge's usual address) unless
    /// gateways are given or a pod owns it.
    public init(book: AddressBook, gateways given: [IPAddress]) {
        var podsByNode: [String: [IPAddress]] = [:]
        var services: [IPAddress] = []
        for (address, entity) in book.ownedAddresses {
            let owner = book.entities[entity]
            if owner.kind == .service { services.append(address) } else { podsByNode[owner.node ?? "", default: []].append(address) }
        }
        podRanges = podsByNode.keys.sorted().compactMap { Self.covering(podsByNode[$0]!, minimumHostBits: podsByNode[$0]!.first!.isIPv4 ? 8 : 64) }
        serviceRanges = [Self.covering(services, minimumHostBits: 0)].compactMap { $0 }
        nodeAddresses = [:]
        for (node, addresses) in book.nodeAddresses { for address in addresses { nodeAddresses[address] = node } }
        nodeNames = Set(book.entities.compactMap(\.node).filter { !$0.isEmpty } + book.nodeAddresses.keys).sorted()
        let owned = Set(book.ownedAddresses.map(\.address))
        gateways = given.isEmpty ? Set(podRanges.compactMap { $0.address(at: 1) }.filter { !owned.contains($0) }) : Set(given)
    }

    /// The smallest prefix holding every address, widened to at least `minimumHostBits` host bits.
    static func covering(_ addresses: [IPAddress], minimumHostBits: Int) -> IPPrefix? {
        guard let first = addresses.first else { return nil }
        let width = first.isIPv4 ? 32 : 128
        for length in stride(from: width - minimumHostBits, through: 0, by: -1) {
            guard let prefix = IPPrefix("\(first)/\(length)") else { continue }
            if addresses.allSatisfy(prefix.contains) { return prefix }
        }
        return nil
    }

    public func isInCluster(_ address: IPAddress) -> Bool {
        podRanges.contains { $0.contains(address) } || serviceRanges.contains { $0.contains(address) }
    }
}
