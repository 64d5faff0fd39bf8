import Foundation
import Table
import Contract

/// The incidents of the operator's stream (`Scoring.operatorScores`), each with what raised it: the
/// features that pushed the supervised model's scores up most, the service pairs whose bytes the
/// load does not explain, the behaviour features that rose above every benign ceiling, and the
/// service pairs outside the allow-list that talked during it. mimir-score writes them to
/// alerts.jsonl, one per line.
public struct Alert: Sendable {
    /// Microseconds since the epoch: the first window's start and the last window's end.
    public var start: Int64
    public var end: Int64
    public var stream: String
    public var method: String
    /// The highest score of its windows, and the threshold it crossed.
    public var score: Double
    public var threshold: Double
    public var windows: Int
    /// Feature names with their largest contribution (coefficient times the distance of the scaled
    /// value from its benign median) in a window of the incident, highest first, positive only.
    public var features: [(name: String, contribution: Double)]
    /// Behaviour features above their benign ceiling in a window of the incident, with their largest
    /// rise in spreads (novelty's score), highest first.
    public var novelBehaviour: [(name: String, rise: Double)]
    /// Service pairs whose bytes rose above what the load explains (`LoadResiduals`) in a window of the
    /// incident, with their largest rise in spreads, highest first, rises of at least the threshold only.
    public var unexplainedBytes: [(pair: String, rise: Double)]
    /// Service pairs (`src>dst`) outside the allow-list seen during the incident.
    public var newPairs: [String]
}

public enum Alerts {
    static let featuresPerAlert = 3

    /// The incidents of the operator's stream among `scores` (none when the model has no stream).
    /// - Parameter violations: per window (`length/index`), the service pairs outside the allow-list.
    public static func incidents(model: DetectionModel, windows: LabelledWindows, scores: [Scoring.Score],
                                 violations: [String: [String]]) -> [Alert] {
        let rows = scores.filter { $0.model == "operator" }
        guard let length = rows.first?.length else { return [] }
        let stream = model.alertMethods.contains("mimir") ? model.operatorStream ?? "\(length)" : "\(length)"
        let perLength = model.perLength.first { $0.windowLength == length }
        let byIndex = Dictionary(rows.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
        let windowsByIndex = Dictionary(windows.rows.filter { $0.length == length }.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first })
        let load = model.alertMethods.contains("load") ? perLength?.load : nil
        let loadAlignment = load?.alignment(in: windows.featureNames)
        let noveltyAlignment = perLength?.novelty.map { Detector.alignment(of: $0.features, in: windows.featureNames) }
        // The supervised model's features explain an incident only when that model alerts the operator.
        let explainers = model.perLength.filter { $0.degenerate == nil && model.alertMethods.contains("mimir") }.map { perLength in
            (perLength, Detector.alignment(of: perLength.features, in: windows.featureNames),
             Dictionary(windows.rows.filter { $0.length == perLength.windowLength }.map { ($0.index, $0) }, uniquingKeysWith: { first, _ in first }))
        }
        return Incidents.spans(alerting: rows.filter(\.alert).map(\.index), length: length).map { span in
            let members = span.compactMap { byIndex[$0] }
            let seconds = Int64(length)
            // Each model's windows within the incident's time: the longest window's index times how many of
            // this length it holds.
            var contributions: [String: Double] = [:]
            var pairs = Set<String>()
            for (perLength, alignment, rowsByIndex) in explainers {
                let ratio = Int64(length / perLength.windowLength)
                guard ratio >= 1 else { continue }
                for index in (span.lowerBound * ratio)..<((span.upperBound + 1) * ratio) {
                    guard let row = rowsByIndex[index] else { continue }
                    let inputs = Detector.inputs(row.features, alignment: alignment, model: perLength)
                    for (column, name) in perLength.features.enumerated() where perLength.coefficients[column] != 0 {
                        let contribution = perLength.coefficients[column] * (inputs[column] - perLength.medians[column])
                        if contribution > 0 { contributions[name] = max(contributions[name] ?? 0, contribution) }
                    }
                    pairs.formUnion(violations["\(perLength.windowLength)/\(index)"] ?? [])
                }
            }
            var rises: [String: Double] = [:], unexplained: [String: Double] = [:]
            for row in span.compactMap({ windowsByIndex[$0] }) {
                pairs.formUnion(violations["\(length)/\(row.index)"] ?? [])
                if let load, let loadAlignment {
                    for (pair, rise) in zip(load.pairs, load.rises(row.features, alignment: loadAlignment)) where rise >= load.threshold {
                        let name = FeatureColumns.servicePair(pair.feature)
                        unexplained[name] = max(unexplained[name] ?? rise, rise)
                    }
                }
                if let novelty = perLength?.novelty, let noveltyAlignment {
                    for (column, source) in noveltyAlignment.enumerated() {
                        guard let source, row.features[source].isFinite, row.features[source] > novelty.ceilings[column] else { continue }
                        let rise = (row.features[source] - novelty.ceilings[column]) / novelty.spreads[column]
                        rises[novelty.features[column]] = max(rises[novelty.features[column]] ?? 0, rise)
                    }
                }
            }
            func strongest<T>(_ values: [String: T]) -> [(String, T)] where T: Comparable {
                Array(values.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(featuresPerAlert))
            }
            let peak = members.max { $0.score < $1.score }!
            return Alert(start: members.first!.start, end: members.last!.start + seconds * 1_000_000, stream: stream, method: "operator",
                         score: peak.score, threshold: peak.threshold, windows: members.count, features: strongest(contributions),
                         novelBehaviour: strongest(rises), unexplainedBytes: strongest(unexplained), newPairs: pairs.sorted())
        }
    }

    /// alerts.jsonl: one JSON object per incident, keys sorted, times formatted by `time`.
    public static func jsonLines(_ alerts: [Alert], time: (Int64) -> String) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try alerts.map { alert in
            let line = Line(start: time(alert.start), end: time(alert.end), stream: alert.stream, method: alert.method, score: alert.score,
                            threshold: alert.threshold, windows: alert.windows,
                            reason: .init(features: alert.features.map { .init(name: $0.name, contribution: $0.contribution) },
                                          novelBehaviour: alert.novelBehaviour.map { .init(name: $0.name, rise: $0.rise) },
                                          unexplainedBytes: alert.unexplainedBytes.map { .init(pair: $0.pair, rise: $0.rise) }, newServicePairs: alert.newPairs))
            return String(decoding: try encoder.encode(line), as: UTF8.self) + "\n"
        }.joined()
    }

    private struct Line: Encodable {
        struct Reason: Encodable {
            struct Feature: Encodable { var name: String; var contribution: Double }
            struct Behaviour: Encodable { var name: String; var rise: Double }
            struct Bytes: Encodable { var pair: String; var rise: Double }
            var features: [Feature]
            var novelBehaviour: [Behaviour]
            var unexplainedBytes: [Bytes]
            var newServicePairs: [String]
            enum CodingKeys: String, CodingKey {
                case features, novelBehaviour = "novel_behaviour", unexplainedBytes = "unexplained_bytes", newServicePairs = "new_service_pairs"
            }
        }
        var start: String, end: String, stream: String, method: String
        var score: Double, threshold: Double, windows: Int
        var reason: Reason
    }
}
