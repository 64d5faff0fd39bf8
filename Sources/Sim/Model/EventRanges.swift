import Cluster
import Foundation
import Seeded
import Contract

/// A seeded plan of many attacks (`generate:` in an events file): one event every `every_s` seconds,
/// the kinds in turn (each round of kinds in a seeded order), every parameter drawn from a fixed range.
/// The ranges are written down before a detector is measured on them, and they reach down to
/// low-and-slow attacks (a few hundred bytes a second, a probe every two seconds), so that a benchmark
/// cannot pick the attacks its detector finds.
public struct EventRanges: Decodable, Sendable {
    public var everyS: Double
    /// The first event's start (default: one period in, so the capture starts benign).
    public var firstS: Double?
    public var kinds: [TruthEvent.Kind]
    public var exfil: Exfil?
    public var dnstunnel: Tunnel?
    public var scan: Scan?
    public var lateral: Lateral?

    public struct Exfil: Decodable, Sendable {
        /// Candidate paths (services in the order the data flows, the first holding it).
        public var paths: [[String]]
        public var durationS: Bounds<Double>
        /// Drawn log-uniformly.
        public var rateKBPerS: Bounds<Double>
        public var payloadBytes: Bounds<Int>
        public var ports: [Int]

        enum CodingKeys: String, CodingKey {
            case paths, ports
            case durationS = "duration_s", rateKBPerS = "rate_kb_per_s", payloadBytes = "payload_bytes"
        }
    }

    public struct Tunnel: Decodable, Sendable {
        public var sources: [String]
        public var durationS: Bounds<Double>
        /// Drawn log-uniformly.
        public var rateKBPerS: Bounds<Double>
        public var domains: [String]

        enum CodingKeys: String, CodingKey {
            case sources, domains
            case durationS = "duration_s", rateKBPerS = "rate_kb_per_s"
        }
    }

    public struct Scan: Decodable, Sendable {
        public var sources: [String]
        public var durationS: Bounds<Double>
        /// Drawn log-uniformly.
        public var probesPerS: Bounds<Double>
        /// How many ports, taken from `ports` in a seeded order.
        public var portCount: Bounds<Int>
        public var ports: [Int]

        enum CodingKeys: String, CodingKey {
            case sources, ports
            case durationS = "duration_s", probesPerS = "probes_per_s", portCount = "port_count"
        }
    }

    public struct Lateral: Decodable, Sendable {
        public var sources: [String]
        public var durationS: Bounds<Double>
        /// Requests to each target (every service the source never calls).
        public var requests: Bounds<Int>

        enum CodingKeys: String, CodingKey {
            case sources, requests
            case durationS = "duration_s"
        }
    }

    enum CodingKeys: String, CodingKey {
        case kinds, exfil, dnstunnel, scan, lateral
        case everyS = "every_s", firstS = "first_s"
    }

    /// The events of a capture of `duration` seconds; the same ranges and seed give the same events.
    /// An event is left out when it would not end within the capture.
    public func events(duration: Double, seed: UInt64) -> [AttackPlan.Event] {
        var random = SeededRandom(seed: seed ^ 0x6576_656E_7470_6C61)  // "eventpla": apart from the traffic's draws
        var events: [AttackPlan.Event] = []
        var round: [TruthEvent.Kind] = []
        var start = firstS ?? everyS
        while start < duration {
            if round.isEmpty { round = shuffled(kinds, &random) }
            let kind = round.removeFirst()
            var event = AttackPlan.Event(kind: kind, startS: start, endS: start)
            let length: Double
            switch kind {
            case .exfil:
                guard let exfil else { preconditionFailure("validated: every listed kind has its ranges") }
                length = draw(exfil.durationS, &random)
                event.path = exfil.paths[random.int(0...(exfil.paths.count - 1))]
                event.rateKBPerS = logUniform(exfil.rateKBPerS, &random)
                let low = random.int(exfil.payloadBytes.range)
                event.payloadBytes = Bounds(low, random.int(low...exfil.payloadBytes.high))
                event.port = exfil.ports[random.int(0...(exfil.ports.count - 1))]
            case .dnstunnel:
                guard let dnstunnel else { preconditionFailure("validated: every listed kind has its ranges") }
                length = draw(dnstunnel.durationS, &random)
                event.source = dnstunnel.sources[random.int(0...(dnstunnel.sources.count - 1))]
                event.rateKBPerS = logUniform(dnstunnel.rateKBPerS, &random)
                event.domain = dnstunnel.domains[random.int(0...(dnstunnel.domains.count - 1))]
            case .scan:
                guard let scan else { preconditionFailure("validated: every listed kind has its ranges") }
                length = draw(scan.durationS, &random)
                event.source = scan.sources[random.int(0...(scan.sources.count - 1))]
                event.probesPerS = logUniform(scan.probesPerS, &random)
                event.ports = Array(shuffled(scan.ports, &random).prefix(random.int(scan.portCount.range))).sorted()
            case .lateral:
                guard let lateral else { preconditionFailure("validated: every listed kind has its ranges") }
                length = draw(lateral.durationS, &random)
                event.source = lateral.sources[random.int(0...(lateral.sources.count - 1))]
                event.requests = random.int(lateral.requests.range)
            }
            event.endS = (start + length).rounded()
            if event.endS <= duration { events.append(event) }
            start += everyS
        }
        return events
    }

    /// Checks the ranges: a period, every listed kind's ranges, positive rates, at least one candidate.
    public func validate(path: String) throws {
        func fail(_ detail: String) -> ModelError { ModelError("\(path): generate: \(detail)") }
        guard everyS.isFinite, everyS >= 1 else { throw fail("every_s must be at least 1") }
        if let firstS, !(firstS.isFinite && firstS >= 0) { throw fail("first_s must be 0 or more") }
        guard !kinds.isEmpty else { throw fail("kinds needs at least one of exfil, dnstunnel, scan, lateral") }
        func durations(_ bounds: Bounds<Double>, _ kind: String) throws {
            guard bounds.low > 0, bounds.high.isFinite else { throw fail("\(kind).duration_s must be above 0") }
            guard bounds.high <= everyS else { throw fail("\(kind).duration_s must end within every_s (\(everyS)), so events do not overlap") }
        }
        func positive(_ bounds: Bounds<Double>, _ field: String) throws {
            guard bounds.low > 0, bounds.high.isFinite else { throw fail("\(field) must be above 0") }
        }
        func nonEmpty<T>(_ list: [T], _ field: String) throws { if list.isEmpty { throw fail("\(field) needs at least one entry") } }
        func ports(_ list: [Int], _ field: String) throws {
            for port in list where !(1...65_535).contains(port) { throw fail("\(field): \(port) is not a port") }
        }
        for kind in Set(kinds) {
            switch kind {
            case .exfil:
                guard let exfil else { throw fail("kinds lists exfil but there are no exfil ranges") }
                try nonEmpty(exfil.paths, "exfil.paths")
                for path in exfil.paths { try nonEmpty(path, "exfil.paths[]") }
                try durations(exfil.durationS, "exfil")
                try positive(exfil.rateKBPerS, "exfil.rate_kb_per_s")
                guard exfil.payloadBytes.low >= 1, exfil.payloadBytes.high <= 1400 else { throw fail("exfil.payload_bytes must be within 1...1400") }
                try nonEmpty(exfil.ports, "exfil.ports")
                try ports(exfil.ports, "exfil.ports")
            case .dnstunnel:
                guard let dnstunnel else { throw fail("kinds lists dnstunnel but there are no dnstunnel ranges") }
                try nonEmpty(dnstunnel.sources, "dnstunnel.sources")
                try durations(dnstunnel.durationS, "dnstunnel")
                try positive(dnstunnel.rateKBPerS, "dnstunnel.rate_kb_per_s")
                try nonEmpty(dnstunnel.domains, "dnstunnel.domains")
            case .scan:
                guard let scan else { throw fail("kinds lists scan but there are no scan ranges") }
                try nonEmpty(scan.sources, "scan.sources")
                try durations(scan.durationS, "scan")
                try positive(scan.probesPerS, "scan.probes_per_s")
                try nonEmpty(scan.ports, "scan.ports")
                try ports(scan.ports, "scan.ports")
                guard scan.portCount.low >= 1, scan.portCount.high <= scan.ports.count else {
                    throw fail("scan.port_count must be within 1...\(scan.ports.count) (the ports listed)")
                }
            case .lateral:
                guard let lateral else { throw fail("kinds lists lateral but there are no lateral ranges") }
                try nonEmpty(lateral.sources, "lateral.sources")
                try durations(lateral.durationS, "lateral")
                guard lateral.requests.low >= 1 else { throw fail("lateral.requests must be at least 1") }
            }
        }
    }

    private func draw(_ bounds: Bounds<Double>, _ random: inout SeededRandom) -> Double {
        bounds.low + random.unit() * (bounds.high - bounds.low)
    }

    /// Rates span orders of magnitude: uniform in their logarithm, so slow attacks are as common as fast ones.
    private func logUniform(_ bounds: Bounds<Double>, _ random: inout SeededRandom) -> Double {
        exp(log(bounds.low) + random.unit() * (log(bounds.high) - log(bounds.low)))
    }

    private func shuffled<T>(_ items: [T], _ random: inout SeededRandom) -> [T] {
        var items = items
        for i in stride(from: items.count - 1, to: 0, by: -1) { items.swapAt(i, random.int(0...i)) }
        return items
    }
}
