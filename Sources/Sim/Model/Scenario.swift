import Cluster
import Foundation
import Contract

/// Attack events to play into a simulation (`--events FILE`), each with its ground truth.
public struct AttackPlan: Decodable, Sendable {
    /// Events written out one by one.
    public var events: [Event]
    /// Ranges to draw many more from (`EventRanges`), seeded by the simulation's seed.
    public var generate: EventRanges?

    public init(events: [Event], generate: EventRanges? = nil) {
        self.events = events
        self.generate = generate
    }

    enum CodingKeys: String, CodingKey { case events, generate }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        events = try container.decodeIfPresent([Event].self, forKey: .events) ?? []
        generate = try container.decodeIfPresent(EventRanges.self, forKey: .generate)
    }

    /// The events to play: those written out, then those drawn from the ranges for this capture.
    public func expanded(duration: Double, seed: UInt64) -> AttackPlan {
        AttackPlan(events: events + (generate?.events(duration: duration, seed: seed) ?? []))
    }

    public struct Event: Decodable, Sendable {
        public var kind: TruthEvent.Kind
        /// Seconds from the capture's start.
        public var startS: Double
        public var endS: Double
        /// exfil: the services the data passes through, in the order it flows, the first holding the
        /// data; from the last it goes to the outside sink. One pod of each is chosen at random.
        public var path: [String]?
        /// dnstunnel, scan, lateral: the service whose pod is compromised.
        public var source: String?
        /// exfil and dnstunnel: the rate of exfiltrated data.
        public var rateKBPerS: Double?
        /// exfil: payload bytes per packet (DET's 300-400 in the original experiments).
        public var payloadBytes: Bounds<Int>?
        /// exfil: the TCP port the relays listen on (DET's 6969).
        public var port: Int?
        /// dnstunnel: the attacker's domain the encoded data is sent under.
        public var domain: String?
        /// scan: ports probed on every target address; targets per second.
        public var ports: [Int]?
        public var probesPerS: Double?
        /// lateral: services the source never calls normally (default: all of them); requests to each.
        public var targets: [String]?
        public var requests: Int?

        enum CodingKeys: String, CodingKey {
            case kind, path, source, port, domain, ports, targets, requests
            case startS = "start_s", endS = "end_s", rateKBPerS = "rate_kb_per_s", payloadBytes = "payload_bytes",
                 probesPerS = "probes_per_s"
        }
    }

    public static func read(path: String) throws -> AttackPlan {
        let plan = try decodeModelFile(AttackPlan.self, path: path, what: "events file")
        try plan.generate?.validate(path: path)
        return plan
    }

    /// Checks every event against the model and the capture's length.
    public func validate(app: AppModel, duration: Double, path: String) throws {
        let names = Set(app.services.map(\.name))
        for (index, event) in events.enumerated() {
            func fail(_ detail: String) -> ModelError { ModelError("\(path): events[\(index)] (\(event.kind.rawValue)): \(detail)") }
            guard event.startS >= 0, event.endS > event.startS, event.endS <= duration else {
                throw fail("needs 0 <= start_s < end_s <= the capture's \(duration) s")
            }
            switch event.kind {
            case .exfil:
                guard let path = event.path, !path.isEmpty else { throw fail("needs a path of services") }
                for name in path where !names.contains(name) { throw fail("'\(name)' is not a service of \(app.name)") }
                guard (event.rateKBPerS ?? 0) > 0 else { throw fail("needs rate_kb_per_s above 0") }
            case .dnstunnel:
                guard (event.rateKBPerS ?? 0) > 0 else { throw fail("needs rate_kb_per_s above 0") }
                fallthrough
            case .scan, .lateral:
                guard let source = event.source, names.contains(source) else { throw fail("needs a source service of \(app.name)") }
                for name in event.targets ?? [] where !names.contains(name) { throw fail("target '\(name)' is not a service of \(app.name)") }
                for port in event.ports ?? [] where !(1...65_535).contains(port) { throw fail("\(port) is not a port") }
            }
        }
    }
}

/// The daily load curve: 24 steps compressed into the capture's length, as the original's Locust
/// driver did. Each step gives the fraction of the peak users that are active.
public enum LoadCurve: String, Sendable, CaseIterable {
    /// A working day: a night trough, a morning rise, an evening peak (an assumption; the original's
    /// CLIENT_RATIO_NORMAL values were not published with its data).
    case normal
    /// The same day with sharp short surges (flash crowds) every few hours.
    case bursty
    /// Constant load, for benchmarks and tests.
    case flat

    var steps: [Double] {
        switch self {
        case .normal:
            [0.35, 0.28, 0.22, 0.18, 0.16, 0.18, 0.25, 0.38, 0.55, 0.70, 0.80, 0.86,
             0.90, 0.88, 0.85, 0.84, 0.86, 0.92, 1.00, 0.98, 0.90, 0.75, 0.58, 0.45]
        case .bursty:
            [0.35, 0.28, 0.85, 0.18, 0.16, 0.18, 0.25, 0.95, 0.55, 0.70, 0.80, 0.86,
             1.00, 0.88, 0.85, 0.84, 0.86, 0.92, 0.80, 0.98, 0.90, 1.00, 0.58, 0.45]
        case .flat:
            Array(repeating: 1.0, count: 24)
        }
    }
}
