import Foundation
import Table

/// How mimir-graph named addresses: the choices a later stage must repeat to name other tables'
/// addresses (mimir-features' flows) as graph did. Graph records them in its tables' metadata and
/// inject passes them on, so features never re-derives them from options that could disagree.
public struct AddressNaming: Codable, Equatable, Sendable {
    /// The entry of a pod-edge table's metadata that holds it (canonical JSON).
    public static let key = "mimir.naming"

    /// `fixed` (mappings expire, pods join services by selector) or `mimir` (the original's rules).
    public var profile: String
    /// Whether the cluster's own machinery was dropped (DNS is always kept).
    public var dropInfrastructure: Bool
    /// Gateway addresses given on the command line, added to cluster.yaml's or the inferred ones.
    public var gateways: [String]
    /// Seconds from the capture's start to the original pickle log's second 0.
    public var logOffsetSeconds: Double

    /// Graph's choices.
    public init(profile: String, dropInfrastructure: Bool, gateways: [String], logOffsetSeconds: Double) {
        (self.profile, self.dropInfrastructure, self.gateways, self.logOffsetSeconds) = (profile, dropInfrastructure, gateways, logOffsetSeconds)
    }

    enum CodingKeys: String, CodingKey {
        case profile, dropInfrastructure = "drop_infrastructure", gateways, logOffsetSeconds = "log_offset_s"
    }

    /// The choices as provenance parameters (graph's `mimir.params` are exactly these).
    public var json: JSONValue {
        .object([
            CodingKeys.profile.rawValue: .string(profile),
            CodingKeys.dropInfrastructure.rawValue: .bool(dropInfrastructure),
            CodingKeys.gateways.rawValue: .array(gateways.map { .string($0) }),
            CodingKeys.logOffsetSeconds.rawValue: .double(logOffsetSeconds),
        ])
    }

    /// The metadata entry that records the choices.
    public func keyValue() throws -> KeyValue { KeyValue(key: Self.key, value: try json.canonicalText()) }

    /// The choices a table records, or nil for a table written before they were recorded.
    public init?(of reader: TableReader) throws {
        guard let text = reader.metadata[key: Self.key] else { return nil }
        do {
            self = try JSONDecoder().decode(AddressNaming.self, from: Data(text.utf8))
        } catch {
            throw ContractError.notTheTable(path: reader.path, expected: "a pod-edge table of mimir-graph", detail: "its \(Self.key) entry is not valid: \(error)")
        }
    }
}
