import Foundation
import Testing
import TestSupport
@testable import Sim

/// Seeded attack plans (`generate:` in an events file): spacing, kinds in turn, every draw within its
/// range, the same plan for the same seed, and clear errors for ranges that cannot be used.
@Suite struct EventRangesTests {
    static let ranges = """
    generate:
      every_s: 300
      kinds: [exfil, dnstunnel, scan, lateral]
      exfil: {paths: [[db, web], [db]], duration_s: [30, 240], rate_kb_per_s: [0.2, 1000], payload_bytes: [100, 1400], ports: [6969, 443]}
      dnstunnel: {sources: [web], duration_s: [30, 240], rate_kb_per_s: [0.05, 5], domains: [t.example.net]}
      scan: {sources: [web, db], duration_s: [30, 240], probes_per_s: [0.5, 200], port_count: [2, 3], ports: [22, 80, 443, 3306]}
      lateral: {sources: [db], duration_s: [30, 240], requests: [1, 6]}
    """

    /// Reads `text` as an events file (its ranges validated).
    static func plan(_ text: String = ranges) throws -> AttackPlan {
        let directory = try TemporaryDirectory()
        try text.write(toFile: directory.file("plan.yaml"), atomically: true, encoding: .utf8)
        return try AttackPlan.read(path: directory.file("plan.yaml"))
    }

    @Test func plan_spacesEventsByThePeriod_dealsTheKindsInTurn_andDrawsWithinTheRanges() throws {
        let events = try Self.plan().expanded(duration: 8 * 3600, seed: 4).events
        // Starts at 300, 600, ..., 28,500 s: 95 events (the last start, 28,800 s, is the capture's end).
        #expect(events.count == 95 && events.map(\.startS) == (1...95).map { Double($0 * 300) })
        // Every round of four holds each kind once.
        for round in stride(from: 0, to: 92, by: 4) { #expect(Set(events[round..<(round + 4)].map(\.kind)).count == 4) }
        var rates: [Double] = []
        for event in events {
            #expect(event.endS - event.startS >= 29.5 && event.endS - event.startS <= 240.5)
            switch event.kind {
            case .exfil:
                let rate = try #require(event.rateKBPerS)
                rates.append(rate)
                #expect(rate >= 0.2 && rate <= 1000 && [6969, 443].contains(event.port ?? 0) && [["db", "web"], ["db"]].contains(event.path ?? []))
                let payload = try #require(event.payloadBytes)
                #expect(payload.low >= 100 && payload.high <= 1400)
            case .dnstunnel:
                #expect(event.source == "web" && (0.05...5).contains(event.rateKBPerS ?? 0) && event.domain == "t.example.net")
            case .scan:
                #expect((0.5...200).contains(event.probesPerS ?? 0) && (2...3).contains(event.ports?.count ?? 0))
                #expect(Set(event.ports ?? []).isSubset(of: [22, 80, 443, 3306]))
            case .lateral:
                #expect(event.source == "db" && (1...6).contains(event.requests ?? 0))
            }
        }
        // Log-uniform: about as many exfiltrations below 14 KB/s (the geometric middle) as above it.
        #expect(rates.filter { $0 < 14 }.count >= 6 && rates.filter { $0 >= 14 }.count >= 6)
        // The same seed gives the same plan; another seed another.
        let again = try Self.plan().expanded(duration: 8 * 3600, seed: 4).events
        #expect(again.map(\.endS) == events.map(\.endS) && again.map(\.rateKBPerS) == events.map(\.rateKBPerS))
        #expect(try Self.plan().expanded(duration: 8 * 3600, seed: 5).events.map(\.endS) != events.map(\.endS))
    }

    @Test func rangesThatCannotBeUsed_areNamedWithTheFile() throws {
        let cases = [
            ("every_s: 300", "every_s: 0", "every_s must be at least 1"),
            ("kinds: [exfil, dnstunnel, scan, lateral]", "kinds: []", "kinds needs at least one"),
            ("lateral: {sources: [db], duration_s: [30, 240], requests: [1, 6]}", "", "kinds lists lateral but there are no lateral ranges"),
            ("duration_s: [30, 240], requests", "duration_s: [30, 400], requests", "lateral.duration_s must end within every_s"),
            ("port_count: [2, 3]", "port_count: [2, 9]", "scan.port_count must be within 1...4"),
            ("rate_kb_per_s: [0.05, 5]", "rate_kb_per_s: [0, 5]", "dnstunnel.rate_kb_per_s must be above 0"),
            ("ports: [6969, 443]", "ports: [70000]", "exfil.ports: 70000 is not a port"),
        ]
        for (original, replacement, message) in cases {
            let text = Self.ranges.replacingOccurrences(of: original, with: replacement)
            #expect(text != Self.ranges)
            let error = #expect(throws: ModelError.self) { try Self.plan(text) }
            #expect(error.map { "\($0)".hasSuffix("plan.yaml: generate: " + message) || "\($0)".contains("plan.yaml: generate: \(message)") } == true,
                    "\(String(describing: error))")
        }
    }

    @Test func shippedPlans_readAndFitTheirApplications() throws {
        for app in ["wordpress", "sockshop", "hipster-shop"] {
            let root = CrossCheck.packageRoot
            let plan = try AttackPlan.read(path: "\(root)/pipelines/events/\(app)-plan.yaml").expanded(duration: 8 * 3600, seed: 1)
            let model = try AppModel.read(path: "\(root)/pipelines/apps/\(app).yaml")
            try plan.validate(app: model, duration: 8 * 3600, path: app)
            #expect(plan.events.count == 95)
        }
    }
}
