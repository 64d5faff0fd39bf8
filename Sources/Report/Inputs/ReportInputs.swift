import Foundation
import Table
import SystemSupport
import Contract

/// The files a report is made from: mimir-score's tables (one set per rate), the model, and what
/// explains them (inject's paths, the service edges, the features table's column meanings).
public struct ReportInputs: Sendable {
    public var scores: [String]
    /// Empty for a capture without labels (live use).
    public var evaluations: [String]
    public var rocs: [String]
    public var model: String
    public var paths: String?
    /// The service edges each scores table was computed from, in the same order.
    public var serviceEdges: [String]
    public var features: String?

    public init(scores: [String], evaluations: [String], rocs: [String], model: String, paths: String?, serviceEdges: [String], features: String?) {
        self.scores = scores
        self.evaluations = evaluations
        self.rocs = rocs
        self.model = model
        self.paths = paths
        self.serviceEdges = serviceEdges
        self.features = features
    }
}

/// One window's score by one model and method (a row of scores.parquet).
struct ScoreRow {
    var rate: Double
    var model: String
    var method: String
    var windowLength: Int
    var windowIndex: Int64
    var start: Int64  // microseconds since the epoch
    var score: Double
    var threshold: Double
    var alert: Bool
    var label: Bool
    var kind: String
    var pathID: Int32
    /// The labelled event (score schema 2 on; -1 for none or an older table).
    var event: Int32
    var isTest: Bool
}

/// A row of evaluation.parquet.
struct EvaluationRow {
    var rate: Double
    var kind: String
    var model: String
    var method: String
    var tp: Int64, fp: Int64, tn: Int64, fn: Int64
    var tpr: Double, fpr: Double, f1: Double
    var oracleF1: Double, oracleTPR: Double, oracleFPR: Double
    var rocAUC: Double
    var averagePrecision: Double
}

/// A point of a ROC curve.
struct ROCPoint {
    var rate: Double
    var kind: String
    var model: String
    var method: String
    var fpr: Double
    var tpr: Double
}

/// A service edge of one window.
struct EdgeRow {
    var windowLength: Int
    var windowIndex: Int64
    var source: String
    var target: String
    var bytes: Int64
}

/// What a model file says, as far as the report shows it.
struct ModelSummary {
    struct Linear {
        var name: String  // "10", "60", "fused"
        var alpha: Double
        var intercept: Double
        var threshold: Double
        /// (feature, coefficient), non-zero ones only.
        var coefficients: [(String, Double)]
        var featureCount: Int
    }

    var models: [Linear]
    /// "lasso" or "logistic".
    var estimator: String
    var thresholdRule: String
    /// The supervised model's stream, the methods whose union alerts the operator (model.json's),
    /// the exfiltration side's budget calibration, and what fit warned about.
    var operatorStream: String?
    var operatorMethods: [String]
    var operatorLength: Int32?
    var calibration: DetectionModel.Calibration?
    /// The service the training injection took data from (model.json's, fit version 8 on).
    var sensitive: String?
    var warnings: [String]
    var version: String
    var allowListSize: Int
}

/// Everything the report draws, read once.
struct ReportData {
    var scores: [ScoreRow] = []
    var evaluations: [EvaluationRow] = []
    var roc: [ROCPoint] = []
    var model: ModelSummary
    /// path id -> (kind, path as inject wrote it).
    var paths: [Int32: (kind: String, path: String)] = [:]
    /// rate -> the service edges of that rate's capture.
    var edges: [Double: [EdgeRow]] = [:]
    /// feature -> what it measures (from the features table's metadata).
    var meanings: [String: String] = [:]
    /// (file, stage, version, parameters) of every input table.
    var provenance: [(file: String, stage: String, version: String, params: String)] = []

    var labelled: Bool { !evaluations.isEmpty }

    init(_ inputs: ReportInputs) throws {
        model = try Self.readModel(inputs.model)
        provenance.append((inputs.model, "fit", model.version, "threshold \(model.thresholdRule)"))
        var fileRates: [Double] = []  // the rate of each scores table, for its service edges
        for path in inputs.scores {
            let table = try TableFile(path, expect: ScoreSchemas.stage)
            provenance.append(table.provenance)
            let (rate, modelName, method, length, index, start) = (try table.doubles(Column.rate), try table.strings(Column.model), try table.strings(Column.method),
                                                                  try table.int32s(Column.windowLength), try table.int64s(Column.windowIndex), try table.timestamps(Column.windowStart))
            fileRates.append(rate.first ?? 0)
            let (score, threshold, alert, label, kind, pathID, isTest) = (try table.doubles(Column.score), try table.doubles(Column.threshold), try table.bools(Column.alert),
                                                                         try table.bools(Column.label), try table.strings(Column.kind), try table.int32s(Column.pathID),
                                                                         try table.bools(Column.isTest))
            let events = table.has(Column.eventID) ? try table.int32s(Column.eventID) : Array(repeating: -1, count: table.rows)
            for row in 0..<table.rows {
                scores.append(ScoreRow(rate: rate[row], model: modelName[row], method: method[row], windowLength: Int(length[row]),
                                       windowIndex: index[row], start: start[row], score: score[row], threshold: threshold[row], alert: alert[row],
                                       label: label[row], kind: kind[row], pathID: pathID[row], event: events[row], isTest: isTest[row]))
            }
        }
        for path in inputs.evaluations {
            let table = try TableFile(path, expect: ScoreSchemas.stage)
            let d = { (name: String) throws -> [Double] in try table.doubles(name) }
            let i = { (name: String) throws -> [Int64] in try table.int64s(name) }
            let s = { (name: String) throws -> [String] in try table.strings(name) }
            let (rate, kind, modelName, method) = (try d(Column.rate), try s(Column.kind), try s(Column.model), try s(Column.method))
            let (tp, fp, tn, fn) = (try i(ScoreSchemas.Count.truePositives), try i(ScoreSchemas.Count.falsePositives), try i(ScoreSchemas.Count.trueNegatives), try i(ScoreSchemas.Count.falseNegatives))
            let (tpr, fpr, f1, oracleF1, oracleTPR, oracleFPR, auc, ap) = (try d(Column.truePositiveRate), try d(Column.falsePositiveRate), try d(ScoreSchemas.Count.f1), try d(ScoreSchemas.Count.oraclePrefix + ScoreSchemas.Count.f1), try d(ScoreSchemas.Count.oraclePrefix + Column.truePositiveRate), try d(ScoreSchemas.Count.oraclePrefix + Column.falsePositiveRate),
                                                                          try d(ScoreSchemas.Count.rocAUC), try d(ScoreSchemas.Count.averagePrecision))
            for row in 0..<table.rows {
                evaluations.append(EvaluationRow(rate: rate[row], kind: kind[row], model: modelName[row], method: method[row], tp: tp[row], fp: fp[row],
                                                 tn: tn[row], fn: fn[row], tpr: tpr[row], fpr: fpr[row], f1: f1[row], oracleF1: oracleF1[row],
                                                 oracleTPR: oracleTPR[row], oracleFPR: oracleFPR[row], rocAUC: auc[row], averagePrecision: ap[row]))
            }
        }
        for path in inputs.rocs {
            let table = try TableFile(path, expect: ScoreSchemas.stage)
            let (rate, kind, modelName, method, fpr, tpr) = (try table.doubles(Column.rate), try table.strings(Column.kind), try table.strings(Column.model),
                                                             try table.strings(Column.method), try table.doubles(Column.falsePositiveRate), try table.doubles(Column.truePositiveRate))
            for row in 0..<table.rows {
                roc.append(ROCPoint(rate: rate[row], kind: kind[row], model: modelName[row], method: method[row], fpr: fpr[row], tpr: tpr[row]))
            }
        }
        if let path = inputs.paths {
            let table = try TableFile(path, expect: InjectTables.stage)
            provenance.append(table.provenance)
            let (ids, kinds, names) = (try table.int32s(Column.pathID), try table.strings(Column.kind), try table.strings(Column.path))
            for row in 0..<table.rows { paths[ids[row]] = (kinds[row], names[row]) }
        }
        guard inputs.serviceEdges.isEmpty || inputs.serviceEdges.count == inputs.scores.count else {
            throw ReportError.usage("give one --service-edges per --scores, in the same order (\(inputs.serviceEdges.count) for \(inputs.scores.count))")
        }
        for (index, path) in inputs.serviceEdges.enumerated() {
            let table = try TableFile(path, expect: nil)
            let rate = fileRates[index]
            let (length, window, source, target, bytes) = (try table.int32s(Column.windowLength), try table.int64s(Column.windowIndex), try table.strings(Column.source),
                                                           try table.strings(Column.destination), try table.int64s(Column.bytes))
            edges[rate] = (0..<table.rows).map { row in
                EdgeRow(windowLength: Int(length[row]), windowIndex: window[row], source: source[row], target: target[row], bytes: bytes[row])
            }
        }
        if let path = inputs.features {
            let reader = try TableReader(path: path)
            if let text = reader.metadata.first(where: { $0.key == FeatureColumns.meaningsKey })?.value,
               let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String] {
                meanings = object
            }
        }
    }

    /// The model file as mimir-fit wrote it, read by the same code mimir-score reads it with.
    private static func readModel(_ path: String) throws -> ModelSummary {
        let model: DetectionModel
        do { model = try DetectionModel.read(path: path) } catch {
            throw ReportError.badInput("\(path): not a model.json of schema \(DetectionModel.schemaVersion) (mimir-fit's): \(error)")
        }
        var models = model.perLength.map { entry in
            ModelSummary.Linear(name: String(entry.windowLength), alpha: entry.alpha, intercept: entry.intercept, threshold: entry.threshold,
                                coefficients: zip(entry.features, entry.coefficients).filter { $0.1 != 0 }, featureCount: entry.features.count)
        }
        if let fusion = model.fusion {
            let inputs = fusion.lengths.map { "score of the \($0) s model" }
            models.append(ModelSummary.Linear(name: "fused", alpha: fusion.alpha, intercept: fusion.intercept, threshold: fusion.threshold,
                                              coefficients: zip(inputs, fusion.coefficients).filter { $0.1 != 0 }, featureCount: inputs.count))
        }
        return ModelSummary(models: models, estimator: model.perLength.first?.estimator ?? "lasso", thresholdRule: model.thresholdRule,
                            operatorStream: model.operatorStream, operatorMethods: model.alertMethods, operatorLength: model.operatorLength,
                            calibration: model.exfiltrationCalibration?.calibration, sensitive: model.injection?.sensitive,
                            warnings: model.warnings ?? [], version: model.version, allowListSize: model.allowList.count)
    }
}

/// A Mimir table read whole, with typed, checked column access (`TypedColumns`).
struct TableFile {
    let columns: TypedColumns
    let provenance: (file: String, stage: String, version: String, params: String)
    var rows: Int { columns.rowCount }

    init(_ path: String, expect stage: String?) throws {
        let reader = try TableReader(path: path)
        let metadata = Dictionary(reader.metadata.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        let written = metadata[Provenance.stageKey] ?? "?"
        if let stage, written != stage {
            throw ReportError.badInput("\(path): written by stage '\(written)', expected a table of stage '\(stage)'")
        }
        provenance = (path, written, metadata[Provenance.versionKey] ?? "?", metadata[Provenance.paramsKey] ?? "")
        columns = try reader.readAllTyped()
    }

    func has(_ name: String) -> Bool { columns.has(name) }
    func doubles(_ name: String) throws -> [Double] { try columns.doubles(name, nonFinite: true) }
    func int64s(_ name: String) throws -> [Int64] { try columns.int64s(name) }
    func timestamps(_ name: String) throws -> [Int64] { try columns.timestamps(name) }
    func int32s(_ name: String) throws -> [Int32] { try columns.int32s(name) }
    func bools(_ name: String) throws -> [Bool] { try columns.bools(name) }
    func strings(_ name: String) throws -> [String] { try columns.strings(name).strings }
}

/// What goes wrong making a report; the class decides the exit code (2, 3 or 1).
public enum ReportError: ClassifiedError {
    case usage(String)
    case badInput(String)
    case failure(String)

    public var description: String {
        switch self {
        case let .usage(message), let .badInput(message), let .failure(message): message
        }
    }

    public var errorClass: ErrorClass {
        switch self {
        case .usage: .usage
        case .badInput: .badInput
        case .failure: .failure
        }
    }
}
