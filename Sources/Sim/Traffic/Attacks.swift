import Capture
import Cluster
import Contract
import SystemSupport

/// An attack of the plan while it runs.
struct RunningAttack {
    var event: AttackPlan.Event
    var truth: TruthEvent
    var started = false
    var finished = false
    var source = -1
    /// exfil: one connection per hop, the first from the pod holding the data.
    var hops: [Int32] = []
    var sequence = 0
    /// scan: the addresses and ports still to probe; lateral: when to call which service.
    var probes: [(address: IPAddress, port: UInt16)] = []
    var calls: [(time: Int64, service: Int)] = []
}

extension Simulation {
    static let defaultScanPorts = [21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 993, 995, 1723, 3306, 3389, 5900, 8080]

    func attackStep(_ index: Int, at time: Int64) {
        if !attacks[index].started { startAttack(index, at: time) }
        guard !attacks[index].finished else { return }
        let endTime = Nanoseconds.from(seconds: attacks[index].event.endS)
        if time >= endTime || attacks[index].source < 0 {
            finishAttack(index, at: min(time, endTime))
            return
        }
        let event = attacks[index].event
        let next: Int64
        switch event.kind {
        case .exfil:
            // DET: one chunk relayed hop by hop to the sink; gaps uniform in [0, 2 * mean gap].
            let payload = random.draw(event.payloadBytes ?? Bounds(300, 400))
            var clock = time
            for hop in attacks[index].hops {
                clock = send(hop, forward: true, message: Payloads.opaque(size: payload), at: clock) + Int64(random.int(100_000...500_000))
            }
            attacks[index].truth.bytes += Int64(payload)
            let meanPayload = Double((event.payloadBytes?.low ?? 300) + (event.payloadBytes?.high ?? 400)) / 2
            let meanGap = meanPayload / (event.rateKBPerS! * 1000)
            next = time + random.nanoseconds(0...(2 * meanGap))
        case .dnstunnel:
            // 100 bytes per query, base32 in the labels of a name under the attacker's domain.
            let chunk = (0..<100).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let encoded = base32(chunk)
            let labels: [String] = stride(from: 0, to: encoded.count, by: 63).map { String(encoded[$0..<min($0 + 63, encoded.count)]) }
            let name = labels.joined(separator: ".") + ".\(attacks[index].sequence).\(event.domain ?? "t.exfil-sink.net")"
            attacks[index].sequence += 1
            dnsLookup(from: attacks[index].source, name: name, type: 1, answer: [], ttl: 0, at: time, upstream: true, nameError: true)
            attacks[index].truth.bytes += 100
            next = time + random.nanoseconds(0.5 * 100 / (event.rateKBPerS! * 1000)...1.5 * 100 / (event.rateKBPerS! * 1000))
        case .scan:
            guard !attacks[index].probes.isEmpty else { finishAttack(index, at: time); return }
            let probe = attacks[index].probes.removeFirst()
            attacks[index].truth.bytes += Int64(scanProbe(from: attacks[index].source, address: probe.address, port: probe.port, at: time))
            next = time + Int64(Double(Nanoseconds.perSecond) / (event.probesPerS ?? 200))
        case .lateral:
            guard !attacks[index].calls.isEmpty else { finishAttack(index, at: time); return }
            let call = attacks[index].calls.removeFirst()
            attacks[index].truth.bytes += Int64(lateralRequest(from: attacks[index].source, service: call.service, at: call.time))
            next = attacks[index].calls.first?.time ?? endTime
        }
        queue.schedule(.attack(Int32(index)), at: next)
    }

    private func startAttack(_ index: Int, at time: Int64) {
        attacks[index].started = true
        let event = attacks[index].event
        func serviceIndex(_ name: String) -> Int? { appServiceIndex.first { services[$0].name == name } }
        switch event.kind {
        case .exfil:
            let chosen = (event.path ?? []).compactMap { serviceIndex($0).flatMap { pickPod($0) } }
            guard chosen.count == event.path?.count, let first = chosen.first else { return }
            attacks[index].source = first
            var clock = time
            let port = UInt16(event.port ?? 6969)
            for (position, pod) in chosen.enumerated() {
                let client = Place.pod(pod)
                let server = position + 1 < chosen.count ? Place.pod(chosen[position + 1]) : Place.outside(cluster.outside.exfilSink)
                let id = newConnection(views: views(client: client, server: server, service: nil, clientPort: ephemeralPort(pod), serverPort: port),
                                       tcp: true, clientPod: pod, serverPod: position + 1 < chosen.count ? chosen[position + 1] : -1,
                                       latency: latency(client, server))
                clock = handshake(id, at: clock)
                attacks[index].hops.append(id)
            }
            attacks[index].truth.path = chosen.map { pods[$0].name } + ["outside"]
        case .dnstunnel, .scan, .lateral:
            guard let service = event.source.flatMap(serviceIndex), let pod = pickPod(service) else { return }
            attacks[index].source = pod
            attacks[index].truth.path = [pods[pod].name]
            if event.kind == .dnstunnel {
                attacks[index].truth.path += ["kube-dns", "outside"]
            } else if event.kind == .scan {
                let range = cluster.settings.nodes[pods[pod].node].podCIDR
                let ports = (event.ports ?? Self.defaultScanPorts).map { UInt16($0) }
                for offset in 1...min(64, range.size - 2) {
                    guard let address = range.address(at: offset), address != pods[pod].address else { continue }
                    for port in ports { attacks[index].probes.append((address, port)) }
                }
            } else {
                let called = Set(app.services[appServiceIndex.firstIndex(of: service)!].operations.flatMap { $0.calls.compactMap { app.operationIndex($0.target)?.service } })
                let targets = event.targets.map { $0.compactMap(serviceIndex) }
                    ?? appServiceIndex.indices.filter { !called.contains($0) && appServiceIndex[$0] != service }.map { appServiceIndex[$0] }
                let span = Nanoseconds.from(seconds: event.endS - event.startS)
                for target in targets {
                    for _ in 0..<(event.requests ?? 3) { attacks[index].calls.append((time + Int64(random.unit() * Double(span)), target)) }
                }
                attacks[index].calls.sort { $0.time < $1.time }
                attacks[index].truth.path += targets.map { services[$0].name }
            }
        }
        attacks[index].truth.source = attacks[index].truth.path.first ?? ""
        attacks[index].truth.start = startTime + time
    }

    private func finishAttack(_ index: Int, at time: Int64) {
        attacks[index].finished = true
        for hop in attacks[index].hops { close(hop, at: time) }
        attacks[index].truth.end = startTime + max(time, Nanoseconds.from(seconds: attacks[index].event.startS))
        if attacks[index].source < 0 { attacks[index].truth.start = attacks[index].truth.end }
    }

    /// One SYN probe; returns the bytes (IP level) the scanner sent.
    private func scanProbe(from source: Int, address: IPAddress, port: UInt16, at time: Int64) -> Int {
        let ipHeader = address.isIPv4 ? 20 : 40
        let target = services.indices.lazy.flatMap { self.services[$0].pods }.first { self.pods[$0].address == address }
        let client = Place.pod(source)
        let sourcePort = ephemeralPort(source)
        if let target {
            let open = services[pods[target].service].targetPort == port || services[pods[target].service].model?.peers?.port == Int(port)
            let server = Place.pod(target)
            let id = newConnection(views: views(client: client, server: server, service: nil, clientPort: sourcePort, serverPort: port),
                                   tcp: true, clientPod: source, serverPod: target, latency: latency(client, server))
            if open {
                halfOpen(id, at: time)
                return 2 * ipHeader + 44
            }
            refusedConnection(id, at: time, answered: true)
            return ipHeader + 24
        }
        // Nobody has the address: the SYN shows on the scanner's veth and goes unanswered.
        guard recorded[pods[source].node] else { return ipHeader + 24 }
        let view = View(node: Int32(pods[source].node), interface: pods[source].interface, client: pods[source].address!, server: address,
                        clientPort: sourcePort, serverPort: port, tunnel: nil, clientToServerOutgoing: false, singleNodeCopy: true,
                        recordsForward: true, recordsBackward: true)
        let id = newConnection(views: [view], tcp: true, clientPod: source, serverPod: -1, latency: 0)
        refusedConnection(id, at: time, answered: false)
        return ipHeader + 24
    }

    /// A request to a service the source never calls: lookup, connection through the service address,
    /// a small request and the answer, closed. Returns the payload bytes sent.
    private func lateralRequest(from source: Int, service: Int, at time: Int64) -> Int {
        guard let target = pickPod(service) else { return 0 }
        let resolved = resolve(pod: source, service: service, at: time)
        let client = Place.pod(source), server = Place.pod(target)
        let id = newConnection(views: views(client: client, server: server, service: service, clientPort: ephemeralPort(source),
                                            serverPort: services[service].targetPort),
                               tcp: true, clientPod: source, serverPod: target, service: service, latency: latency(client, server))
        var clock = handshake(id, at: resolved)
        let request: MessageStore.Message
        switch services[service].model?.protocol ?? .opaque {
        case .http:
            request = Payloads.httpRequest(host: services[service].name, path: "/admin", size: 200)
            clock = send(id, forward: false, message: Payloads.httpResponse(size: 150),
                         at: send(id, forward: true, message: request, at: clock) + 300_000)
        case .mysql:
            let greeting = send(id, forward: false, message: Payloads.mysqlGreeting(connectionID: UInt32(truncatingIfNeeded: random.next())),
                                at: clock + 100_000)
            request = Payloads.mysqlLogin(user: "root")
            clock = send(id, forward: false, message: Payloads.mysqlLoginOK(), at: send(id, forward: true, message: request, at: greeting) + 200_000)
        case .opaque:
            request = Payloads.opaque(size: 120)
            clock = send(id, forward: false, message: Payloads.opaque(size: 60), at: send(id, forward: true, message: request, at: clock) + 200_000)
        }
        close(id, at: clock + 1_000_000)
        return request.length
    }

    private func base32(_ bytes: [UInt8]) -> [Character] {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var output: [Character] = []
        var buffer = 0, bits = 0
        for byte in bytes {
            buffer = buffer << 8 | Int(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return output
    }
}
