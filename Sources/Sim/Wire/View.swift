import Capture
import Contract

/// One place a connection's packets show up in a node's `tcpdump -i any` capture: the node, an
/// interface, the addresses and ports as they are there (before or after kube-proxy's DNAT and
/// masquerading), and for the node's uplink with an overlay, the outer node-to-node header.
struct View {
    /// The node whose capture records this copy.
    var node: Int32
    /// The SLL2 interface index on that node.
    var interface: UInt32
    /// Client-to-server direction as seen here; the server-to-client direction swaps them.
    var client: IPAddress
    var server: IPAddress
    var clientPort: UInt16
    var serverPort: UInt16
    /// VXLAN outer addresses for the client-to-server direction, when the packet is encapsulated here.
    var tunnel: (from: IPAddress, to: IPAddress)?
    /// Whether client-to-server packets leave the node through this interface (SLL packet type
    /// OUTGOING) or arrive on it (HOST).
    var clientToServerOutgoing: Bool
    /// Whether a single capture of the whole cluster would show this copy: the sender's veth before
    /// NAT, the receiver's veth after it, and where traffic enters or leaves the cluster; not the
    /// overlay and host copies between nodes (docs/simulator.md, "Every node's capture").
    var singleNodeCopy: Bool
    /// Whether flow records count this copy of a client-to-server (`recordsForward`) or
    /// server-to-client packet: each packet once, where it is delivered into a pod, or, going
    /// nowhere in a pod, where it leaves one (docs/simulator.md, "Flow records").
    var recordsForward = false
    var recordsBackward = false
}

/// Interface indices of a node, as Linux numbers them: lo 1, the uplink 2, then the pods' veths in
/// creation order.
enum InterfaceIndex {
    static let uplink: UInt32 = 2
    static let firstVeth: UInt32 = 10
}
