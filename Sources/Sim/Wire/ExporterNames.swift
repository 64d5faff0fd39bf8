import Capture
import Contract

/// What an exporter that knows the cluster (Antrea's) says of a flow's endpoints: the pods at either
/// end and their nodes, each only while the flow's address is the pod's own (not its service's, not a
/// node's after SNAT), and, for the client's direction of a connection made to a service, that service.
struct ExporterNames: Equatable {
    struct Pod: Equatable {
        var name: PodName
        var node: String
    }

    var source: Pod?
    var destination: Pod?
    var service: ServiceName?

    /// The simulation's pods and services, as the exporter looks them up.
    struct Directory {
        /// A pod by index: its name, node and address; nil for a host-network pod (it has no pod
        /// interface).
        let pod: (Int32) -> (pod: Pod, address: IPAddress?)?
        let service: (Int32) -> ServiceName
    }

    init(of packet: ObservedPacket, in directory: Directory) {
        func pod(_ index: Int32, at address: IPAddress) -> Pod? {
            guard index >= 0, let found = directory.pod(index), found.address == address else { return nil }
            return found.pod
        }
        let (source, destination) = packet.forward ? (packet.clientPod, packet.serverPod) : (packet.serverPod, packet.clientPod)
        self.source = pod(source, at: packet.source)
        self.destination = pod(destination, at: packet.destination)
        service = packet.forward && packet.service >= 0 ? directory.service(packet.service) : nil
    }
}
