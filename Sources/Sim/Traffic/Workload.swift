import Capture
import Cluster
import SystemSupport

/// A simulated user (a Locust client on the load generator).
struct UserState {
    var connection: Int32 = -1
    var active = true
    var retiring = false
}

extension Simulation {
    // MARK: Load

    /// A step of the daily curve: start users up to the step's share of the peak (at the spawn rate),
    /// or let the surplus finish their current task and leave.
    func loadStep(_ step: Int, at time: Int64) {
        let target = Int((curve[step % curve.count] * Double(peakUsers)).rounded())
        let active = users.indices.filter { users[$0].active && !users[$0].retiring }
        if target > active.count {
            let spacing = Int64(Double(Nanoseconds.perSecond) / app.load.spawnRate)
            for index in 0..<(target - active.count) {
                let slot: Int
                if let idle = users.indices.first(where: { !users[$0].active }) {
                    slot = idle
                    users[slot] = UserState()
                } else {
                    users.append(UserState())
                    slot = users.count - 1
                }
                queue.schedule(.userWake(Int32(slot)), at: time + Int64(index) * spacing + random.nanoseconds(0...0.5))
            }
        } else {
            for index in active.suffix(active.count - target) { users[index].retiring = true }
        }
        activeUsers = target
        if step + 1 < curve.count { queue.schedule(.loadStep(Int32(step + 1)), at: Int64(step + 1) * stepLength) }
    }

    /// A user runs one task (its requests one after another), then thinks.
    func userWake(_ user: Int, at time: Int64) {
        if users[user].retiring {
            if users[user].connection >= 0 { close(users[user].connection, at: time) }
            users[user] = UserState(connection: -1, active: false, retiring: false)
            return
        }
        var pick = random.unit() * taskWeightTotal
        var task = app.tasks[app.tasks.count - 1]
        for candidate in app.tasks {
            pick -= candidate.weight
            if pick < 0 { task = candidate; break }
        }
        var clock = time
        for step in task.steps {
            guard let (service, operation) = app.operationIndex(step) else { continue }
            clock = userRequest(user, service: appServiceIndex[service], operation: operation, at: clock)
            clock += random.nanoseconds(0.005...0.05)
        }
        queue.schedule(.userWake(Int32(user)), at: clock + random.seconds(app.load.thinkS))
    }

    /// One request of a user through the node port, on the user's keep-alive connection (pinned to
    /// one backend pod, as conntrack pins it).
    private func userRequest(_ user: Int, service: Int, operation: Int, at time: Int64) -> Int64 {
        var start = time
        var id = users[user].connection
        if id < 0 || !connections[Int(id)].open || !pods[Int(connections[Int(id)].serverPod)].ready {
            if id >= 0 { close(id, at: time) }
            // A load balancer in front of every node spreads users over them; one node's capture sees
            // only the users that reach it.
            let nodeCount = cluster.settings.nodes.count
            let entry = options.everyNode && nodeCount > 1 ? random.int(0...(nodeCount - 1)) : captureNode
            guard let pod = pickPod(service, localTo: cluster.externalTrafficPolicy == .local ? entry : nil) else { return time + 1_000_000 }
            let client = Place.outside(cluster.outside.loadGenerator), server = Place.pod(pod)
            let port = randomEphemeralPort()
            id = newConnection(views: views(client: client, server: server, service: service, clientPort: port,
                                            serverPort: services[service].targetPort, entry: entry),
                               tcp: true, clientPod: -1, serverPod: pod, service: service, latency: latency(client, server))
            users[user].connection = id
            start = handshake(id, at: time)
        }
        return exchange(id, service: service, operation: operation, at: start)
    }

    /// A request and its response on an open connection; the server makes its own calls in between.
    private func exchange(_ id: Int32, service: Int, operation: Int, at time: Int64) -> Int64 {
        let model = services[service].model!
        let op = model.operations[operation]
        let requestSize = random.draw(op.request), responseSize = random.draw(op.response)
        let request: MessageStore.Message, response: MessageStore.Message
        switch model.protocol {
        case .http:
            request = Payloads.httpRequest(host: model.name, path: "/" + op.name, size: requestSize)
            response = Payloads.httpResponse(size: responseSize)
        case .mysql:
            request = Payloads.mysqlQuery(size: requestSize)
            response = Payloads.mysqlResult(size: responseSize)
        case .opaque:
            request = Payloads.opaque(size: requestSize)
            response = Payloads.opaque(size: responseSize)
        }
        connections[Int(id)].busyUntil = .max
        let arrival = send(id, forward: true, message: request, at: time)
        let server = Int(connections[Int(id)].serverPod)
        let done = serve(pod: server, service: service, operation: operation, at: arrival)
        let end = send(id, forward: false, message: response, at: done)
        connections[Int(id)].busyUntil = end
        return end
    }

    /// The server's work: processing time and the calls of the operation, in order or in parallel.
    private func serve(pod: Int, service: Int, operation: Int, at time: Int64) -> Int64 {
        let model = services[service].model!.operations[operation]
        var clock = time + random.milliseconds(model.processingMs)
        let start = clock
        for call in calls[services[service].modelIndex][operation] where random.chance(call.p) {
            for _ in 0..<random.draw(call.count) {
                let end = callService(from: pod, service: appServiceIndex[call.service], operation: call.operation,
                                      at: model.parallel ? start : clock)
                clock = model.parallel ? max(clock, end) : end + random.nanoseconds(0.00005...0.0005)
            }
        }
        return clock
    }

    /// A pod calling a service: name lookup (cached for the TTL), a pooled or new connection through
    /// the service address, the exchange.
    private func callService(from pod: Int, service: Int, operation: Int, at time: Int64) -> Int64 {
        let resolved = resolve(pod: pod, service: service, at: time)
        guard let (id, ready) = acquire(from: pod, service: service, at: resolved) else { return resolved + 1_000_000 }
        let end = exchange(id, service: service, operation: operation, at: ready)
        release(id, service: service, at: end)
        return end
    }

    /// An idle pooled connection, or a new one (with the MySQL greeting and login where it applies).
    func acquire(from pod: Int, service: Int, at time: Int64) -> (Int32, Int64)? {
        let key = PoolKey(client: Int32(pod), service: Int32(service))
        if let id = pools[key]?.first(where: { connections[Int($0)].busyUntil <= time && pods[Int(connections[Int($0)].serverPod)].ready }) {
            connections[Int(id)].busyUntil = .max
            return (id, time)
        }
        guard let target = pickPod(service) else { return nil }
        let client = Place.pod(pod), server = Place.pod(target)
        let id = newConnection(views: views(client: client, server: server, service: service, clientPort: ephemeralPort(pod),
                                            serverPort: services[service].targetPort),
                               tcp: true, clientPod: pod, serverPod: target, service: service, latency: latency(client, server))
        connections[Int(id)].pool = key
        connections[Int(id)].busyUntil = .max
        pools[key, default: []].append(id)
        var ready = handshake(id, at: time)
        if services[service].model?.protocol == .mysql {
            let greeting = send(id, forward: false, message: Payloads.mysqlGreeting(connectionID: UInt32(truncatingIfNeeded: random.next())),
                                at: ready + 100_000)
            let login = send(id, forward: true, message: Payloads.mysqlLogin(user: "app"), at: greeting + 50_000)
            ready = send(id, forward: false, message: Payloads.mysqlLoginOK(), at: login + 200_000) + 50_000
        }
        return (id, ready)
    }

    /// Back to the pool, or closed at once for a service without keep-alive.
    func release(_ id: Int32, service: Int, at time: Int64) {
        connections[Int(id)].busyUntil = time
        if (services[service].model?.keepaliveS ?? 60) <= 0 { close(id, at: time + 100_000) }
    }

    /// kube-proxy's choice among the ready pods (iptables mode: uniform); with `localTo`, among
    /// that node's when it has any (a node port under the `local` traffic policy).
    func pickPod(_ service: Int, localTo node: Int? = nil) -> Int? {
        var ready = services[service].pods
        if let node, ready.contains(where: { pods[$0].node == node }) { ready = ready.filter { pods[$0].node == node } }
        return ready.isEmpty ? nil : ready[random.int(0...(ready.count - 1))]
    }

    /// Closes idle pooled connections whose keep-alive ran out.
    func sweepIdleConnections(at time: Int64) {
        for key in pools.keys.sorted(by: { ($0.client, $0.service) < ($1.client, $1.service) }) {
            let keepalive = Nanoseconds.from(seconds: services[Int(key.service)].model?.keepaliveS ?? 60)
            for id in pools[key] ?? [] where connections[Int(id)].busyUntil != .max && connections[Int(id)].busyUntil + keepalive <= time {
                close(id, at: time)
            }
            if pools[key]?.isEmpty == true { pools[key] = nil }
        }
        queue.schedule(.sweep, at: time + Nanoseconds.perSecond)
    }

    /// A terminating pod's connections end (after the requests already under way on them).
    func closeConnections(of pod: Int, at time: Int64) {
        for key in pools.keys.sorted(by: { ($0.client, $0.service) < ($1.client, $1.service) }) {
            for id in pools[key] ?? [] where connections[Int(id)].serverPod == pod || connections[Int(id)].clientPod == pod {
                let busy = connections[Int(id)].busyUntil
                close(id, at: busy == .max ? time + 5_000_000_000 : max(time, busy))
            }
        }
        for key in peerConnections.keys.sorted(by: { ($0.client, $0.service) < ($1.client, $1.service) })
        where key.client == pod || key.service == pod {
            close(peerConnections[key]!, at: max(time, connections[Int(peerConnections[key]!)].busyUntil))
            peerConnections[key] = nil
        }
    }

    // MARK: Name resolution

    /// Looks `service` up through kube-dns unless the pod's cached answer is still fresh; returns
    /// when the answer is in.
    func resolve(pod: Int, service: Int, at time: Int64) -> Int64 {
        let key = PoolKey(client: Int32(pod), service: Int32(service))
        if let expiry = dnsCache[key], expiry > time { return time }
        let name = "\(services[service].name).\(services[service].namespace).svc.cluster.local"
        let answer = services[service].address.map { address -> [UInt8] in
            address.isIPv4 ? withUnsafeBytes(of: UInt32(truncatingIfNeeded: address.low).bigEndian, Array.init)
                : withUnsafeBytes(of: address.high.bigEndian, Array.init) + withUnsafeBytes(of: address.low.bigEndian, Array.init)
        }
        let isIPv4 = services[service].address?.isIPv4 ?? true
        var done = time
        var types: [UInt16] = [isIPv4 ? 1 : 28]
        if app.dns.aaaa && isIPv4 { types.append(28) }
        for type in types {
            let answered = (type == 1) == isIPv4
            done = max(done, dnsLookup(from: pod, name: name, type: type, answer: answered ? answer.map { [$0] } ?? [] : [],
                                       ttl: UInt32(app.dns.ttlS), at: time))
        }
        dnsCache[key] = time + Nanoseconds.from(seconds: app.dns.ttlS)
        return done
    }

    /// One query to the kube-dns service address and its answer; with `upstream`, CoreDNS first asks
    /// the upstream resolver (a name outside the cluster). Returns when the answer arrives.
    @discardableResult
    func dnsLookup(from pod: Int, name: String, type: UInt16, answer: [[UInt8]], ttl: UInt32, at time: Int64,
                   upstream: Bool = false, nameError: Bool = false) -> Int64 {
        guard let dnsPod = pickPod(dnsService) else { return time }
        let client = Place.pod(pod), server = Place.pod(dnsPod)
        let id = newConnection(views: views(client: client, server: server, service: dnsService, clientPort: randomEphemeralPort(),
                                            serverPort: 53),
                               tcp: false, clientPod: pod, serverPod: dnsPod, service: dnsService, latency: latency(client, server))
        let query = Payloads.dnsQuery(id: UInt16(truncatingIfNeeded: random.next()), name: name, type: type)
        let latency = connections[Int(id)].latency
        datagram(id, forward: true, bytes: query, at: time)
        var answerTime = time + latency + Int64(random.int(30_000...200_000))
        if upstream {
            let outside = Place.outside(cluster.outside.upstreamDNS)
            let forward = newConnection(views: views(client: server, server: outside, service: nil, clientPort: randomEphemeralPort(),
                                                     serverPort: 53),
                                        tcp: false, clientPod: dnsPod, serverPod: -1, latency: self.latency(server, outside))
            let forwardedQuery = Payloads.dnsQuery(id: UInt16(truncatingIfNeeded: random.next()), name: name, type: type)
            datagram(forward, forward: true, bytes: forwardedQuery, at: answerTime)
            let upstreamAnswer = answerTime + 2 * connections[Int(forward)].latency + Int64(random.int(1_000_000...20_000_000))
            datagram(forward, forward: false, bytes: Payloads.dnsResponse(query: forwardedQuery, addresses: answer, ttl: ttl, nameError: nameError),
                     at: upstreamAnswer)
            connections[Int(forward)].open = false
            answerTime = upstreamAnswer + 20_000
        }
        datagram(id, forward: false, bytes: Payloads.dnsResponse(query: query, addresses: answer, ttl: ttl, nameError: nameError), at: answerTime)
        connections[Int(id)].open = false
        return answerTime + latency
    }

    // MARK: Cluster background traffic

    /// Starts what a new pod does on its own: kubelet probes (where its node's capture is written) and
    /// traffic among replicas.
    func schedulePodTraffic(_ pod: Int, at time: Int64) {
        if recorded[pods[pod].node] && probeKind(pod) != .none {
            queue.schedule(.probe(Int32(pod)), at: time + random.nanoseconds(0...probePeriod))
        }
        if services[pods[pod].service].model?.peers != nil {
            queue.schedule(.peers(Int32(pod)), at: time + random.nanoseconds(0...1))
        }
        if services[pods[pod].service].model?.background.isEmpty == false {
            queue.schedule(.background(Int32(pod)), at: time + random.nanoseconds(0...1))
        }
    }

    /// A pod's own periodic calls; the next one after the call's period.
    func backgroundCalls(_ pod: Int, at time: Int64) {
        guard pods[pod].ready, let model = services[pods[pod].service].model, !model.background.isEmpty else { return }
        let call = model.background[random.int(0...(model.background.count - 1))]
        guard let (service, operation) = app.operationIndex(call.target) else { return }
        let end = callService(from: pod, service: appServiceIndex[service], operation: operation, at: time)
        queue.schedule(.background(Int32(pod)), at: max(end, time + random.seconds(call.periodS) / Int64(model.background.count)))
    }

    private func probeKind(_ pod: Int) -> AppModel.Probe {
        services[pods[pod].service].model?.probe ?? .http
    }

    /// A kubelet probe: a new connection from the node, an HTTP GET or just the handshake, closed.
    func probe(_ pod: Int, at time: Int64) {
        guard pods[pod].ready else { return }
        let client = Place.host(pods[pod].node), server = Place.pod(pod)
        let port = services[pods[pod].service].model == nil && pods[pod].service == dnsService ? UInt16(8080) : services[pods[pod].service].targetPort
        let id = newConnection(views: views(client: client, server: server, service: nil, clientPort: randomEphemeralPort(), serverPort: port),
                               tcp: true, clientPod: -1, serverPod: pod, latency: latency(client, server))
        var end = handshake(id, at: time)
        if probeKind(pod) == .http || services[pods[pod].service].model == nil {
            let arrival = send(id, forward: true, message: Payloads.httpRequest(host: "\(pods[pod].address!):\(port)", path: "/healthz", size: 120),
                               at: end)
            end = send(id, forward: false, message: Payloads.httpResponse(size: 80), at: arrival + 200_000)
        }
        close(id, at: end + 100_000)
        queue.schedule(.probe(Int32(pod)), at: time + Nanoseconds.from(seconds: probePeriod))
    }

    /// Replication and membership traffic from one replica to each other replica, pod to pod.
    func peerTraffic(_ pod: Int, at time: Int64) {
        guard pods[pod].ready, let peers = services[pods[pod].service].model?.peers else { return }
        for peer in services[pods[pod].service].pods where peer != pod {
            let key = PoolKey(client: Int32(pod), service: Int32(peer))
            var id = peerConnections[key] ?? -1
            var start = time
            if id < 0 || !connections[Int(id)].open || connections[Int(id)].busyUntil > time {
                let client = Place.pod(pod), server = Place.pod(peer)
                id = newConnection(views: views(client: client, server: server, service: nil, clientPort: ephemeralPort(pod),
                                                serverPort: UInt16(peers.port)),
                                   tcp: true, clientPod: pod, serverPod: peer, latency: latency(client, server))
                peerConnections[key] = id
                start = handshake(id, at: time)
            }
            let arrival = send(id, forward: true, message: Payloads.opaque(size: random.draw(peers.request)), at: start)
            connections[Int(id)].busyUntil = send(id, forward: false, message: Payloads.opaque(size: random.draw(peers.response)),
                                                  at: arrival + 100_000)
        }
        queue.schedule(.peers(Int32(pod)), at: time + Nanoseconds.from(seconds: peers.periodS))
    }

    /// metrics-server scraping every node's kubelet (port 10250) once a minute.
    func scrapeMetrics(at time: Int64) {
        if let scraper = services[metricsService].pods.first {
            for node in cluster.settings.nodes.indices {
                let client = Place.pod(scraper), server = Place.host(node)
                let id = newConnection(views: views(client: client, server: server, service: nil, clientPort: ephemeralPort(scraper),
                                                    serverPort: 10250),
                                       tcp: true, clientPod: scraper, serverPod: -1, latency: latency(client, server))
                let ready = handshake(id, at: time)
                let arrival = send(id, forward: true, message: Payloads.opaque(size: random.int(300...500)), at: ready)
                let end = send(id, forward: false, message: Payloads.opaque(size: random.int(4000...12000)), at: arrival + 2_000_000)
                close(id, at: end + 100_000)
            }
        }
        queue.schedule(.metrics, at: time + 60_000_000_000)
    }
}
