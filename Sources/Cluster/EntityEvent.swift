import Foundation
import Table
import SystemSupport
import Contract

/// One line of the entity log (ARCHITECTURE.md, "The entity log"): the full state of a pod or a
/// service at the moment it was added, modified or deleted.
public struct EntityEvent: Hashable, Sendable {
    public enum Change: String, Sendable, CaseIterable { case added, modified, deleted }
    public enum Kind: String, Sendable, CaseIterable { case pod, service }

    /// Nanoseconds since the Unix epoch (written with microsecond resolution).
    public var time: Int64
    public var change: Change
    public var kind: Kind
    public var namespace: String
    public var name: String
    /// A pod's addresses (empty until assigned) or a service's cluster addresses (empty when headless).
    public var ips: [IPAddress]
    public var labels: [String: String]
    /// Pods: the node it runs on, its phase, and whether it uses the node's network.
    public var node: String?
    public var phase: String?
    public var hostNetwork: Bool
    /// Pods: the addresses of the node it runs on (`status.hostIPs`); empty where the log does not say.
    public var hostIPs: [IPAddress]
    /// Services: the pod labels it selects (nil for a service without a selector).
    public var selector: [String: String]?

    public init(time: Int64, change: Change, kind: Kind, namespace: String, name: String, ips: [IPAddress],
                labels: [String: String], node: String? = nil, phase: String? = nil, hostNetwork: Bool = false,
                hostIPs: [IPAddress] = [], selector: [String: String]? = nil) {
        self.time = time
        self.change = change
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.ips = ips
        self.labels = labels
        self.node = node
        self.phase = phase
        self.hostNetwork = hostNetwork
        self.hostIPs = hostIPs
        self.selector = selector
    }

    /// The line's JSON, keys in canonical (sorted) order, without the newline.
    public func jsonLine() -> String {
        var object: [String: JSONValue] = [
            "time": .string(Timestamp.format(nanoseconds: time)),
            "event": .string(change.rawValue),
            "kind": .string(kind.rawValue),
            "namespace": .string(namespace),
            "name": .string(name),
            "ips": .array(ips.map { .string($0.description) }),
            "labels": .object(labels.mapValues { .string($0) }),
        ]
        switch kind {
        case .pod:
            object["node"] = .string(node ?? "")
            object["phase"] = .string(phase ?? "")
            if hostNetwork { object["host_network"] = .bool(true) }
            if !hostIPs.isEmpty { object["host_ips"] = .array(hostIPs.map { .string($0.description) }) }
        case .service:
            if let selector { object["selector"] = .object(selector.mapValues { .string($0) }) }
        }
        // Only strings, booleans and arrays of them: never a double, so never a throw.
        return (try? JSONValue.object(object).canonicalText()) ?? ""
    }
}

/// A line of an entity log that does not hold a valid event.
public struct EntityLogError: Error, ClassifiedError, CustomStringConvertible {
    public let path: String
    public let line: Int
    public let detail: String
    public var errorClass: ErrorClass { .badInput }
    public var description: String { "\(path):\(line): \(detail)" }
}
