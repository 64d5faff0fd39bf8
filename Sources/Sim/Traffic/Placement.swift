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
    /// Every copy of a connection's packets that `tcpdump -i any` on the capture node records
    /// (docs/simulator.md, "What the capture sees"):
    /// - a pod's veth shows what the pod sends and receives; a request to a service address shows
    ///   there before kube-proxy's DNAT (pod to service address) and at the serving pod's veth after
    ///   it (pod to pod);
    /// - traffic between nodes shows on the uplink, in VXLAN with an overlay (the copies on the bridge
    ///   and overlay devices repeat headers already recorded and are left out: analysers take a third
    ///   copy of a segment for a fast retransmission);
    /// - traffic from outside arrives on the uplink at a node port and reaches a pod of the node with
    ///   the user's address kept (external traffic policy `local`), or masqueraded as the node's
    ///   gateway address (`cluster`); traffic to outside leaves masqueraded as the node's address;
    /// - traffic the capture node neither sends nor receives is not seen at all.
    func views(client: Place, server: Place, service: Int?, clientPort: UInt16, serverPort: UInt16) -> [View] {
        let here = captureNode
        let nodes = cluster.settings.nodes
        var views: [View] = []
        func veth(_ pod: Int) -> UInt32 { pods[pod].interface }
        func crossNode(from: Int, to: Int, client: IPAddress, server: IPAddress) {
            guard from != to, from == here || to == here else { return }
            let leaving = from == here
            let tunnel = cluster.settings.networkPlugin == .vxlan ? (nodes[from].address, nodes[to].address) : nil
            views.append(View(interface: InterfaceIndex.uplink, client: client, server: server, clientPort: clientPort,
                              serverPort: serverPort, tunnel: tunnel, clientToServerOutgoing: leaving))
        }
        switch (client, server) {
        case let (.outside(address), .pod(target)):
            // Users reach a node port of the capture node.
            let nodePort = UInt16(services[service!].model?.nodePort ?? Int(serverPort))
            views.append(View(interface: InterfaceIndex.uplink, client: address, server: nodes[here].address, clientPort: clientPort,
                              serverPort: nodePort, tunnel: nil, clientToServerOutgoing: false))
            let targetNode = pods[target].node
            if targetNode == here {
                let source = cluster.externalTrafficPolicy == .local ? address : nodes[here].gateway
                views.append(View(interface: veth(target), client: source, server: pods[target].address!, clientPort: clientPort,
                                  serverPort: serverPort, tunnel: nil, clientToServerOutgoing: true))
            } else {
                crossNode(from: here, to: targetNode, client: nodes[here].address, server: pods[target].address!)
            }
        case let (.pod(source), .outside(address)):
            guard pods[source].node == here else { break }
            views.append(View(interface: veth(source), client: pods[source].address!, server: address, clientPort: clientPort,
                              serverPort: serverPort, tunnel: nil, clientToServerOutgoing: false))
            views.append(View(interface: InterfaceIndex.uplink, client: nodes[here].address, server: address, clientPort: clientPort,
                              serverPort: serverPort, tunnel: nil, clientToServerOutgoing: true))
        case let (.host(node), .pod(target)):
            guard node == here, pods[target].node == here else { break }
            views.append(View(interface: veth(target), client: nodes[here].gateway, server: pods[target].address!, clientPort: clientPort,
                              serverPort: serverPort, tunnel: nil, clientToServerOutgoing: true))
        case let (.pod(source), .host(node)):
            let sourceNode = pods[source].node
            if sourceNode == here {
                views.append(View(interface: veth(source), client: pods[source].address!, server: nodes[node].address, clientPort: clientPort,
                                  serverPort: serverPort, tunnel: nil, clientToServerOutgoing: false))
            }
            if sourceNode != node && (sourceNode == here || node == here) {
                views.append(View(interface: InterfaceIndex.uplink, client: pods[source].address!, server: nodes[node].address,
                                  clientPort: clientPort, serverPort: serverPort, tunnel: nil, clientToServerOutgoing: sourceNode == here))
            }
        case let (.pod(source), .pod(target)):
            let sourceNode = pods[source].node, targetNode = pods[target].node
            let sourceAddress = pods[source].address!, targetAddress = pods[target].address!
            if sourceNode == here {
                let front = service.flatMap { services[$0].address } ?? targetAddress
                let frontPort = service.map { services[$0].port } ?? serverPort
                views.append(View(interface: veth(source), client: sourceAddress, server: front, clientPort: clientPort,
                                  serverPort: frontPort, tunnel: nil, clientToServerOutgoing: false))
            }
            crossNode(from: sourceNode, to: targetNode, client: sourceAddress, server: targetAddress)
            if targetNode == here {
                views.append(View(interface: veth(target), client: sourceAddress, server: targetAddress, clientPort: clientPort,
                                  serverPort: serverPort, tunnel: nil, clientToServerOutgoing: true))
            }
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
