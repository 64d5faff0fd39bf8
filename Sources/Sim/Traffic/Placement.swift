import Capture
import Cluster
import Contract

/// Where one end of a connection is.
enum Place {
    case pod(Int)
    /// A node's own network stack (the kubelet, host-network pods).
    case host(Int)
    case outside(IPAddress)
}

extension Simulation {
    /// Every copy of a connection's packets that `tcpdump -i any` records on the nodes whose captures
    /// are written (docs/simulator.md, "What the capture sees"):
    /// - a pod's veth shows what the pod sends and receives; a request to a service address shows
    ///   there before kube-proxy's DNAT (pod to service address) and at the serving pod's veth after
    ///   it (pod to pod);
    /// - traffic between nodes shows on both nodes' uplinks, in VXLAN with an overlay (the copies on
    ///   the bridge and overlay devices repeat headers already recorded and are left out: analysers
    ///   take a third copy of a segment for a fast retransmission);
    /// - users arrive on the uplink of their entry node at a node port and reach a pod of that node
    ///   with their address kept (external traffic policy `local`) or masqueraded as the node's
    ///   gateway address (`cluster`); a pod elsewhere sees them masqueraded as the entry node's
    ///   address, after the overlay; traffic to outside leaves masqueraded as the node's address.
    /// Flow records count each packet once: at the veth that delivers it into a pod, or, when it goes
    /// to no pod (outside, a node), at the veth it leaves its pod by.
    func views(client: Place, server: Place, service: Int?, clientPort: UInt16, serverPort: UInt16, entry: Int? = nil) -> [View] {
        let nodes = cluster.settings.nodes
        var views: [View] = []
        func add(_ node: Int, _ interface: UInt32, _ client: IPAddress, _ server: IPAddress, ports: (UInt16, UInt16)? = nil,
                 tunnel: (IPAddress, IPAddress)? = nil, outgoing: Bool, single: Bool, records: (forward: Bool, backward: Bool) = (false, false)) {
            guard recorded[node] else { return }
            let (clientSide, serverSide) = ports ?? (clientPort, serverPort)
            views.append(View(node: Int32(node), interface: interface, client: client, server: server, clientPort: clientSide,
                              serverPort: serverSide, tunnel: tunnel, clientToServerOutgoing: outgoing, singleNodeCopy: single,
                              recordsForward: records.forward, recordsBackward: records.backward))
        }
        func veth(_ pod: Int) -> UInt32 { pods[pod].interface }
        // Between two nodes: out of one uplink, into the other's; a single capture shows neither.
        func crossNode(from: Int, to: Int, client: IPAddress, server: IPAddress, overlay: Bool = true) {
            guard from != to else { return }
            let tunnel = overlay && cluster.settings.networkPlugin == .vxlan ? (nodes[from].address, nodes[to].address) : nil
            add(from, InterfaceIndex.uplink, client, server, tunnel: tunnel, outgoing: true, single: false)
            add(to, InterfaceIndex.uplink, client, server, tunnel: tunnel, outgoing: false, single: false)
        }
        switch (client, server) {
        case let (.outside(address), .pod(target)):
            // Users reach a node port of their entry node.
            let entry = entry ?? captureNode
            let nodePort = UInt16(services[service!].model?.nodePort ?? Int(serverPort))
            add(entry, InterfaceIndex.uplink, address, nodes[entry].address, ports: (clientPort, nodePort), outgoing: false, single: true)
            let targetNode = pods[target].node
            if targetNode == entry {
                let source = cluster.externalTrafficPolicy == .local ? address : nodes[entry].gateway
                add(entry, veth(target), source, pods[target].address!, outgoing: true, single: true, records: (true, true))
            } else {
                crossNode(from: entry, to: targetNode, client: nodes[entry].address, server: pods[target].address!)
                add(targetNode, veth(target), nodes[entry].address, pods[target].address!, outgoing: true, single: true, records: (true, true))
            }
        case let (.pod(source), .outside(address)):
            let sourceNode = pods[source].node
            add(sourceNode, veth(source), pods[source].address!, address, outgoing: false, single: true, records: (true, true))
            add(sourceNode, InterfaceIndex.uplink, nodes[sourceNode].address, address, outgoing: true, single: true)
        case let (.host(node), .pod(target)):
            let targetNode = pods[target].node
            let from = node == targetNode ? nodes[node].gateway : nodes[node].address
            crossNode(from: node, to: targetNode, client: from, server: pods[target].address!, overlay: false)
            add(targetNode, veth(target), from, pods[target].address!, outgoing: true, single: true, records: (true, true))
        case let (.pod(source), .host(node)):
            let sourceNode = pods[source].node
            add(sourceNode, veth(source), pods[source].address!, nodes[node].address, outgoing: false, single: true, records: (true, true))
            crossNode(from: sourceNode, to: node, client: pods[source].address!, server: nodes[node].address, overlay: false)
        case let (.pod(source), .pod(target)):
            let sourceNode = pods[source].node, targetNode = pods[target].node
            let sourceAddress = pods[source].address!, targetAddress = pods[target].address!
            let front = service.flatMap { services[$0].address } ?? targetAddress
            let frontPort = service.map { services[$0].port } ?? serverPort
            // Requests are delivered at the target's veth (after DNAT), replies at the source's (before it).
            add(sourceNode, veth(source), sourceAddress, front, ports: (clientPort, frontPort), outgoing: false, single: true,
                records: (false, true))
            crossNode(from: sourceNode, to: targetNode, client: sourceAddress, server: targetAddress)
            add(targetNode, veth(target), sourceAddress, targetAddress, outgoing: true, single: true, records: (true, false))
        default:
            break
        }
        return views
    }

    /// One-way latency between two places, drawn per connection: a bridge hop, a node-to-node hop, or
    /// the path to a host outside.
    func latency(_ client: Place, _ server: Place) -> Int64 {
        func node(_ place: Place) -> Int? {
            switch place {
            case let .pod(id): pods[id].node
            case let .host(index): index
            case .outside: nil
            }
        }
        switch (node(client), node(server)) {
        case let (a?, b?) where a == b: return Int64(random.int(20_000...60_000))
        case (_?, _?): return Int64(random.int(150_000...400_000))
        default: return Int64(random.int(400_000...2_000_000))
        }
    }

    /// The next ephemeral port of a pod (Linux's 32768-60999 range).
    func ephemeralPort(_ pod: Int) -> UInt16 {
        let port = pods[pod].nextPort
        pods[pod].nextPort = port >= 60_999 ? 32_768 : port + 1
        return port
    }

    func randomEphemeralPort() -> UInt16 { UInt16(random.int(32_768...60_999)) }
}
