import Foundation
import Table
import Testing
import TestSupport
@testable import Learn
import Contract

/// The load residuals: each line against numpy and scikit-learn, and what they are for: bytes that
/// follow the load stay quiet at any load, bytes the load does not explain rise.
@Suite struct LoadResidualsTests {
    /// Benign windows of a pair with a fixed part (20 kB, a queue's heartbeats) and 1,000 bytes per
    /// flow from outside, times a noise of up to ±10%; loads 6-14 flows.
    static func benign(seed: UInt64, windows: Int = 300) -> [(index: Int64, features: [Double])] {
        var random = SplitMix64(state: seed)
        func uniform() -> Double { Double(random.next() >> 11) * 0x1.0p-53 }
        return (0..<windows).map { index in
            let load = Double(6 + random.next() % 9)
            return (Int64(index), [load, (20_000 + 1000 * load) * (0.9 + 0.2 * uniform()), 50_000 * (0.9 + 0.2 * uniform())])
        }
    }

    static let names = [FeatureColumns.load, FeatureColumns.bytes("front", "outside"), FeatureColumns.bytes("outside", "front")]

    @Test(.needs(CrossCheck.python != nil, "needs scipy in the test environment"), arguments: [UInt64(1), 2])
    func expectation_agreesWithScipy(seed: UInt64) throws {
        var rows = Self.benign(seed: seed)
        // Two bursts the refit leaves out.
        rows[7].features[1] *= 20
        rows[90].features[1] *= 0.01
        let directory = try TemporaryDirectory()
        let input: [String: Any] = ["load": rows.map { $0.features[0] }, "bytes": rows.map { $0.features[1] }]
        try JSONSerialization.data(withJSONObject: input).write(to: URL(fileURLWithPath: directory.file("data.json")))
        let (status, output) = try CrossCheck.runScript("scipy_load_reference.py", [directory.file("data.json")])
        #expect(status == 0, "\(output.prefix(500))")
        let reference = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Double])
        #expect(reference["kept"]! < 300)
        let model = try #require(LoadResiduals(names: Self.names, benign: rows))
        // The pair from outside is the load's own side: not modelled.
        #expect(model.pairs.map(\.feature) == [FeatureColumns.bytes("front", "outside")])
        let pair = model.pairs[0]
        #expect(abs(pair.base - reference["base"]!) < 1e-6 * reference["base"]! && abs(pair.perLoad - reference["per_load"]!) < 1e-6 * reference["per_load"]!,
                "\(pair) \(reference)")
        #expect(abs(pair.offset - reference["offset"]!) < 1e-9 && abs(pair.spread - reference["spread"]!) < 1e-9)
        // The generating parts: 20 kB fixed and 1,000 bytes per flow, within the noise.
        #expect(abs(pair.base - 20_000) < 3000 && abs(pair.perLoad - 1000) < 300)
    }

    @Test func nonNegativeLine_byHand() {
        // y = 2x exactly: the unconstrained line, intercept 0.
        #expect(LoadResiduals.nonNegativeLine(x: [1, 2, 3], y: [2, 4, 6], rows: [0, 1, 2]) == (0, 2) as (Double, Double))
        // y falls with x (least squares: intercept 3, slope -1): a constant (mean 1) beats a line through 0 (slope 5/14).
        let falling = LoadResiduals.nonNegativeLine(x: [1, 2, 3], y: [2, 1, 0], rows: [0, 1, 2])
        #expect(falling.base == 1 && falling.perLoad == 0)
        // y = 3 - x... shifted: points (1, 1) (2, 4) (3, 4): unconstrained intercept -1/3 < 0; through 0: slope 21/14 = 1.5,
        // squares 0.25 + 1 + 0.25 = 1.5; constant 3: squares 4 + 1 + 1 = 6.
        let through = LoadResiduals.nonNegativeLine(x: [1, 2, 3], y: [1, 4, 4], rows: [0, 1, 2])
        #expect(through.base == 0 && through.perLoad == 1.5)
        // No load at all: the mean.
        #expect(LoadResiduals.nonNegativeLine(x: [0, 0], y: [3, 5], rows: [0, 1]) == (4, 0) as (Double, Double))
    }

    @Test func bytesThatFollowTheLoad_stayQuiet_andBytesItDoesNotExplain_rise() throws {
        let model = try #require(LoadResiduals(names: Self.names, benign: Self.benign(seed: 3)))
        let alignment = model.alignment(in: Self.names)
        // From no load to 1.6x the training load's top (0 to 22 flows), bytes following it: below the minimum rise.
        for load in [0.0, 4, 10, 16, 22] {
            #expect(model.score([load, 20_000 + 1000 * load, 0], alignment: alignment) < LoadResiduals.minimumRise, "load \(load)")
        }
        // 100 kB more than the load explains, at the low and at the high load: far above it.
        for load in [0.0, 4, 22] {
            #expect(model.score([load, 20_000 + 1000 * load + 100_000, 0], alignment: alignment) > 3 * LoadResiduals.minimumRise, "load \(load)")
        }
        // A table without the load column: each expectation taken at the median training load.
        let flat = model.alignment(in: [FeatureColumns.bytes("front", "outside")])
        #expect(flat.load == nil && model.score([30_000], alignment: flat) < LoadResiduals.minimumRise)
        // A table without the pair: nothing to score.
        #expect(model.score([10], alignment: model.alignment(in: [FeatureColumns.load])) == -.infinity)
    }

    @Test func pairsNeverSeenInBenignTraining_areLeftToNovelty() {
        let rows = Self.benign(seed: 4).map { row in (index: row.index, features: [row.features[0], 0, row.features[2]]) }
        #expect(LoadResiduals(names: Self.names, benign: rows) == nil)
        // Too few windows to learn a line from.
        #expect(LoadResiduals(names: Self.names, benign: Array(Self.benign(seed: 5).prefix(9))) == nil)
    }

    @Test func budget_isCalibratedOnBlocksOfTimeTheLinesWereNotLearntFrom() throws {
        var model = try #require(LoadResiduals(names: Self.names, benign: Self.benign(seed: 6, windows: 3000)))
        model.calibrate(names: Self.names, benign: Self.benign(seed: 6, windows: 3000), budget: AlertBudget(falseAlertsPerDay: 2), length: 60)
        // 3,000 benign 60 s windows, each scored by expectations learnt from the other four fifths; the threshold
        // at least the normal tail's for 2 a day (1.39e-3 per window) shared by the one pair: 2.99, raised to 3.
        #expect(model.calibration?.windows == 3000 && model.threshold >= 3)
        #expect(abs(model.floor(budget: AlertBudget(falseAlertsPerDay: 2), length: 60) - 3) < 1e-12)
        // At a third of that for 60 s windows: 4.63e-4 per window, z = 3.31212 (scipy.stats.norm.isf).
        #expect(abs(model.floor(budget: AlertBudget(falseAlertsPerDay: 2 / 3), length: 60) - 3.31212) < 1e-5)
    }

    @Test func normalQuantile_matchesTheTextbookValues() {
        // norm.isf: 0.025 -> 1.959964, 1e-4 -> 3.719016, 1e-6 -> 4.753424.
        for (p, z) in [(0.025, 1.959964), (1e-4, 3.719016), (1e-6, 4.753424)] {
            #expect(abs(LoadResiduals.normalQuantileAbove(p) - z) < 1e-6, "\(p)")
        }
    }
}

/// The gate that lets new service pairs (the allow-list) alert the operator, by hand.
@Suite struct AllowListGateTests {
    static let names = [FeatureColumns.load, FeatureColumns.bytes("a", "b"), FeatureColumns.bytes("b", "a"), FeatureColumns.bytes("c", "d"),
                        FeatureColumns.bytes("a", "a")]

    static func rows(newPairAt windows: Range<Int64>) -> [(index: Int64, features: [Double])] {
        (Int64(0)..<3000).map { index in (index, [10, 1000, 800, windows.contains(index) ? 50 : 0, index % 2 == 0 ? 70 : 0]) }
    }

    @Test func stablePairs_passTheGate_andAPairThatAppearsLater_doesNot() {
        // 3,000 windows of 60 s (2.08 days) at 2/3 a day allow 1.39 incidents and 1.39 alerting windows.
        let budget = AlertBudget(falseAlertsPerDay: 2).share(among: 3)
        let stable = AllowList.calibrate(names: Self.names, benign: Self.rows(newPairAt: 0..<0), budget: budget, length: 60)
        // No window has a pair the other blocks lack (a>a, within one service, is no pair): every count is 0.
        #expect(stable.threshold <= 1 && stable.incidents == 0 && stable.windows == 3000)
        // c>d talks in windows 100-104 only: scored against the other four blocks, one incident of 5 windows, too many.
        let late = AllowList.calibrate(names: Self.names, benign: Self.rows(newPairAt: 100..<105), budget: budget, length: 60)
        #expect(late.threshold == Double(1).nextUp && late.incidents == 0)
        // One window of it is within both limits.
        #expect(AllowList.calibrate(names: Self.names, benign: Self.rows(newPairAt: 100..<101), budget: budget, length: 60).threshold == 1)
    }
}
