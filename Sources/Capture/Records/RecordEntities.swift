import Contract

/// The pods and services that flow records name (Antrea's elements), with the addresses they had
/// and when they were first seen: what mimir-records writes as an entity log for graph when a
/// file names them (docs/records.md, "Names from the records"). A pod belongs to the services it was
/// reached through.
public struct RecordEntities: Sendable {
    public struct Pod: Sendable, Equatable {
        public var name: PodName
        /// Sorted.
        public var addresses: [IPAddress]
        public var firstSeen: Int64
        /// The services it was reached through, sorted by name.
        public var services: [String]
        /// The node it runs on, where the records say (empty otherwise).
        public var node: String
    }

    public struct Service: Sendable, Equatable {
        public var namespace: String
        public var name: String
        /// Its cluster addresses, sorted.
        public var addresses: [IPAddress]
        public var firstSeen: Int64
    }

    private var pods: [PodName: (addresses: Set<IPAddress>, firstSeen: Int64, services: Set<String>, node: String)] = [:]
    private var services: [ServiceName.Key: (addresses: Set<IPAddress>, firstSeen: Int64)] = [:]

    public init() {}

    /// Whether no record named a pod or a service.
    public var isEmpty: Bool { pods.isEmpty && services.isEmpty }

    mutating func observe(_ record: FlowRecord, _ names: RecordNames) {
        if let pod = names.sourcePod { see(pod, at: record.source, record.start, service: nil, node: names.sourceNode) }
        if let pod = names.destinationPod {
            let service = names.destinationService.flatMap { $0.namespace == pod.namespace ? $0.name : nil }
            see(pod, at: record.destination, record.start, service: service, node: names.destinationNode)
        }
        if let service = names.destinationService {
            let key = ServiceName.Key(namespace: service.namespace, name: service.name)
            var entry = services[key] ?? ([], record.start)
            if let address = service.address { entry.addresses.insert(address) }
            entry.firstSeen = min(entry.firstSeen, record.start)
            services[key] = entry
        }
    }

    private mutating func see(_ pod: PodName, at address: IPAddress, _ time: Int64, service: String?, node: String?) {
        var entry = pods[pod] ?? ([], time, [], "")
        entry.addresses.insert(address)
        entry.firstSeen = min(entry.firstSeen, time)
        if let service { entry.services.insert(service) }
        // A pod never moves: the first record that names its node says where it runs.
        if entry.node.isEmpty, let node { entry.node = node }
        pods[pod] = entry
    }

    /// The pods, by first sighting, then namespace and name.
    public var podList: [Pod] {
        pods.map { Pod(name: $0.key, addresses: $0.value.addresses.sorted(), firstSeen: $0.value.firstSeen, services: $0.value.services.sorted(),
                       node: $0.value.node) }
            .sorted { ($0.firstSeen, $0.name.namespace, $0.name.name) < ($1.firstSeen, $1.name.namespace, $1.name.name) }
    }

    /// The services, by first sighting, then namespace and name.
    public var serviceList: [Service] {
        services.map { Service(namespace: $0.key.namespace, name: $0.key.name, addresses: $0.value.addresses.sorted(), firstSeen: $0.value.firstSeen) }
            .sorted { ($0.firstSeen, $0.namespace, $0.name) < ($1.firstSeen, $1.namespace, $1.name) }
    }
}

extension ServiceName {
    /// A service's identity, its address aside.
    struct Key: Hashable, Sendable {
        var namespace: String
        var name: String
    }
}
