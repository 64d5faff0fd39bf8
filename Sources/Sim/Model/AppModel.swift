import Cluster
import Foundation
import Table
import Yams
import SystemSupport

/// An application model (`pipelines/apps/*.yaml`): its services, how they call each other, what users
/// do, and the assumptions behind the numbers. docs/simulator.md describes every field.
public struct AppModel: Decodable, Sendable {
    public var name: String
    public var namespace: String
    /// Where the numbers come from: the original experiments, the application's own manifests, or an
    /// assumption stated here.
    public var assumptions: String
    public var services: [Service]
    public var tasks: [Task]
    public var dns: DNSBehaviour
    public var load: LoadDefaults

    public struct Service: Decodable, Sendable {
        public var name: String
        /// `deployment` pods are named `<name>-<hash>-<suffix>`; `statefulset` pods `<name>-<ordinal>`.
        public var kind: WorkloadKind
        /// The pods' labels; the service selects its pods by them.
        public var labels: [String: String]
        public var port: Int
        public var targetPort: Int
        /// Exposed to users outside the cluster on this node port.
        public var nodePort: Int?
        public var `protocol`: WireProtocol
        public var replicas: Int
        public var autoscale: Autoscale?
        /// Idle client connections to this service close after this many seconds; 0: one connection
        /// per request.
        public var keepaliveS: Double
        public var probe: Probe
        /// Pod-to-pod traffic among the service's own replicas (replication, group membership),
        /// addressed to pod addresses directly, never through the service address.
        public var peers: PeerTraffic?
        /// Calls each pod makes on its own, periodically (queue consumers, pollers).
        public var background: [BackgroundCall]
        public var operations: [Operation]

        enum CodingKeys: String, CodingKey {
            case name, kind, labels, port, replicas, autoscale, probe, peers, background, operations
            case targetPort = "target_port", nodePort = "node_port", `protocol`, keepaliveS = "keepalive_s"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            kind = try c.decodeIfPresent(WorkloadKind.self, forKey: .kind) ?? .deployment
            labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? ["app": name]
            port = try c.decode(Int.self, forKey: .port)
            targetPort = try c.decodeIfPresent(Int.self, forKey: .targetPort) ?? port
            nodePort = try c.decodeIfPresent(Int.self, forKey: .nodePort)
            `protocol` = try c.decodeIfPresent(WireProtocol.self, forKey: .protocol) ?? .http
            replicas = try c.decodeIfPresent(Int.self, forKey: .replicas) ?? 1
            autoscale = try c.decodeIfPresent(Autoscale.self, forKey: .autoscale)
            keepaliveS = try c.decodeIfPresent(Double.self, forKey: .keepaliveS) ?? 60
            probe = try c.decodeIfPresent(Probe.self, forKey: .probe) ?? .tcp
            peers = try c.decodeIfPresent(PeerTraffic.self, forKey: .peers)
            background = try c.decodeIfPresent([BackgroundCall].self, forKey: .background) ?? []
            operations = try c.decodeIfPresent([Operation].self, forKey: .operations) ?? []
        }
    }

    public enum WorkloadKind: String, Decodable, Sendable { case deployment, statefulset }

    /// What the bytes on a service's connections look like (docs/simulator.md, "Payloads").
    public enum WireProtocol: String, Decodable, Sendable {
        /// HTTP/1.1 requests and responses with Content-Length.
        case http
        /// MySQL: greeting and login on connect, then COM_QUERY and one-row result sets.
        case mysql
        /// Bytes with no framing a dissector relies on (gRPC, MongoDB, AMQP, Redis payloads alike).
        case opaque
    }

    public enum Probe: String, Decodable, Sendable { case http, tcp, none }

    public struct Autoscale: Decodable, Sendable {
        public var min: Int
        public var max: Int
        /// Concurrent users one replica serves before another is added.
        public var usersPerReplica: Double

        enum CodingKeys: String, CodingKey { case min, max, usersPerReplica = "users_per_replica" }
    }

    public struct PeerTraffic: Decodable, Sendable {
        public var port: Int
        public var periodS: Double
        public var request: Bounds<Int>
        public var response: Bounds<Int>

        enum CodingKeys: String, CodingKey { case port, request, response, periodS = "period_s" }
    }

    public struct BackgroundCall: Decodable, Sendable {
        public var target: String
        public var periodS: Bounds<Double>

        enum CodingKeys: String, CodingKey { case target = "call", periodS = "period_s" }
    }

    public struct Operation: Decodable, Sendable {
        public var name: String
        /// Request and response sizes in bytes (application payload).
        public var request: Bounds<Int>
        public var response: Bounds<Int>
        /// Time the server works on a request besides waiting for its own calls.
        public var processingMs: Bounds<Double>
        /// Calls made while serving the request: in order, or all at once.
        public var parallel: Bool
        public var calls: [Call]

        enum CodingKeys: String, CodingKey { case name, request, response, parallel, calls, processingMs = "processing_ms" }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            request = try c.decode(Bounds<Int>.self, forKey: .request)
            response = try c.decode(Bounds<Int>.self, forKey: .response)
            processingMs = try c.decodeIfPresent(Bounds<Double>.self, forKey: .processingMs) ?? Bounds(1, 5)
            parallel = try c.decodeIfPresent(Bool.self, forKey: .parallel) ?? false
            calls = try c.decodeIfPresent([Call].self, forKey: .calls) ?? []
        }
    }

    /// A downstream call: with probability `p`, `count` requests to `service.operation`.
    public struct Call: Decodable, Sendable {
        public var target: String
        public var p: Double
        public var count: Bounds<Int>

        enum CodingKeys: String, CodingKey { case target = "call", p, count }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            target = try c.decode(String.self, forKey: .target)
            p = try c.decodeIfPresent(Double.self, forKey: .p) ?? 1
            count = try c.decodeIfPresent(Bounds<Int>.self, forKey: .count) ?? Bounds(1, 1)
        }
    }

    /// The model with its users' request mix changed (the original's `prob_distro`): each named task
    /// takes the given share (0 leaves it out); tasks not named keep their weight. The shares need not
    /// add up to 1, only to more than 0.
    public func withTaskMix(_ mix: [(task: String, share: Double)]) throws -> AppModel {
        var model = self
        for (name, share) in mix {
            guard let index = model.tasks.firstIndex(where: { $0.name == name }) else {
                throw ModelError("--mix: \(self.name) has no task '\(name)' (tasks: \(tasks.map(\.name).joined(separator: ", ")))")
            }
            guard share >= 0, share.isFinite else { throw ModelError("--mix: the share of '\(name)' must be 0 or more") }
            model.tasks[index].weight = share
        }
        guard model.tasks.contains(where: { $0.weight > 0 }) else { throw ModelError("--mix leaves no task with a share above 0") }
        return model
    }

    /// A user task: requests to exposed services, one after the other, chosen with `weight`.
    public struct Task: Decodable, Sendable {
        public var name: String
        public var weight: Double
        public var steps: [String]
    }

    public struct DNSBehaviour: Decodable, Sendable {
        /// The TTL kube-dns gives service records (CoreDNS's default is 30 s) and clients cache them for.
        public var ttlS: Double
        /// Whether clients ask for AAAA records beside A records (glibc does, in parallel).
        public var aaaa: Bool

        enum CodingKeys: String, CodingKey { case ttlS = "ttl_s", aaaa }
    }

    public struct LoadDefaults: Decodable, Sendable {
        /// Peak concurrent users (Locust clients) of the original experiments.
        public var users: Int
        /// Think time between a user's tasks, seconds.
        public var thinkS: Bounds<Double>
        /// Users started per second while the load rises (Locust's spawn rate).
        public var spawnRate: Double

        enum CodingKeys: String, CodingKey { case users, thinkS = "think_s", spawnRate = "spawn_rate" }
    }

    /// Reads and checks a model file.
    public static func read(path: String) throws -> AppModel {
        let model = try decodeModelFile(AppModel.self, path: path, what: "application model")
        try model.validate(path: path)
        return model
    }

    func validate(path: String) throws {
        func fail(_ detail: String) -> ModelError { ModelError("\(path): \(detail)") }
        var names = Set<String>()
        for service in services {
            guard names.insert(service.name).inserted else { throw fail("service '\(service.name)' appears twice") }
            guard service.replicas >= 1 else { throw fail("service '\(service.name)' needs at least one replica") }
            if let autoscale = service.autoscale, !(1 <= autoscale.min && autoscale.min <= autoscale.max && autoscale.usersPerReplica > 0) {
                throw fail("service '\(service.name)': autoscale needs 1 <= min <= max and users_per_replica > 0")
            }
            for port in [service.port, service.targetPort] + (service.nodePort.map { [$0] } ?? []) where !(1...65_535).contains(port) {
                throw fail("service '\(service.name)': \(port) is not a port")
            }
        }
        for service in services {
            for call in service.background where operationIndex(call.target) == nil {
                throw fail("\(service.name): background call '\(call.target)' names no service.operation of the model")
            }
            for operation in service.operations {
                for call in operation.calls {
                    guard operationIndex(call.target) != nil else {
                        throw fail("\(service.name).\(operation.name) calls '\(call.target)', which names no service.operation of the model")
                    }
                    guard (0...1).contains(call.p) else { throw fail("\(service.name).\(operation.name): p of '\(call.target)' must be in [0, 1]") }
                }
            }
        }
        guard !tasks.isEmpty else { throw fail("the model needs at least one user task") }
        for task in tasks {
            guard task.weight > 0 else { throw fail("task '\(task.name)' needs a weight above 0") }
            for step in task.steps {
                guard let (service, _) = operationIndex(step) else { throw fail("task '\(task.name)': '\(step)' names no service.operation of the model") }
                guard services[service].nodePort != nil else {
                    throw fail("task '\(task.name)': users reach '\(services[service].name)' from outside, so it needs a node_port")
                }
            }
        }
    }

    /// A call with its target resolved to indices (the model's services and their operations).
    struct ResolvedCall {
        var service: Int
        var operation: Int
        var p: Double
        var count: Bounds<Int>
    }

    /// Every operation's calls with their targets resolved once, so serving a request compares no
    /// strings: `[service][operation]`.
    func resolvedCalls() -> [[[ResolvedCall]]] {
        services.map { service in
            service.operations.map { operation in
                operation.calls.compactMap { call in
                    operationIndex(call.target).map { ResolvedCall(service: $0.service, operation: $0.operation, p: call.p, count: call.count) }
                }
            }
        }
    }

    /// The service and operation indices of `service.operation`.
    func operationIndex(_ reference: String) -> (service: Int, operation: Int)? {
        guard let dot = reference.lastIndex(of: ".") else { return nil }
        let serviceName = reference[..<dot], operationName = reference[reference.index(after: dot)...]
        guard let service = services.firstIndex(where: { $0.name == serviceName }),
              let operation = services[service].operations.firstIndex(where: { $0.name == operationName }) else { return nil }
        return (service, operation)
    }
}

extension AppModel.DNSBehaviour {
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ttlS = try c.decodeIfPresent(Double.self, forKey: .ttlS) ?? 30
        aaaa = try c.decodeIfPresent(Bool.self, forKey: .aaaa) ?? true
    }
}

/// Reads a YAML model file; errors name the file and the field.
func decodeModelFile<Model: Decodable>(_ type: Model.Type, path: String, what: String) throws -> Model {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        throw ModelError("cannot read the \(what) \(path)")
    }
    do {
        return try YAMLDecoder().decode(type, from: text)
    } catch {
        throw ModelError("\(path): \(describeDecodingError(error))")
    }
}

/// A model, cluster or events file that cannot be used; the message names the file and the field.
public struct ModelError: Error, ClassifiedError, CustomStringConvertible {
    public let description: String
    public var errorClass: ErrorClass { .badInput }
    init(_ description: String) { self.description = description }
}
