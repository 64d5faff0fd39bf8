import Foundation
import Table
import Yams
import SystemSupport
import Contract

/// What graph needs to know about a cluster's addressing (`cluster.yaml`, ARCHITECTURE.md): pod address
/// ranges per node, the service address range, node and gateway addresses. The simulator writes it;
/// for a real cluster the user does, or graph infers it from the entity log.
public struct ClusterSettings: Codable, Hashable, Sendable {
    public struct Node: Codable, Hashable, Sendable {
        public var name: String
        /// The node's own address (host-network pods share it).
        public var address: IPAddress
        /// The range the node's pods get their addresses from.
        public var podCIDR: IPPrefix
        /// The node's address on its pod bridge: traffic the node sends to its pods (kubelet probes,
        /// NodePort traffic after masquerading) comes from here.
        public var gateway: IPAddress

        enum CodingKeys: String, CodingKey {
            case name, address, gateway
            case podCIDR = "pod_cidr"
        }

        public init(name: String, address: IPAddress, podCIDR: IPPrefix, gateway: IPAddress) {
            self.name = name
            self.address = address
            self.podCIDR = podCIDR
            self.gateway = gateway
        }
    }

    /// How traffic between nodes travels.
    public enum NetworkPlugin: String, Codable, Hashable, Sendable {
        /// Routed: pod addresses on the wire.
        case none
        /// VXLAN overlay (flannel, Calico VXLAN): node-to-node UDP carrying the pod packets.
        case vxlan
    }

    public var nodes: [Node]
    public var serviceCIDR: IPPrefix
    public var networkPlugin: NetworkPlugin
    /// The UDP port of the VXLAN overlay (4789 by IANA; flannel uses 8472).
    public var vxlanPort: Int
    /// The node the capture was taken on.
    public var captureNode: String

    enum CodingKeys: String, CodingKey {
        case nodes
        case serviceCIDR = "service_cidr"
        case networkPlugin = "network_plugin"
        case vxlanPort = "vxlan_port"
        case captureNode = "capture_node"
    }

    public init(nodes: [Node], serviceCIDR: IPPrefix, networkPlugin: NetworkPlugin, vxlanPort: Int = 4789, captureNode: String) {
        self.nodes = nodes
        self.serviceCIDR = serviceCIDR
        self.networkPlugin = networkPlugin
        self.vxlanPort = vxlanPort
        self.captureNode = captureNode
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        nodes = try container.decode([Node].self, forKey: .nodes)
        serviceCIDR = try container.decode(IPPrefix.self, forKey: .serviceCIDR)
        networkPlugin = try container.decodeIfPresent(NetworkPlugin.self, forKey: .networkPlugin) ?? .vxlan
        vxlanPort = try container.decodeIfPresent(Int.self, forKey: .vxlanPort) ?? 4789
        captureNode = try container.decodeIfPresent(String.self, forKey: .captureNode) ?? nodes.first?.name ?? ""
    }

    /// Checks what decoding cannot: at least one node, unique names, ranges that hold their gateway and
    /// do not overlap each other or the service range, a known capture node, one address family.
    public func validate() throws -> ClusterSettings {
        func fail(_ detail: String) -> Error { ClusterSettingsError(detail: detail) }
        guard !nodes.isEmpty else { throw fail("a cluster needs at least one node") }
        guard Set(nodes.map(\.name)).count == nodes.count else { throw fail("two nodes share a name") }
        guard nodes.contains(where: { $0.name == captureNode }) else { throw fail("capture_node '\(captureNode)' is not one of the nodes") }
        guard (1...65_535).contains(vxlanPort) else { throw fail("vxlan_port \(vxlanPort) is not a UDP port") }
        let family = serviceCIDR.network.isIPv4
        for node in nodes {
            guard node.podCIDR.network.isIPv4 == family else { throw fail("node \(node.name): pod_cidr and service_cidr must be of one address family") }
            guard node.podCIDR.contains(node.gateway) else { throw fail("node \(node.name): gateway \(node.gateway) is outside its pod_cidr \(node.podCIDR)") }
            guard !overlaps(node.podCIDR, serviceCIDR) else { throw fail("node \(node.name): pod_cidr \(node.podCIDR) overlaps service_cidr \(serviceCIDR)") }
            for other in nodes where other.name < node.name && overlaps(other.podCIDR, node.podCIDR) {
                throw fail("nodes \(other.name) and \(node.name) have overlapping pod ranges")
            }
        }
        return self
    }

    private func overlaps(_ a: IPPrefix, _ b: IPPrefix) -> Bool {
        a.contains(b.network) || b.contains(a.network)
    }

    public func yaml() throws -> String {
        "# Cluster addressing (Mimir cluster.yaml, schema 1): what mimir-graph needs to name addresses.\n"
            + (try YAMLEncoder().encode(self))
    }

    /// Each node's name, address and pod range: what the node rule needs of the layout.
    public var nodeLayout: [(name: String, address: IPAddress, pods: IPPrefix)] { nodes.map { ($0.name, $0.address, $0.podCIDR) } }

    /// The error for a node the file at `path` does not have.
    public func unknownNode(_ name: String, path: String) -> ClusterSettingsError {
        ClusterSettingsError(detail: "\(path): no node '\(name)' (its nodes: \(nodes.map(\.name).joined(separator: ", ")))")
    }

    public static func read(path: String) throws -> ClusterSettings {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ClusterSettingsError(detail: "cannot read \(path)")
        }
        do {
            return try YAMLDecoder().decode(ClusterSettings.self, from: text).validate()
        } catch let error as ClusterSettingsError {
            throw ClusterSettingsError(detail: "\(path): \(error.detail)")
        } catch {
            throw ClusterSettingsError(detail: "\(path): \(describeDecodingError(error))")
        }
    }
}

public struct ClusterSettingsError: Error, ClassifiedError, CustomStringConvertible {
    public let detail: String
    /// An error in a cluster.yaml, told in `detail` (with the file's path).
    public init(detail: String) { self.detail = detail }
    public var errorClass: ErrorClass { .badInput }
    public var description: String { detail }
}

/// A decoding error as one line a person can act on: where in the document, and what was wrong.
public func describeDecodingError(_ error: Error) -> String {
    func location(_ path: [CodingKey]) -> String {
        path.isEmpty ? "the document" : path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: ["."])
    }
    switch error {
    case let DecodingError.keyNotFound(key, context):
        return "\(location(context.codingPath + [key])) is missing"
    case let DecodingError.typeMismatch(type, context):
        return "\(location(context.codingPath)) should be \(type): \(context.debugDescription)"
    case let DecodingError.valueNotFound(type, context):
        return "\(location(context.codingPath)) should be \(type), found nothing"
    case let DecodingError.dataCorrupted(context):
        return "\(location(context.codingPath)): \(context.debugDescription)"
    case let error as YamlError:
        return "not valid YAML: \(error)"
    default:
        return "\(error)"
    }
}
