import Capture
import Cluster
import Foundation
import Contract

/// The simulated cluster (`pipelines/clusters/*.yaml`): its addressing (written out as `cluster.yaml`)
/// and the hosts outside it that traffic goes to or comes from.
public struct ClusterModel: Decodable, Sendable {
    public var settings: ClusterSettings
    public var outside: Outside
    /// CoreDNS replicas behind the kube-dns service.
    public var dnsReplicas: Int
    /// How node ports treat users' traffic (Kubernetes' `externalTrafficPolicy`).
    public var externalTrafficPolicy: ExternalTrafficPolicy

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

    enum CodingKeys: String, CodingKey { case outside, dnsReplicas = "dns_replicas", externalTrafficPolicy = "external_traffic_policy" }

    public init(from decoder: Decoder) throws {
        settings = try ClusterSettings(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        outside = try c.decode(Outside.self, forKey: .outside)
        dnsReplicas = try c.decodeIfPresent(Int.self, forKey: .dnsReplicas) ?? 2
        externalTrafficPolicy = try c.decodeIfPresent(ExternalTrafficPolicy.self, forKey: .externalTrafficPolicy) ?? .local
    }

    public static func read(path: String) throws -> ClusterModel {
        var model = try decodeModelFile(ClusterModel.self, path: path, what: "cluster model")
        do {
            model.settings = try model.settings.validate()
        } catch let error as ClusterSettingsError {
            throw ModelError("\(path): \(error.detail)")
        }
        guard model.dnsReplicas >= 1 else { throw ModelError("\(path): dns_replicas must be at least 1") }
        let family = model.settings.serviceCIDR.network.isIPv4
        for address in [model.outside.loadGenerator, model.outside.exfilSink, model.outside.upstreamDNS] where address.isIPv4 != family {
            throw ModelError("\(path): outside address \(address) is not of the cluster's address family")
        }
        return model
    }
}
