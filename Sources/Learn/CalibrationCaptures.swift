import Contract

/// Thresholds of an alert budget calibrated on benign captures the user gives (`mimir-fit
/// --calibration`), instead of the training capture's cross-fitted windows: every window of them
/// is benign and none was fitted on, and a separate capture shows how the model behaves on a capture
/// it has never seen, which the training capture's own windows cannot.
extension DetectionModel {
    /// Scores every window of `captures` with the fitted model and sets each stream's threshold (each
    /// window length, the fusion, novelty, the load residuals, Ide-Kashima) by `budget` on them. The
    /// operator's `parts` methods each get an equal share of the budget (they alert together).
    mutating func calibrate(on captures: [LabelledWindows], budget: AlertBudget, parts: Int) {
        let part = budget.share(among: parts)
        var streams: [String: (length: Int32, scores: [(index: Int64, score: Double)])] = [:]  // "model/method"
        for (capture, windows) in captures.enumerated() {
            // Indices of different captures kept apart, so that runs of alerting windows never join across them.
            let offset = Int64(capture) << 40
            for score in Scoring.score(model: self, windows: windows, violations: [:], includePartial: false) where score.method != "allow_list" {
                streams["\(score.model)/\(score.method)", default: (score.length, [])].scores.append((offset + score.index, score.score))
            }
        }
        func calibration(_ key: String, _ budget: AlertBudget) -> Calibration? {
            guard let stream = streams[key] else { return nil }
            var result = budget.threshold(calibration: stream.scores, length: stream.length)
            result.source = Calibration.captures
            return result
        }
        for index in perLength.indices {
            let name = "\(perLength[index].windowLength)"
            if perLength[index].degenerate == nil, let result = calibration(name + "/mimir", part) {
                (perLength[index].calibration, perLength[index].threshold) = (result, result.threshold)
            }
            if let result = calibration(name + "/ide_kashima", budget) { perLength[index].ideThreshold = result.threshold }
            if perLength[index].novelty != nil, var result = calibration(name + "/novelty", part) {
                result.threshold = max(result.threshold, Novelty.minimumRise)
                (perLength[index].novelty!.calibration, perLength[index].novelty!.threshold) = (result, result.threshold)
            }
            if let load = perLength[index].load, var result = calibration(name + "/load", part) {
                result.threshold = max(result.threshold, load.floor(budget: part, length: perLength[index].windowLength))
                (perLength[index].load!.calibration, perLength[index].load!.threshold) = (result, result.threshold)
            }
        }
        if fusion?.degenerate == nil, let result = calibration("fused/mimir", part) {
            (fusion!.calibration, fusion!.threshold) = (result, result.threshold)
        }
    }
}
