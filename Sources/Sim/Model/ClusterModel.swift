import Capture
import Cluster
import Foundation
import Contract
import Seeded
import SystemSupport

/// The simulated cluster (`pipelines/clusters/*.yaml`): its addressing (written out as `cluster.yaml`)
/// and the hosts outside it that traffic goes to or comes from.
public struct ClusterModel: Decodable, Sendable {
    public var settings: ClusterSettings
    public var outside: Outside
    /// CoreDNS replicas behind the kube-dns service.
    public var dnsReplicas: Int
    /// How node ports treat users' traffic (Kubernetes' `externalTrafficPolicy`).
    public var externalTrafficPolicy: ExternalTrafficPolicy
    /// How far each node's clock is off the entity log's, milliseconds (`nodes[].clock_skew_ms`);
    /// nil where the model does not say.
    public var clockSkewsMs: [Double?]

    public enum ExternalTrafficPolicy: String, Decodable, Sendable {
        /// Served by the node's own pods, the user's address kept: pods answer outside directly.
        case local
        /// Served by any pod, masqueraded as the node's gateway (or its address, for a pod elsewhere).
        case cluster
    }

    public struct Outside: Decodable, Sendable {
        /// Where users come from (the original: Locust on the host, 192.168.99.1).
        public var loadGenerator: IPAddress
        /// Where exfiltrated data goes (the original: the DET server on the same host).
        public var exfilSink: IPAddress
        /// The resolver CoreDNS forwards names outside the cluster to.
        public var upstreamDNS: IPAddress

        enum CodingKeys: String, CodingKey {
            case loadGenerator = "load_generator", exfilSink = "exfil_sink", upstreamDNS = "upstream_dns"
        }
    }

    enum CodingKeys: String, CodingKey {
        case outside, nodes, dnsReplicas = "dns_replicas", externalTrafficPolicy = "external_traffic_policy"
    }

    private struct NodeClock: Decodable {
        var clockSkewMs: Double?
        enum CodingKeys: String, CodingKey { case clockSkewMs = "clock_skew_ms" }
    }

    public init(from decoder: Decoder) throws {
        settings = try ClusterSettings(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        outside = try c.decode(Outside.self, forKey: .outside)
        dnsReplicas = try c.decodeIfPresent(Int.self, forKey: .dnsReplicas) ?? 2
        externalTrafficPolicy = try c.decodeIfPresent(ExternalTrafficPolicy.self, forKey: .externalTrafficPolicy) ?? .local
        clockSkewsMs = try c.decode([NodeClock].self, forKey: .nodes).map(\.clockSkewMs)
    }

    /// Each node's clock skew in nanoseconds. `overriddenBy` S spreads -S..+S evenly from the first
    /// node to the last; otherwise the model's values, and where it gives none on a cluster of
    /// several nodes a few milliseconds (uniform in +-5 ms, drawn from the seed by a generator of
    /// its own, so the traffic does not change with it). A single node's clock is the entity log's:
    /// the API server runs on it.
    public func clockSkews(overriddenBy spread: Double?, seed: UInt64) -> [Int64] {
        let count = settings.nodes.count
        if let spread {
            return (0..<count).map { count == 1 ? 0 : Nanoseconds.from(seconds: spread / 1000 * (2 * Double($0) / Double(count - 1) - 1)) }
        }
        var random = SeededRandom(seed: seed ^ 0xC10C_5CE3_D0F5_EED5)
        return clockSkewsMs.map { given in
            let drawn = random.unit() * 10 - 5
            return Nanoseconds.from(seconds: (given ?? (count == 1 ? 0 : drawn)) / 1000)
        }
    }

    public static func read(path: String) throws -> ClusterModel {
        var model = try decodeModelFile(ClusterModel.self, path: path, what: "cluster model")
        do {
            model.settings = try model.settings.validate()
        } catch let error as ClusterSettingsError {
            throw ModelError("\(path): \(error.detail)")
        }
        guard model.dnsReplicas >= 1 else { throw ModelError("\(path): dns_replicas must be at least 1") }
        for (node, skew) in zip(model.settings.nodes, model.clockSkewsMs) {
            // Node names become capture file names: Kubernetes' DNS subdomain names keep them safe.
            guard node.name.count <= 253, node.name.wholeMatch(of: /[a-z0-9]([-a-z0-9.]*[a-z0-9])?/) != nil else {
                throw ModelError("\(path): node name '\(node.name)' is not a Kubernetes node name (lower-case letters, digits, '-' and '.')")
            }
            if let skew, !(skew.isFinite && abs(skew) <= 60_000) {
                throw ModelError("\(path): node \(node.name): clock_skew_ms must be within +-60000 (a minute)")
            }
        }
        let family = model.settings.serviceCIDR.network.isIPv4
        for address in [model.outside.loadGenerator, model.outside.exfilSink, model.outside.upstreamDNS] where address.isIPv4 != family {
            throw ModelError("\(path): outside address \(address) is not of the cluster's address family")
        }
        return model
    }
}
