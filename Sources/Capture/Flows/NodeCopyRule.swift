import Contract

/// The node rule: which copies of a packet in one node's `tcpdump -i any` capture count, so that the
/// counts of every node of a cluster add up to what one capture of the whole cluster would show
/// (docs/captures.md, "Every node's capture"). A packet between two pods shows on the sender's veth
/// before kube-proxy's NAT, on both nodes' uplinks (in the overlay) when the pods are on different
/// nodes, and on the receiver's veth after NAT. The rule keeps the veth copies and the copies where
/// traffic enters or leaves the cluster:
///
/// - a copy the node received counts when its source is one of the node's pods (the pod's veth) or
///   outside the cluster (arriving on the uplink);
/// - a copy the node sent counts when its destination is one of the node's pods or outside the cluster;
/// - overlay copies (VXLAN, Geneve, GRE, IP-in-IP) never count, nor do copies whose two ends are both
///   in the cluster but neither is a pod of this node (routed traffic between nodes, host-network
///   traffic), nor loopback copies (`lo` shows each packet twice).
///
/// It needs the direction the Linux cooked header records (SLL, SLL2) and the cluster's layout: the
/// node's pod range, every pod range, the service range and the node addresses.
public struct NodeCopyRule: Sendable {
    /// The node whose capture this is.
    public var node: String
    /// The node's pod ranges.
    public var localPods: [IPPrefix]
    /// Every range of the cluster: all pod ranges and the service range.
    public var clusterRanges: [IPPrefix]
    /// Every node's address.
    public var nodeAddresses: Set<IPAddress>

    /// The rule for `node` of a cluster whose nodes and service range these are (cluster.yaml's);
    /// nil when no node has that name.
    public init?(node: String, of nodes: [(name: String, address: IPAddress, pods: IPPrefix)], serviceRange: IPPrefix) {
        guard let own = nodes.first(where: { $0.name == node }) else { return nil }
        self.node = node
        localPods = [own.pods]
        clusterRanges = nodes.map(\.pods) + [serviceRange]
        nodeAddresses = Set(nodes.map(\.address))
    }

    /// Why a copy counts or not; the reasons not to count are tallied in summary.parquet.
    public enum Verdict: String, CaseIterable, Sendable {
        case counts
        case overlay
        case betweenNodes = "between_nodes"
        case loopback
        case noDirection = "no_direction"

        /// Position in `allCases`, for tallies kept in arrays (the rule runs for every packet).
        var ordinal: Int {
            switch self {
            case .counts: 0
            case .overlay: 1
            case .betweenNodes: 2
            case .loopback: 3
            case .noDirection: 4
            }
        }
    }

    /// Whether this node's share counts the copy `packet` summarises, or why not.
    @inline(__always)
    public func verdict(_ packet: PacketSummary) -> Verdict {
        if packet.tunnel != nil { return .overlay }
        if packet.source.isLoopback || packet.destination.isLoopback { return .loopback }
        let far: IPAddress
        switch packet.direction {
        case .unknown: return .noDirection
        case .incoming: far = packet.source
        case .outgoing: far = packet.destination
        }
        if localPods.contains(where: { $0.contains(far) }) { return .counts }
        if nodeAddresses.contains(far) || clusterRanges.contains(where: { $0.contains(far) }) { return .betweenNodes }
        return .counts
    }
}
