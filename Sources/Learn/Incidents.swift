import Contract

/// The default operating point: the threshold that keeps false alerts within a budget given in false
/// alerts per day, calibrated on benign windows the model was not fitted on. Both the false incidents
/// per day and the share of alerting windows must stay within the budget (at 2 a day, a 60 s stream
/// may alert on 2 of its 1,440 daily windows).
public struct AlertBudget: Sendable, Equatable {
    public var falseAlertsPerDay: Double

    public init(falseAlertsPerDay: Double) {
        self.falseAlertsPerDay = falseAlertsPerDay
    }

    /// An equal share of this budget for each of `parts` streams that alert together.
    public func share(among parts: Int) -> AlertBudget { AlertBudget(falseAlertsPerDay: falseAlertsPerDay / Double(max(parts, 1))) }

    /// The share of windows of `length` seconds allowed to alert.
    public func windowRate(length: Int32) -> Double { falseAlertsPerDay * Double(length) / 86_400 }

    /// Benign windows an empirical threshold needs at this budget: about three expected alerts, so
    /// that the allowed count is not decided by one window.
    public func windowsNeeded(length: Int32) -> Int { Int((3 / windowRate(length: length)).rounded(.up)) }

    /// The lowest threshold (a window alerts at a score at least it) among the calibration scores,
    /// walked from the highest down, before either limit is exceeded; just above the highest
    /// calibration score when not even that one may alert. NaN scores never alert.
    public func threshold(calibration: [(index: Int64, score: Double)], length: Int32) -> DetectionModel.Calibration {
        let scored = calibration.filter { !$0.score.isNaN }.sorted { $0.score > $1.score }
        let days = Double(calibration.count) * Double(length) / 86_400
        let allowedIncidents = falseAlertsPerDay * days, allowedWindows = windowRate(length: length) * Double(calibration.count)
        var result = DetectionModel.Calibration(falseAlertsPerDay: falseAlertsPerDay, windows: calibration.count, seconds: Double(calibration.count) * Double(length),
                                       windowsNeeded: windowsNeeded(length: length), threshold: scored.first.map(\.score.nextUp) ?? .infinity,
                                       incidents: 0, alertedWindows: 0)
        var alerting: [Int64] = []
        var position = 0
        while position < scored.count {
            let candidate = scored[position].score
            while position < scored.count, scored[position].score == candidate {
                alerting.append(scored[position].index)
                position += 1
            }
            let incidents = Incidents.count(alerting: alerting, length: length)
            guard Double(incidents) <= allowedIncidents, Double(alerting.count) <= allowedWindows else { break }
            (result.threshold, result.incidents, result.alertedWindows) = (candidate, incidents, alerting.count)
        }
        return result
    }
}
