import Foundation
import Table
import Testing
import TestSupport
import SystemSupport
@testable import Learn
import Contract

/// Inputs of fit and score that do not fit together: features and labels of different rates, and a
/// model.json whose parts disagree. Each is bad input (exit 3) with the file named.
@Suite struct ModelInputTests {
    static let windowFields = [Field("window_len_s", .int32, sortKey: true), Field("window_index", .int64, sortKey: true),
                               Field("window_start", .timestamp, sortKey: true), Field("partial", .bool)]

    static func writeFeatures(_ path: String, rate: String) throws {
        let schema = try Schema(windowFields + [Field("bytes", .double)])
        let provenance = try Provenance(stage: "features", version: "2", schemaVersion: 1, params: .object([:]),
                                        extra: [KeyValue(key: "mimir.rate", value: rate)])
        let writer = try TableWriter(path: path, schema: schema, metadata: provenance.keyValues)
        try writer.write(TableBatch(schema: schema, columns: [ColumnArray([Int32(60)]), ColumnArray([Int64(0)]), ColumnArray(.int64([0])),
                                                              ColumnArray([false]), ColumnArray([1.0])]))
        try writer.close()
    }

    static func writeLabels(_ path: String, rate: Double) throws {
        let schema = try Schema(windowFields.filter { $0.name != "partial" } + [
            Field("rate_mb_per_min", .double), Field("label", .bool), Field("kind", .string), Field("path_id", .int32),
            Field("bytes", .int64), Field("packets", .int64), Field("is_test", .bool), Field("event_id", .int32),
        ])
        let writer = try TableWriter(path: path, schema: schema, metadata: try Provenance(stage: "inject", version: "3", schemaVersion: 2, params: InjectionParameters(
            rate: 1, rateStandardDeviation: 0, seed: 1, sensitive: "db", policy: false, trainFraction: 0.5, trainAttackFraction: 0.5,
            testAttackFraction: 0.5, maxPathLength: 3, profile: "fixed", hopDelay: nil, hopBytes: nil, knownPairsOnly: false).json).keyValues)
        try writer.write(TableBatch(schema: schema, columns: [
            ColumnArray([Int32(60)]), ColumnArray([Int64(0)]), ColumnArray(.int64([0])), ColumnArray([rate]), ColumnArray([true]),
            ColumnArray(["exfil"]), ColumnArray([Int32(0)]), ColumnArray([Int64(100)]), ColumnArray([Int64(1)]), ColumnArray([false]), ColumnArray([Int32(4)]),
        ]))
        try writer.close()
    }

    @Test func featuresAndLabelsOfDifferentRates_areBadInput() throws {
        let directory = try TemporaryDirectory()
        let (features, labels) = (directory.file("features.parquet"), directory.file("labels.parquet"))
        try Self.writeFeatures(features, rate: "10.0")
        try Self.writeLabels(labels, rate: 10)
        let windows = try LabelledWindows(features: features, labels: labels)
        #expect(windows.rate == 10 && windows.rows.map(\.event) == [4])
        try Self.writeLabels(labels, rate: 0.1)
        let error = #expect(throws: TableError.self) { try LabelledWindows(features: features, labels: labels) }
        #expect(error?.errorClass == .badInput)
        #expect(error?.description == "\(features): features of the capture injected at 10.0 MB/min, but its labels \(labels) are of 0.1 MB/min "
            + "(give each --features its own rate's --labels)")
    }

    static func model() -> DetectionModel {
        let perLength = [Int32(10), 60].map { length in
            DetectionModel.PerLength(windowLength: length, features: ["a", "b"], scaler: RobustScaler(centers: [0, 0], scales: [1, 1]), medians: [0, 0],
                                     coefficients: [1, 0], intercept: 0, alpha: 1, threshold: 1, ideThreshold: 1)
        }
        var model = DetectionModel(version: "4", rates: [1], thresholdRule: "budget:2", perLength: perLength,
                                   fusion: DetectionModel.Fusion(lengths: [10, 60], coefficients: [1, 1], intercept: 0, alpha: 1, threshold: 1),
                                   allowList: [])
        model.operatorStream = "fused"
        return model
    }

    @Test func aModelWhosePartsDisagree_isRejectedWithWhatDisagrees() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("model.json")
        var cases: [(DetectionModel, String)] = []
        var model = Self.model()
        model.perLength[0].coefficients = [1]
        cases.append((model, "the 10 s model has 2 features but 1 coefficients"))
        model = Self.model()
        model.perLength[1].scaler.scales = [1, 1, 1]
        cases.append((model, "the 60 s model has 2 features but 3 scaler scales"))
        model = Self.model()
        model.fusion?.lengths = [10, 30]
        cases.append((model, "the fusion takes the 30 s model, which the file lacks"))
        model = Self.model()
        model.fusion?.coefficients = [1]
        cases.append((model, "the fusion has 2 inputs but 1 coefficients"))
        model = Self.model()
        model.fusion = nil
        cases.append((model, "the operator's stream 'fused' is not one of the models"))
        model = Self.model()
        model.operatorMethods = ["load", "magic"]
        cases.append((model, "the operator's method 'magic' is not one of allow_list, load, mimir, novelty"))
        model = Self.model()
        let rows: [(index: Int64, features: [Double])] = (Int64(0)..<20).map { ($0, [Double(10 + $0 % 3), Double(1000 * (10 + $0 % 3))]) }
        model.perLength[1].load = LoadResiduals(names: [FeatureColumns.load, FeatureColumns.bytes("a", "b")], benign: rows)
        model.perLength[1].load?.pairs[0].base = -1
        cases.append((model, "the 60 s model's load residuals give bytes_a_to_b no finite expectation (base and per-load bytes at least 0) and spread"))
        try Self.model().json().write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try DetectionModel.read(path: path).operatorStream == "fused")
        for (broken, problem) in cases {
            try broken.json().write(toFile: path, atomically: true, encoding: .utf8)
            let error = #expect(throws: ModelFileError.self) { try DetectionModel.read(path: path) }
            #expect(error?.description == "\(path): \(problem)" && error?.errorClass == .badInput)
        }
    }
}
