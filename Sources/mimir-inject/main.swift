import ArgumentParser
import Cluster
import Foundation
import Inject
import StageSupport
import Table
import Contract

/// mimir-inject: synthetic exfiltration added to a capture's graph, and every window labelled.
struct InjectCommand: StageCommand {
    static let version = "4"

    static let configuration = CommandConfiguration(
        commandName: "mimir-inject",
        abstract: "Add synthetic exfiltration at one rate to graph's edge tables and label every window.",
        discussion: """
        Attack paths run from the sensitive service's pods to the internet over the services the policy \
        lets reach each other (default: everyone reaches everyone), with the service-address hops a \
        capture on `any` shows. The schedule (which windows, which paths, which pods) comes from --seed \
        alone, so every rate of an experiment attacks the same windows; amounts are drawn per window at \
        --rate MB per minute. Real events of --truth label their windows with their kind. Writes \
        pod_edges.parquet and service_edges.parquet (with the attacks), labels.parquet and paths.parquet.

        Example: mimir-inject --pod-edges artifacts/graph/pod_edges.parquet --sensitive user-db --rate 1 --seed 7 --out artifacts/inject/1
        """,
        version: version)

    @Option(help: "graph's pod edge table.")
    var podEdges: String

    @Option(help: "The sensitive service: where the data comes from.")
    var sensitive: String

    @Option(help: "Exfiltration rate, MB (10^6 bytes) per minute; 0 only labels the real events of --truth.")
    var rate: Double

    @Option(help: "Standard deviation of the per-window draw, MB per minute (default: the original's for its rates, else a quarter of the rate).")
    var rateSd: Double?

    @Option(help: "Seed of the schedule, the pods and the amounts.")
    var seed: UInt64 = 1

    @Option(help: "Reachability policy in the original's format (A ALLOWED B; ----; <src>_pod <dst>_vip).")
    var policy: String?

    @Option(help: "Ground truth (truth.parquet): real events label their windows and are kept out of the schedule.")
    var truth: String?

    @Option(help: "Share of the capture used for training.")
    var trainFraction = 0.5

    @Option(help: "Share of the training period under attack.")
    var trainAttackFraction = 0.5

    @Option(help: "Share of the test period under attack.")
    var testAttackFraction = 0.5

    @Option(help: "Longest attack path, in nodes.")
    var maxPathLength = 15

    @Option(help: "Delay each hop after the first by LOW,HIGH windows of the longest length (drawn per hop), as a relay that stages data before it forwards.")
    var hopDelay: String?

    @Option(help: "Scale each hop's bytes by a factor drawn per hop from LOW,HIGH (e.g. 0.8,1.3).")
    var hopBytes: String?

    @Flag(help: "Attack paths only over service pairs that already talk in the capture (exfiltration over the application's own connections).")
    var knownPairsOnly = false

    @Option(help: "fixed (default): label windows that carry injected bytes. mimir: label every planned window, as the original.")
    var profile = MethodProfile.fixed

    @OptionGroup var out: OutputDirectory

    /// `LOW,HIGH` as a range, or nil when absent.
    private static func range<T: LosslessStringConvertible & Comparable>(_ text: String?, _ option: String) throws -> ClosedRange<T>? {
        guard let text else { return nil }
        let parts = text.split(separator: ",").compactMap { T(String($0).trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, parts[0] <= parts[1] else { throw ValidationError("\(option) must be LOW,HIGH with LOW <= HIGH, not '\(text)'") }
        return parts[0]...parts[1]
    }

    func validate() throws {
        if let delay: ClosedRange<Int> = try Self.range(hopDelay, "--hop-delay"), delay.lowerBound < 0 {
            throw ValidationError("--hop-delay cannot be negative")
        }
        if let factor: ClosedRange<Double> = try Self.range(hopBytes, "--hop-bytes"), !(factor.lowerBound > 0 && factor.upperBound.isFinite) {
            throw ValidationError("--hop-bytes must be positive factors")
        }
        try validateNumber(rate, "--rate", in: 0...InjectionOptions.highestRate, unit: "MB per minute")
        if let rateSd { try validateNumber(rateSd, "--rate-sd", in: 0...InjectionOptions.highestRate, unit: "MB per minute") }
        guard (2...1000).contains(maxPathLength) else { throw ValidationError("--max-path-length must be from 2 to 1000 nodes") }
        for (name, value) in [("--train-fraction", trainFraction), ("--train-attack-fraction", trainAttackFraction), ("--test-attack-fraction", testAttackFraction)]
        where !(0...1).contains(value) {
            throw ValidationError("\(name) must be between 0 and 1")
        }
    }

    func run() throws {
        let out = try self.out.create()
        let progress = Progress("mimir-inject")
        let reachability = try policy.map(ReachabilityPolicy.read) ?? .everyone
        let delay: ClosedRange<Int>? = try Self.range(hopDelay, "--hop-delay")
        let options = InjectionOptions(rate: rate, rateStandardDeviation: rateSd, seed: seed, sensitiveService: sensitive, policy: reachability,
                                       schedule: ScheduleParameters(trainFraction: trainFraction, trainAttackFraction: trainAttackFraction,
                                                                    testAttackFraction: testAttackFraction),
                                       maxPathLength: maxPathLength, labelPlannedWindows: profile == .mimir,
                                       hopDelay: delay, hopBytes: try Self.range(hopBytes, "--hop-bytes"), knownPairsOnly: knownPairsOnly)
        let events = try truth.map(TruthTable.read) ?? []
        let injection = try Injection(podEdges: podEdges, options: options)
        let params = InjectionParameters(rate: rate, rateStandardDeviation: options.rateStandardDeviation, seed: Int64(bitPattern: seed),
                                         sensitive: sensitive, policy: policy != nil, trainFraction: trainFraction,
                                         trainAttackFraction: trainAttackFraction, testAttackFraction: testAttackFraction,
                                         maxPathLength: Int64(maxPathLength), profile: profile.rawValue, hopDelay: hopDelay, hopBytes: hopBytes,
                                         knownPairsOnly: knownPairsOnly)
        let report = try injection.run(truth: events, directory: out, provenance: params.json, version: Self.version)
        progress.finish("\(report.paths.count) paths, \(report.attacks) attacks, \(report.injectedWindows) windows with "
                        + "\(humanCount(Int(report.injectedBytes))) bytes injected", outputs: "tables in \(out)")
    }
}

StageMain.run(InjectCommand.self)
