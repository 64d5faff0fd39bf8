import Capture
import Cluster
import Contract

/// A pod of the simulated cluster.
struct PodState {
    var name: String
    var service: Int
    var node: Int
    var address: IPAddress?
    var labels: [String: String]
    var hostNetwork: Bool
    /// Receives new connections (Running and not terminating).
    var ready = false
    var terminating = false
    var deleted = false
    /// The veth's interface index on its node (0 where the node's capture is not written).
    var interface: UInt32 = 0
    /// The last moment traffic was scheduled to or from the pod; deletion waits for it.
    var lastActivity: Int64 = 0
    var nextPort: UInt16
    var ordinal: Int
}

/// A service (and the workload behind it) of the simulated cluster: the application's and the
/// cluster's own (kube-dns, metrics-server, kubernetes).
struct ServiceState {
    var name: String
    var namespace: String
    var labels: [String: String]
    /// The model's service, for application services, and its index in the model.
    var model: AppModel.Service?
    var modelIndex = -1
    var address: IPAddress?
    var port: UInt16
    var targetPort: UInt16
    var pods: [Int] = []
    var desiredReplicas: Int
    /// When a lower replica count was first wanted (scale-down waits for the stabilisation window).
    var lowerSince: Int64?
    /// Deployment pods share the pod-template hash of their ReplicaSet.
    var templateHash: String
    var hostNetwork = false
    var kind: AppModel.WorkloadKind

}

extension Simulation {
    /// Creates the services and pods present when the capture starts, and logs them.
    func createInitialCluster() throws {
        let settings = cluster.settings
        // The cluster's own services: kubernetes (the API server on the first node), kube-dns, metrics-server.
        let apiServer = addService(name: "kubernetes", namespace: "default", labels: ["component": "apiserver", "provider": "kubernetes"],
                                   model: nil, port: 443, targetPort: 8443, replicas: 1, kind: .deployment, addressOffset: 1,
                                   hostNetwork: true)
        dnsService = addService(name: "kube-dns", namespace: "kube-system", labels: ["k8s-app": "kube-dns"], model: nil,
                                port: 53, targetPort: 53, replicas: cluster.dnsReplicas, kind: .deployment, addressOffset: 10)
        metricsService = addService(name: "metrics-server", namespace: "kube-system", labels: ["k8s-app": "metrics-server"],
                                    model: nil, port: 443, targetPort: 4443, replicas: 1, kind: .deployment, addressOffset: nil)
        for model in app.services {
            let index = addService(name: model.name, namespace: app.namespace, labels: model.labels, model: model,
                                   port: UInt16(model.port), targetPort: UInt16(model.targetPort), replicas: model.replicas,
                                   kind: model.kind, addressOffset: nil)
            services[index].modelIndex = appServiceIndex.count
            appServiceIndex.append(index)
        }
        // Host-network control-plane pods (they share their node's address).
        for (nodeIndex, node) in settings.nodes.enumerated() {
            var components = ["kube-proxy"]
            if nodeIndex == 0 { components += ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"] }
            for component in components {
                let name = component == "kube-proxy" ? "kube-proxy-\(randomSuffix())" : "\(component)-\(node.name)"
                let service = component == "kube-apiserver" ? apiServer : -1
                hostPods.append(PodState(name: name, service: service, node: nodeIndex, address: node.address,
                                         labels: component == "kube-proxy" ? ["k8s-app": "kube-proxy"] : ["component": component],
                                         hostNetwork: true, ready: true, nextPort: 32768, ordinal: 0))
            }
        }
        for index in services.indices {
            try logService(index, change: .added, at: 0)
        }
        for pod in hostPods {
            try log(pod: pod, namespace: "kube-system", change: .added, phase: "Running", at: 0)
        }
        for index in services.indices where !services[index].hostNetwork {
            for _ in 0..<services[index].desiredReplicas {
                let pod = try createPod(service: index, at: 0)
                try makeReady(pod, at: 0)
            }
        }
    }

    private func addService(name: String, namespace: String, labels: [String: String], model: AppModel.Service?, port: UInt16,
                            targetPort: UInt16, replicas: Int, kind: AppModel.WorkloadKind, addressOffset: Int?,
                            hostNetwork: Bool = false) -> Int {
        var address: IPAddress?
        if let addressOffset {
            address = serviceAddresses.take(offset: addressOffset)
        }
        while address == nil {
            address = serviceAddresses.take(offset: random.int(11...(serviceAddresses.capacity - 2)))
        }
        services.append(ServiceState(name: name, namespace: namespace, labels: labels, model: model, address: address,
                                     port: port, targetPort: targetPort, desiredReplicas: replicas,
                                     templateHash: randomSuffix(length: 10), hostNetwork: hostNetwork, kind: kind))
        return services.count - 1
    }

    /// Kubernetes' name suffix alphabet (no vowels, no look-alike digits).
    func randomSuffix(length: Int = 5) -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String((0..<length).map { _ in alphabet[random.int(0...(alphabet.count - 1))] })
    }

    /// A new pod of `service`, Pending without an address, on the node with the fewest pods.
    @discardableResult
    func createPod(service index: Int, at time: Int64) throws -> Int {
        let service = services[index]
        var perNode = Array(repeating: 0, count: cluster.settings.nodes.count)
        for pod in pods where !pod.deleted { perNode[pod.node] += 1 }
        let node = perNode.indices.min { perNode[$0] < perNode[$1] } ?? 0
        let ordinals = Set(pods.filter { $0.service == index && !$0.deleted }.map(\.ordinal))
        let ordinal = (0...).first { !ordinals.contains($0) }!
        let name = service.kind == .statefulset ? "\(service.name)-\(ordinal)"
            : "\(service.name == "kube-dns" ? "coredns" : service.name)-\(service.templateHash)-\(randomSuffix())"
        var labels = service.labels
        if service.kind == .deployment { labels["pod-template-hash"] = service.templateHash }
        let pod = PodState(name: name, service: index, node: node, address: nil, labels: labels, hostNetwork: false,
                           nextPort: UInt16(32768 + random.int(0...20000)), ordinal: ordinal)
        pods.append(pod)
        let id = pods.count - 1
        try log(pod: pod, namespace: service.namespace, change: .added, phase: "Pending", at: time)
        return id
    }

    /// The pod gets its address and starts receiving connections.
    func makeReady(_ id: Int, at time: Int64) throws {
        guard !pods[id].deleted, !pods[id].terminating else { return }
        let node = pods[id].node
        guard let address = podAddresses[node].allocate() else {
            throw ModelError("node \(cluster.settings.nodes[node].name) has no free pod address left in \(podAddresses[node].prefix)")
        }
        pods[id].address = address
        pods[id].ready = true
        if recorded[node] {
            pods[id].interface = nextInterface[node]
            nextInterface[node] += 1
        }
        services[pods[id].service].pods.append(id)
        try log(pod: pods[id], namespace: services[pods[id].service].namespace, change: .modified, phase: "Running", at: time)
        schedulePodTraffic(id, at: time)
    }

    /// Starts a pod's graceful termination: no new connections; deleted after the grace period and
    /// after the last traffic already scheduled for it.
    func terminate(_ id: Int, at time: Int64) throws {
        guard !pods[id].terminating else { return }
        pods[id].terminating = true
        pods[id].ready = false
        services[pods[id].service].pods.removeAll { $0 == id }
        try log(pod: pods[id], namespace: services[pods[id].service].namespace, change: .modified, phase: "Terminating", at: time)
        closeConnections(of: id, at: time)
        queue.schedule(.deletePod(Int32(id)), at: time + terminationGrace)
    }

    func delete(_ id: Int, at time: Int64) throws {
        if pods[id].lastActivity >= time {
            queue.schedule(.deletePod(Int32(id)), at: pods[id].lastActivity + 1_000_000)
            return
        }
        pods[id].deleted = true
        try log(pod: pods[id], namespace: services[pods[id].service].namespace, change: .deleted, phase: "Terminating", at: time)
        if let address = pods[id].address { podAddresses[pods[id].node].release(address) }
    }

    /// The horizontal pod autoscaler: replicas follow the users (one per `users_per_replica`), up at
    /// once, down after a stabilisation window.
    func autoscale(at time: Int64) throws {
        for index in services.indices {
            guard let autoscale = services[index].model?.autoscale else { continue }
            let wanted = min(autoscale.max, max(autoscale.min, Int((Double(activeUsers) / autoscale.usersPerReplica).rounded(.up))))
            let current = services[index].pods.count
            if wanted > current {
                services[index].lowerSince = nil
                for _ in current..<wanted {
                    let pod = try createPod(service: index, at: time)
                    queue.schedule(.podReady(Int32(pod)), at: time + random.nanoseconds(2...6))
                }
            } else if wanted < current {
                let since = services[index].lowerSince ?? time
                services[index].lowerSince = since
                if time - since >= scaleDownDelay {
                    // The newest pods go first, as the ReplicaSet controller prefers.
                    for id in services[index].pods.suffix(current - wanted) { try terminate(id, at: time) }
                    services[index].lowerSince = nil
                }
            } else {
                services[index].lowerSince = nil
            }
        }
    }

    func logService(_ index: Int, change: EntityEvent.Change, at time: Int64) throws {
        let service = services[index]
        try entityLog.append(EntityEvent(time: startTime + time, change: change, kind: .service, namespace: service.namespace,
                                         name: service.name, ips: service.address.map { [$0] } ?? [], labels: service.labels,
                                         selector: service.hostNetwork ? nil : service.labels))
    }

    func log(pod: PodState, namespace: String, change: EntityEvent.Change, phase: String, at time: Int64) throws {
        try entityLog.append(EntityEvent(time: startTime + time, change: change, kind: .pod, namespace: namespace, name: pod.name,
                                         ips: pod.address.map { [$0] } ?? [], labels: pod.labels,
                                         node: cluster.settings.nodes[pod.node].name, phase: phase, hostNetwork: pod.hostNetwork,
                                         hostIPs: [cluster.settings.nodes[pod.node].address]))
    }
}
