import Foundation
import Table

/// The observation model: which copies of a packet a source of traffic shows, and so what the counts
/// of a pairs table, and of every table made from it, mean (docs/captures.md, "The observation model").
///
/// - `capture`: one capture counted whole. `tcpdump -i any` on a node shows what the node's pods send
///   on the sender's veth before kube-proxy's NAT and on the receiver's veth after it: both copies of
///   the node's own traffic, none of the traffic of other nodes.
/// - `node-share`: one node's part of a capture per node, holding only the copies the node rule
///   counts, so that the tables of every node of a cluster add up to what one capture of the whole
///   cluster would show: both copies of every packet.
/// - `records`: flow records (IPFIX, Zeek's conn.log, VPC flow logs), which count each packet once,
///   as its exporter saw it: never the second copy of `-i any`, so what needs both is unavailable.
///
/// mimir-flows records it in its tables (`mimir.observation`); graph checks that node shares cover
/// every node, adds the cluster's nodes, and passes it on through inject to features.
public struct Observation: Codable, Equatable, Sendable {
    /// The entry of a table's metadata that holds it (canonical JSON).
    public static let key = "mimir.observation"

    /// The kind of source.
    public enum Source: String, Codable, Sendable {
        /// One capture counted whole.
        case capture
        /// A node's share of a capture per node, under the node rule.
        case nodeShare = "node-share"
        /// Flow records: one copy of each packet.
        case records
    }

    /// What showed the traffic.
    public var source: Source
    /// The nodes whose shares a table holds (sorted, no repeats); empty for `capture`.
    public var nodes: [String]
    /// The cluster's nodes as graph knew them (sorted); empty where not known (flows' tables).
    public var clusterNodes: [String]

    /// An observation; the node lists are sorted and their repeats dropped.
    public init(source: Source, nodes: [String] = [], clusterNodes: [String] = []) {
        self.source = source
        self.nodes = Array(Set(nodes)).sorted()
        self.clusterNodes = Array(Set(clusterNodes)).sorted()
    }

    enum CodingKeys: String, CodingKey { case source, nodes, clusterNodes = "cluster_nodes" }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(source: try container.decode(Source.self, forKey: .source), nodes: try container.decode([String].self, forKey: .nodes),
                  clusterNodes: try container.decodeIfPresent([String].self, forKey: .clusterNodes) ?? [])
    }

    /// Whether the tables show both copies of the traffic between two pods, the sender's before
    /// kube-proxy's NAT and the receiver's after it, which the service-address invariant compares:
    /// so with every node's share, or one capture of a cluster of one node. One node's capture of a
    /// larger cluster shows one copy of what its pods exchange with other nodes' pods; flow records
    /// show one copy of everything.
    public var showsBothCopies: Bool {
        switch source {
        case .nodeShare: true
        case .capture: clusterNodes.count <= 1
        case .records: false
        }
    }

    /// What a table without the entry holds: it was written before the entry existed, from one capture.
    public static let wholeCapture = Observation(source: .capture)

    /// The observation of tables added together (the shards of one capture, or the shares of
    /// several nodes): every table's source must be the same; the nodes are the union of theirs.
    public static func sum(_ parts: [(observation: Observation, path: String)]) throws -> Observation {
        guard let first = parts.first else { return .wholeCapture }
        for (observation, path) in parts where observation.source != first.observation.source {
            throw ContractError.notTheTable(path: path, expected: "counted as \(first.path) is (\(first.observation.source.rawValue))",
                                            detail: "it is \(observation.source.rawValue); count every table alike: mimir-flows --node for "
                                                + "each node's capture of a cluster, without it for one capture")
        }
        return Observation(source: first.observation.source, nodes: parts.flatMap(\.observation.nodes),
                           clusterNodes: parts.flatMap(\.observation.clusterNodes))
    }

    /// The metadata entry that records it.
    public func keyValue() throws -> KeyValue {
        var fields: [String: JSONValue] = [CodingKeys.source.rawValue: .string(source.rawValue), CodingKeys.nodes.rawValue: .array(nodes.map { .string($0) })]
        if !clusterNodes.isEmpty { fields[CodingKeys.clusterNodes.rawValue] = .array(clusterNodes.map { .string($0) }) }
        return KeyValue(key: Self.key, value: try JSONValue.object(fields).canonicalText())
    }

    /// What a table records, or `wholeCapture` for a table without the entry.
    public init(of reader: TableReader) throws {
        guard let text = reader.metadata[key: Self.key] else {
            self = .wholeCapture
            return
        }
        do {
            self = try JSONDecoder().decode(Observation.self, from: Data(text.utf8))
        } catch {
            throw ContractError.notTheTable(path: reader.path, expected: "a table with a valid \(Self.key) entry", detail: "\(error)")
        }
    }
}
