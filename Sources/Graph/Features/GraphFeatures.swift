/// Which formulas mimir-features uses.
public enum FeatureProfile: String, Sendable, CaseIterable {
    /// The method with the original's bugs fixed (mimir-method.md, section 11).
    case fixed
    /// The original's formulas, bugs included, so results can be compared with it.
    case mimir
}

/// The per-window graph features of the Mimir method (mimir-method.md, section 4).
struct GraphFeatures {
    let graph: WindowGraph
    let profile: FeatureProfile

    /// The nodes of each service (its pods and its address); outside is its own service.
    var members: [String: [Int]] {
        Dictionary(grouping: graph.names.indices, by: { graph.services[$0] })
    }

    // MARK: Service pairs (section 4.1, items 1 and 2)

    /// Per service pair, in one pass over the edges: weighted reciprocity (Squartini et al. 2013) of
    /// the traffic between two services (A != B: only the edges between the groups) or within one
    /// (A == B), the reciprocated weight over the total, -1 without traffic; and the coefficient of
    /// variation of the edge weights between two services, edges from pods only (not from service
    /// addresses). The original overwrote each node's reciprocated weight for every partner instead of
    /// summing, so only its last partner counted, and measured the weights of the lexicographically
    /// smaller service's edges only; the `mimir` profile keeps both (partners in name order).
    struct ServicePairs {
        let count: Int
        var total: [Double]
        var reciprocated: [Double]
        var weights: [[Double]]

        func reciprocity(_ i: Int, _ j: Int) -> Double {
            total[i * count + j] == 0 ? -1 : reciprocated[i * count + j] / total[i * count + j]
        }

        func edgeVariation(_ i: Int, _ j: Int) -> Double { coefficientOfVariation(weights[i * count + j]) }
    }

    /// - Parameter services: the services in name order; pair (i, j) with i <= j.
    func servicePairs(_ services: [String]) -> ServicePairs {
        let n = services.count
        let position = Dictionary(uniqueKeysWithValues: services.enumerated().map { ($1, $0) })
        var pairs = ServicePairs(count: n, total: Array(repeating: 0, count: n * n), reciprocated: Array(repeating: 0, count: n * n),
                                 weights: Array(repeating: [], count: n * n))
        // The original's last partner of each node in each pair, by name.
        var lastPartner: [Int: [Int: Int]] = [:]
        for (u, v, w) in graph.edges {
            let (a, b) = (position[graph.services[u]]!, position[graph.services[v]]!)
            let key = min(a, b) * n + max(a, b)
            pairs.total[key] += w
            if u != v {
                switch profile {
                case .fixed: pairs.reciprocated[key] += min(w, graph.weight(v, u))
                case .mimir:
                    if let last = lastPartner[u]?[key], graph.names[last] > graph.names[v] { break }
                    lastPartner[u, default: [:]][key] = v
                }
            }
            if a != b && graph.kinds[u] != .vip && (profile == .fixed || a < b) { pairs.weights[key].append(w) }
        }
        for u in lastPartner.keys.sorted() {
            for (key, v) in lastPartner[u]!.sorted(by: { $0.key < $1.key }) {
                pairs.reciprocated[key] += min(graph.weight(u, v), graph.weight(v, u))
            }
        }
        return pairs
    }

    // MARK: Service centrality (item 3)

    /// Harmonic centrality on the service graph with distance 1 / (normalised bytes), directed as
    /// networkx computes it for a DiGraph: H(v) = sum over u != v of 1 / d(u -> v).
    static func harmonicCentrality(_ services: WindowGraph) -> [Double] {
        let n = services.count
        let total = services.edges.reduce(0) { $0 + $1.weight }
        guard total > 0 else { return Array(repeating: 0, count: n) }
        var result = Array(repeating: 0.0, count: n)
        for source in 0..<n {
            // Dijkstra over at most a few dozen nodes: a linear scan for the nearest is enough.
            var distance = Array(repeating: Double.infinity, count: n)
            var done = Array(repeating: false, count: n)
            distance[source] = 0
            for _ in 0..<n {
                var nearest: Int?
                for v in 0..<n where !done[v] && distance[v].isFinite && nearest.map({ distance[v] < distance[$0] }) ?? true { nearest = v }
                guard let u = nearest else { break }
                done[u] = true
                for (v, w) in services.weights[u] where v != u && w > 0 {
                    let candidate = distance[u] + total / w
                    if candidate < distance[v] { distance[v] = candidate }
                }
            }
            for target in 0..<n where target != source && distance[target].isFinite { result[target] += 1 / distance[target] }
        }
        return result
    }

    // MARK: Current-flow betweenness (item 4)

    /// networkx's `current_flow_betweenness_centrality_subset(G_u, sources, targets, normalized=False,
    /// weight=bytes)` on the undirected graph's largest connected component; nil when a source or the
    /// target is not in it (the feature is then NaN for every service).
    func currentFlowBetweenness(sources: [Int], target: Int) -> [Int: Double]? {
        // The undirected graph: w{u,v} = w(u->v) + w(v->u), self-loops left out.
        var undirected: [Int: [Int: Double]] = [:]
        for (u, v, w) in graph.edges where u != v {
            undirected[min(u, v), default: [:]][max(u, v), default: 0] += w
        }
        let component = largestComponent(undirected)
        let inComponent = Set(component)
        let sources = sources.filter(inComponent.contains)
        guard !sources.isEmpty, inComponent.contains(target), component.count > 2 else { return nil }
        let n = component.count
        let position = Dictionary(uniqueKeysWithValues: component.enumerated().map { ($1, $0) })
        var laplacian = Array(repeating: 0.0, count: n * n)
        var edges: [(Int, Int, Double)] = []
        // In node order: floating-point sums must not follow a dictionary's per-process hash order.
        for u in undirected.keys.sorted() where inComponent.contains(u) {
            for (v, w) in undirected[u]!.sorted(by: { $0.key < $1.key }) {
                let (i, j) = (position[u]!, position[v]!)
                laplacian[i * n + j] -= w
                laplacian[j * n + i] -= w
                laplacian[i * n + i] += w
                laplacian[j * n + j] += w
                edges.append((i, j, w))
            }
        }
        // Ground node 0: the reduced Laplacian is invertible for a connected graph.
        var reduced = Array(repeating: 0.0, count: (n - 1) * (n - 1))
        for i in 1..<n { for j in 1..<n { reduced[(i - 1) * (n - 1) + (j - 1)] = laplacian[i * n + j] } }
        guard let lu = LinearAlgebra.LU(reduced, n: n - 1) else { return nil }
        var betweenness = Array(repeating: 0.0, count: n)
        for source in sources {
            var current = Array(repeating: 0.0, count: n - 1)
            let (s, t) = (position[source]!, position[target]!)
            if s > 0 { current[s - 1] += 1 }
            if t > 0 { current[t - 1] -= 1 }
            let potential = [0] + lu.solve(current)
            for (i, j, w) in edges {
                let flow = 0.5 * w * abs(potential[i] - potential[j])
                betweenness[i] += flow
                betweenness[j] += flow
            }
        }
        var result: [Int: Double] = [:]
        for (index, node) in component.enumerated() { result[node] = betweenness[index] / 2 + 1 / Double(2 - n) }
        return result
    }

    private func largestComponent(_ undirected: [Int: [Int: Double]]) -> [Int] {
        var parent = Array(0..<graph.count)
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        var touched = Set<Int>()
        for (u, neighbours) in undirected {
            for v in neighbours.keys {
                touched.insert(u); touched.insert(v)
                let (a, b) = (find(u), find(v))
                if a != b { parent[max(a, b)] = min(a, b) }
            }
        }
        let groups = Dictionary(grouping: touched, by: find)
        // The largest; among equals the one holding the smallest node, so the choice is stable.
        return groups.values.max { ($0.count, -$0.min()!) < ($1.count, -$1.min()!) }?.sorted() ?? []
    }

    // MARK: The service-address invariant (item 5)

    /// The fraction of pod-to-pod traffic not matched through service addresses (the original's
    /// "Fraction of Communication Between Pods not through VIPs (w abs)"): with a capture on `any`, a
    /// request through a service address shows as pod -> address and again as pod -> pod, so the two
    /// tallies match; traffic that bypasses service addresses breaks the balance. Edges touching
    /// outside or DNS are left out. The original compares the tallies only where the service-address
    /// side has an entry, so bypassing traffic between pods that used no service address in the
    /// window went unseen; the fixed profile also counts the bytes of pod-to-pod edges between two
    /// services that no service-address traffic accounts for (twice, as the denominator counts every
    /// pod-to-pod byte twice). Pods of one service talking to each other (replication) are not bypass.
    func podTrafficNotThroughServiceAddresses(dnsService: String) -> Double {
        /// Traffic between a pod and a service, one way: (pod, service) or (service, pod).
        struct Tally: Hashable {
            let from: String, to: String
        }
        var throughAddress: [Tally: Double] = [:], podToPod: [Tally: Double] = [:]
        var direct: [(client: Tally, server: Tally, sameService: Bool, weight: Double)] = []
        for (u, v, w) in graph.edges {
            let (su, sv) = (graph.services[u], graph.services[v])
            guard su != "outside", sv != "outside", su != dnsService, sv != dnsService,
                  !su.hasPrefix("loadgenerator"), !sv.hasPrefix("loadgenerator") else { continue }
            switch (graph.kinds[u], graph.kinds[v]) {
            case (.vip, .pod): throughAddress[Tally(from: su, to: graph.names[v]), default: 0] += w
            case (.pod, .vip): throughAddress[Tally(from: graph.names[u], to: sv), default: 0] += w
            case (.pod, .pod):
                let keys = (Tally(from: graph.names[u], to: sv), Tally(from: su, to: graph.names[v]))
                podToPod[keys.0, default: 0] += w
                podToPod[keys.1, default: 0] += w
                direct.append((keys.0, keys.1, su == sv, w))
            default: break
            }
        }
        // Byte counts are whole numbers: these sums are exact in any order.
        let total = podToPod.values.reduce(0, +)
        guard total > 0 else { return .nan }
        var mismatch = throughAddress.reduce(0) { $0 + abs($1.value - (podToPod[$1.key] ?? 0)) }
        if profile == .fixed {
            for edge in direct where !edge.sameService && throughAddress[edge.client] == nil && throughAddress[edge.server] == nil {
                mismatch += 2 * edge.weight
            }
        }
        return mismatch / total
    }

    // MARK: DNS (section 4.2)

    /// Bytes from outside into the DNS pods, and the ratios of DNS traffic to and from outside over
    /// DNS traffic from inside (infinite when only outside traffic exists, NaN without traffic).
    func dnsRatios(dnsService: String) -> (fromOutside: Double, outsideInsideRatio: Double, intoRatio: Double) {
        var dns = graph.names.indices.filter { graph.services[$0] == dnsService && graph.kinds[$0] == .pod }
        if profile == .mimir { dns = Array(dns.sorted { graph.names[$0] < graph.names[$1] }.prefix(1)) }
        let dnsSet = Set(dns)
        var fromOutside = 0.0, toOutside = 0.0, fromInside = 0.0
        for (u, v, w) in graph.edges {
            if dnsSet.contains(v) { if graph.kinds[u] == .outside { fromOutside += w } else { fromInside += w } }
            if dnsSet.contains(u) && graph.kinds[v] == .outside { toOutside += w }
        }
        func ratio(_ numerator: Double, _ denominator: Double) -> Double {
            denominator > 0 ? numerator / denominator : numerator > 0 ? .infinity : .nan
        }
        return (fromOutside, ratio(toOutside, fromInside), ratio(fromOutside, fromInside))
    }
}

/// Population standard deviation over the mean; NaN without values or with a zero mean.
func coefficientOfVariation(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let mean = values.reduce(0, +) / Double(values.count)
    guard mean != 0 else { return .nan }
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
    return variance.squareRoot() / mean
}
