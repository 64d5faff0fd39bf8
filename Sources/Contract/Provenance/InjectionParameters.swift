import Foundation
import Table

/// What mimir-inject was asked to do, as it records it (`mimir.params` of its tables): later stages
/// read the sensitive service and the policy from here, by type, not by looking up JSON keys.
public struct InjectionParameters: Codable, Equatable, Sendable {
    /// Exfiltration rate, MB (10^6 bytes) per minute.
    public var rate: Double
    /// Standard deviation of the per-window draw, MB per minute.
    public var rateStandardDeviation: Double
    /// The seed of the schedule, the pods and the amounts.
    public var seed: Int64
    /// The sensitive service: where the data comes from.
    public var sensitive: String
    /// Whether a reachability policy bounded the attack paths.
    public var policy: Bool
    /// Share of the capture used for training.
    public var trainFraction: Double
    /// Share of the training period under attack.
    public var trainAttackFraction: Double
    /// Share of the test period under attack.
    public var testAttackFraction: Double
    /// The longest attack path, in nodes.
    public var maxPathLength: Int64
    /// `fixed`, or `mimir` to label every planned window as the original.
    public var profile: String
    /// `LOW,HIGH` windows each later hop is delayed by, if given.
    public var hopDelay: String?
    /// `LOW,HIGH` factor each hop's bytes are scaled by, if given.
    public var hopBytes: String?
    /// Whether attack paths use only service pairs that talk in the capture.
    public var knownPairsOnly: Bool

    /// The parameters of one inject run.
    public init(rate: Double, rateStandardDeviation: Double, seed: Int64, sensitive: String, policy: Bool, trainFraction: Double,
                trainAttackFraction: Double, testAttackFraction: Double, maxPathLength: Int64, profile: String, hopDelay: String?,
                hopBytes: String?, knownPairsOnly: Bool) {
        (self.rate, self.rateStandardDeviation, self.seed, self.sensitive, self.policy) = (rate, rateStandardDeviation, seed, sensitive, policy)
        (self.trainFraction, self.trainAttackFraction, self.testAttackFraction) = (trainFraction, trainAttackFraction, testAttackFraction)
        (self.maxPathLength, self.profile, self.hopDelay, self.hopBytes, self.knownPairsOnly) = (maxPathLength, profile, hopDelay, hopBytes, knownPairsOnly)
    }

    enum CodingKeys: String, CodingKey {
        case rate = "rate_mb_per_min", rateStandardDeviation = "rate_sd", seed, sensitive, policy, trainFraction = "train_fraction"
        case trainAttackFraction = "train_attack_fraction", testAttackFraction = "test_attack_fraction", maxPathLength = "max_path_length"
        case profile, hopDelay = "hop_delay", hopBytes = "hop_bytes", knownPairsOnly = "known_pairs_only"
    }

    /// The parameters as provenance (`Provenance.params`).
    public var json: JSONValue {
        .object([
            CodingKeys.rate.rawValue: .double(rate), CodingKeys.rateStandardDeviation.rawValue: .double(rateStandardDeviation),
            CodingKeys.seed.rawValue: .int(seed), CodingKeys.sensitive.rawValue: .string(sensitive), CodingKeys.policy.rawValue: .bool(policy),
            CodingKeys.trainFraction.rawValue: .double(trainFraction), CodingKeys.trainAttackFraction.rawValue: .double(trainAttackFraction),
            CodingKeys.testAttackFraction.rawValue: .double(testAttackFraction), CodingKeys.maxPathLength.rawValue: .int(maxPathLength),
            CodingKeys.profile.rawValue: .string(profile), CodingKeys.hopDelay.rawValue: hopDelay.map(JSONValue.string) ?? .null,
            CodingKeys.hopBytes.rawValue: hopBytes.map(JSONValue.string) ?? .null, CodingKeys.knownPairsOnly.rawValue: .bool(knownPairsOnly),
        ])
    }

    /// The parameters a table of mimir-inject records.
    public init(of provenance: Provenance, path: String) throws {
        do {
            self = try JSONDecoder().decode(InjectionParameters.self, from: Data(provenance.params.utf8))
        } catch {
            throw ContractError.notTheTable(path: path, expected: "a table of mimir-inject", detail: "its mimir.params are not inject's: \(error)")
        }
    }
}
