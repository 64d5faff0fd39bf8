import Contract

/// One packet as a flow exporter or Zeek observes it: the copy a view marks as the records' copy
/// (docs/simulator.md, "Flow records"), with the addresses and ports of that view.
struct ObservedPacket {
    /// The node whose exporter sees it.
    var node: Int32
    var source: IPAddress
    var destination: IPAddress
    var sourcePort: UInt16
    var destinationPort: UInt16
    var ipProtocol: UInt8
    var tcpFlags: UInt8
    /// The IP packet's length, headers included, and its transport payload's.
    var ipLength: Int
    var payloadLength: Int
    /// The node's clock, nanoseconds since the epoch.
    var timestamp: Int64
    /// Client to server, as the view's client and server are.
    var forward: Bool
    /// The connection's pods (-1: not a pod) and the service its client addressed (-1: none), for
    /// an exporter that names them.
    var clientPod: Int32
    var serverPod: Int32
    var service: Int32
}

/// A flow's identity at one node: a direction of a 5-tuple (the exporter's), or a connection's with
/// its originator as the source (Zeek's).
struct NodeFlowKey: Hashable, Comparable {
    var node: Int32
    var source: IPAddress, destination: IPAddress
    var sourcePort: UInt16, destinationPort: UInt16
    var ipProtocol: UInt8

    static func < (a: NodeFlowKey, b: NodeFlowKey) -> Bool {
        (a.node, a.source, a.destination, a.sourcePort, a.destinationPort, a.ipProtocol)
            < (b.node, b.source, b.destination, b.sourcePort, b.destinationPort, b.ipProtocol)
    }
}

extension ObservedPacket {
    /// The packet's direction of its 5-tuple.
    var flowKey: NodeFlowKey {
        NodeFlowKey(node: node, source: source, destination: destination, sourcePort: sourcePort, destinationPort: destinationPort,
                    ipProtocol: ipProtocol)
    }

    /// Its connection's 5-tuple, from the view's client.
    var connectionKey: NodeFlowKey {
        forward ? flowKey : NodeFlowKey(node: node, source: destination, destination: source, sourcePort: destinationPort,
                                        destinationPort: sourcePort, ipProtocol: ipProtocol)
    }
}
