import Table
import Testing
@testable import Learn
import Contract

/// Incidents, the alert budget's threshold and the degenerate-model guard, against hand calculations.
@Suite struct AlertBudgetTests {
    @Test func incidents_mergeConsecutiveWindows_andCountEveryStartedTenMinutes() {
        // 25 consecutive 60 s windows are 25 minutes: three incidents (10, 10 and 5 minutes); 40 and 42 are apart.
        let spans = Incidents.spans(alerting: Array(10...34) + [42, 40], length: 60)
        #expect(spans == [10...19, 20...29, 30...34, 40...40, 42...42])
        // 10 s windows: 60 of them per incident.
        #expect(Incidents.count(alerting: Array(0..<121), length: 10) == 3)
        #expect(Incidents.count(alerting: [], length: 60) == 0)
    }

    @Test func budget_walksDownUntilIncidentsOrAlertedWindowsExceedIt() {
        let budget = AlertBudget(falseAlertsPerDay: 2)
        // 60 s windows: 2 a day is 2 of 1,440 windows; about 3 expected alerts need 2,160 windows.
        #expect(budget.windowsNeeded(length: 60) == 2160 && budget.windowsNeeded(length: 10) == 12960)
        // Three days of 60 s windows (4,320): at most 6 incidents and 6 alerting windows.
        var scores = [Double](repeating: 0, count: 4320)
        for (index, score) in [(100, 9.0), (101, 9), (500, 8), (900, 7), (1500, 6), (2000, 5), (2500, 4), (3000, 3)] { scores[index] = score }
        let calibration = budget.threshold(calibration: scores.enumerated().map { (Int64($0.offset), $0.element) }, length: 60)
        // 9: one incident of two windows; 8, 7, 6, 5 add one each (5 incidents, 6 windows); 4 would make 7 windows.
        #expect(calibration.threshold == 5 && calibration.incidents == 5 && calibration.alertedWindows == 6)
        #expect(calibration.windows == 4320 && calibration.seconds == 259_200 && calibration.windowsNeeded == 2160)
    }

    @Test func budget_withTooFewWindows_setsTheThresholdAboveEveryOne() {
        // 36 windows of 60 s allow 0.05 false alerts: none may alert.
        let calibration = AlertBudget(falseAlertsPerDay: 2).threshold(calibration: (0..<36).map { (Int64($0), Double($0)) }, length: 60)
        #expect(calibration.threshold == Double(35).nextUp && calibration.incidents == 0 && calibration.alertedWindows == 0)
        #expect(AlertBudget(falseAlertsPerDay: 2).threshold(calibration: [], length: 60).threshold == .infinity)
    }

    @Test func thresholdRule_parsesTheBudget_andRejectsNonsense() {
        #expect(Detector.ThresholdRule("budget:2") == .budget(AlertBudget(falseAlertsPerDay: 2)))
        #expect(Detector.ThresholdRule.default.description == "budget:2" && Detector.ThresholdRule("budget:0.5")?.description == "budget:0.5")
        for bad in ["budget:0", "budget:-1", "budget:inf", "budget:", "budget:x", "fpr:2"] { #expect(Detector.ThresholdRule(bad) == nil, "\(bad)") }
    }

    /// One table: 10 s windows whose feature separates the attacks, 60 s windows whose only feature is constant.
    static func windows() -> LabelledWindows {
        var rows: [LabelledWindows.Row] = []
        for index in Int64(0)..<600 {
            let attacked = index % 4 == 0
            let noise = Double((index * 7919) % 13) / 13
            rows.append(.init(length: 10, index: index, start: index * 10_000_000, partial: false, features: [attacked ? 5 + noise : noise], label: attacked,
                              kind: attacked ? "exfil" : "none", pathID: attacked ? 0 : -1, event: -1, isTest: false))
        }
        for index in Int64(0)..<100 {
            rows.append(.init(length: 60, index: index, start: index * 60_000_000, partial: false, features: [1], label: index % 2 == 0,
                              kind: "none", pathID: -1, event: -1, isTest: false))
        }
        return LabelledWindows(featureNames: ["bytes"], rows: rows, rate: 1)
    }

    @Test func fit_marksADegenerateModel_andTheDetectorDoesWithoutIt() {
        let (model, _) = Detector.fit(tables: [Self.windows()], allowList: [], thresholdRule: .default, estimator: .logistic, version: "test")
        let ten = model.perLength.first { $0.windowLength == 10 }!, sixty = model.perLength.first { $0.windowLength == 60 }!
        #expect(ten.degenerate == nil && sixty.degenerate == "cross-validation selected no feature")
        #expect(sixty.threshold == .infinity)
        // One usable length: no fusion, and the operator's stream is the 10 s model.
        #expect(model.fusion == nil && model.operatorStream == "10")
        // Calibrated on the 450 benign 10 s windows (out of fold), far fewer than 12,960.
        #expect(ten.calibration?.windows == 450 && ten.calibration?.windowsNeeded == 12960)
        let warnings = model.warnings ?? []
        #expect(warnings.contains { $0.hasPrefix("the 60 s model is degenerate") })
        #expect(warnings.contains { $0.hasPrefix("the threshold of the 10 s stream was calibrated on 450 benign windows") })
    }

    @Test func calibrationCaptures_setTheBudgetOnTheirWindows() {
        // A benign capture whose 10 s windows carry values up to 3: above every training benign value (below 1).
        let rows = (Int64(0)..<2000).map { index in
            LabelledWindows.Row(length: 10, index: index, start: index * 10_000_000, partial: false, features: [Double(index % 31) / 10],
                                label: false, kind: "none", pathID: -1, event: -1, isTest: true)
        }
        let capture = LabelledWindows(featureNames: ["bytes"], rows: rows, rate: 0)
        let (model, _) = Detector.fit(tables: [Self.windows()], allowList: [], thresholdRule: .default, estimator: .logistic,
                                      calibration: [capture], version: "test")
        let ten = model.perLength.first { $0.windowLength == 10 }!
        // 2,000 windows of 10 s at 2 a day allow 0.46 alerts: the threshold is just above the capture's highest score.
        let highest = rows.map { Detector.score(Detector.inputs($0.features, alignment: [0], model: ten), ten) }.max()!
        #expect(ten.calibration?.source == DetectionModel.Calibration.captures && ten.calibration?.windows == 2000)
        #expect(ten.threshold == highest.nextUp && ten.calibration?.incidents == 0)
        // The capture has no 60 s windows: that model keeps its (degenerate) state and no calibration from it.
        #expect(model.perLength.first { $0.windowLength == 60 }!.calibration?.source == nil)
    }

    @Test func degeneracy_namesTheReason() {
        #expect(Detector.degeneracy(coefficients: [0, 0], scores: [1, 2]) == "cross-validation selected no feature")
        #expect(Detector.degeneracy(coefficients: [0, 1], scores: [3, 3, 3]) == "every training window has the same score")
        #expect(Detector.degeneracy(coefficients: [0, 1], scores: [3, 4]) == nil)
    }

    @Test func operatorStream_alertsWhenTheExfiltrationSideOrNoveltyDoes() {
        func row(_ model: String, _ method: String, _ index: Int64, _ score: Double, _ threshold: Double) -> Scoring.Score {
            Scoring.Score(model: model, method: method, length: 60, index: index, start: index * 60_000_000, score: score, threshold: threshold,
                          label: false, kind: "none", pathID: -1, event: -1, isTest: true)
        }
        let scores = [row("fused", "mimir", 0, 0.5, 1), row("fused", "mimir", 1, 2, 1), row("fused", "mimir", 2, .nan, 1),
                      row("60", "novelty", 0, 0.5, 0.1), row("60", "novelty", 1, -1, 0.1), row("60", "novelty", 2, 3, 0.1),
                      row("60", "mimir", 0, 9, 1)]
        var model = Self.model()
        model.fusion = .init(lengths: [10, 60], coefficients: [1, 1], intercept: 0, alpha: 0, threshold: 1)
        model.operatorStream = "fused"
        let combined = Scoring.operatorScores(model: model, scores: scores)
        // Rises above each one's threshold: max(-0.5, 0.4), max(1, -1.1), max(NaN as -inf, 2.9); threshold 0.
        #expect(combined.map(\.index) == [0, 1, 2] && combined.allSatisfy { $0.model == "operator" && $0.threshold == 0 })
        #expect(zip(combined.map(\.score), [0.4, 1, 2.9]).allSatisfy { abs($0 - $1) < 1e-12 } && combined.allSatisfy(\.alert))
        // The load residuals join when the model names them: window 0 rises 5 - 3 = 2 above its threshold.
        let load = [row("60", "load", 0, 5, 3), row("60", "load", 1, 0, 3)]
        model.operatorMethods = ["mimir", "load", "novelty"]
        #expect(zip(Scoring.operatorScores(model: model, scores: scores + load).map(\.score), [2, 1, 2.9]).allSatisfy { abs($0 - $1) < 1e-12 })
        // Without the supervised model, its scores are ignored even where they alert.
        model.operatorMethods = ["load", "novelty"]
        model.perLength = [Self.perLength(60, load: true)]
        #expect(zip(Scoring.operatorScores(model: model, scores: scores + load).map(\.score), [2, -1.1, 2.9]).allSatisfy { abs($0 - $1) < 1e-12 })
        model.operatorMethods = nil
        model.operatorStream = nil
        #expect(Scoring.operatorScores(model: model, scores: scores).isEmpty)
    }

    static func perLength(_ length: Int32, load: Bool) -> DetectionModel.PerLength {
        var entry = DetectionModel.PerLength(windowLength: length, features: [], scaler: RobustScaler(centers: [], scales: []), medians: [],
                                             coefficients: [], intercept: 0, alpha: 0, threshold: 0, ideThreshold: 0)
        if load {
            let rows: [(index: Int64, features: [Double])] = (Int64(0)..<20).map { index in
                let load = Double(10 + index % 3)
                return (index, [load, 1000 * load])
            }
            entry.load = LoadResiduals(names: [FeatureColumns.load, FeatureColumns.bytes("a", "b")], benign: rows)
        }
        return entry
    }

    static func model() -> DetectionModel {
        DetectionModel(version: "test", rates: [1], thresholdRule: "budget:2", perLength: [], fusion: nil, allowList: [])
    }
}
