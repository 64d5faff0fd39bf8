import Foundation
import Table
import Contract

/// How the report presents its data.
public struct ReportOptions: Sendable {
    public var title: String
    public var application: String
    /// The rate whose alerts are listed (default: 0 when the data has real events only at rate 0, else 1, else the first).
    public var focusRate: Double?

    public init(title: String, application: String, focusRate: Double?) {
        self.title = title
        self.application = application
        self.focusRate = focusRate
    }
}

/// Builds the report page and the tables behind its figures from the loaded data.
struct ReportBuilder {
    let data: ReportData
    let options: ReportOptions
    let version: String
    var document: HTMLDocument
    var tables = FigureTables()

    static let knownMethods = ["operator", "mimir", "load", "ide_kashima", "allow_list", "novelty"]
    /// The methods the scores hold, in a fixed order.
    let methods: [String]
    /// The rates, highest first.
    let rates: [Double]
    /// The start of the capture's first window (microseconds).
    let origin: Int64
    /// The fused model's window length: the baselines, which have no fused form, are compared at it.
    let fusedLength: String

    init(data: ReportData, options: ReportOptions, version: String) {
        self.data = data
        self.options = options
        self.version = version
        document = HTMLDocument(title: options.title)
        let present = Set(data.scores.map(\.method))
        methods = Self.knownMethods.filter(present.contains)
        rates = Array(Set(data.scores.map(\.rate))).sorted(by: >)
        origin = data.scores.map(\.start).min() ?? 0
        fusedLength = String(data.scores.first { $0.model == "fused" }?.windowLength ?? data.scores.map(\.windowLength).max() ?? 0)
    }

    /// The model each method is compared by: ours by the stream that alerts the operator (normally the
    /// fused model), the baselines at the fused model's window length.
    func headlineModel(_ method: String) -> String {
        switch method {
        case "operator": "operator"
        case "mimir": data.model.operatorStream ?? "fused"
        default: fusedLength
        }
    }

    /// The rows an operator is alerted from at one rate: the operator stream (score version 4 on), else
    /// the exfiltration side's.
    private func operatorRows(rate: Double) -> [ScoreRow] {
        let method = methods.contains("operator") ? "operator" : "mimir"
        return data.scores.filter { $0.model == headlineModel(method) && $0.method == method && $0.rate == rate }
    }

    var focusRate: Double {
        options.focusRate ?? (rates.contains(0) ? 0 : rates.contains(1) ? 1 : rates.first ?? 0)
    }

    mutating func build() -> String {
        header()
        if data.labelled {
            atTheBudget()
            glance()
            for model in data.model.models { perModel(model) }
            acrossRates()
        }
        timelines()
        graph()
        alerts()
        return document.render()
    }

    // MARK: Header

    private mutating func header() {
        let lengths = Array(Set(data.scores.map(\.windowLength))).sorted()
        let end = data.scores.map { $0.start + Int64($0.windowLength) * 1_000_000 }.max() ?? origin
        let seconds = Double(end - origin) / 1e6
        let start = Date(timeIntervalSince1970: Double(origin) / 1e6)
        let injection = data.provenance.first { $0.stage == "inject" }.map { Self.parameters($0.params) } ?? [:]
        let estimatorName = data.model.estimator == "logistic" ? "L1 logistic regression (C = 1 / alpha)" : "LASSO"
        let models = data.model.models.map { "\($0.name == "fused" ? "fused" : "\($0.name) s"): alpha \(formatted($0.alpha, digits: 5)), \($0.coefficients.count) of \($0.featureCount) non-zero" }
        document.facts([
            ("Application", options.application),
            ("Capture", "\(formatted(seconds / 3600, digits: 2)) h from \(ISO8601DateFormatter().string(from: start)), windows of \(lengths.map { "\($0) s" }.joined(separator: " and "))"),
            ("Rates", rates.map { $0 == 0 ? "0 (real events only)" : "\(formatted($0)) MB/min" }.joined(separator: ", ")),
            ("Model", "\(estimatorName) per window length, fused by a second one; " + models.joined(separator: "; ")
                + "; allow-list of \(data.model.allowListSize) service pairs"),
            ("Thresholds", thresholdText(data.model)),
            ("Warnings", data.model.warnings.isEmpty ? "none" : data.model.warnings.joined(separator: "; ")),
            ("Seed", injection["seed"] ?? "–"),
            ("Sensitive service", data.model.sensitive ?? injection["sensitive"] ?? "–"),
            ("Data", dataFiles()),
            ("Tool", "mimir-report v\(version); stages: " + Set(data.provenance.map { "\($0.stage) v\($0.version)" }).sorted().joined(separator: ", ")),
        ])
        if data.labelled {
            document.paragraph("F1 at the training threshold is the honest figure: the threshold was chosen on training rows. The oracle threshold is "
                               + "chosen on the evaluated data itself, as the original did; it is shown beside, labelled, for comparison only.", note: true)
        } else {
            document.paragraph("No labels: a capture scored as in live use. The timeline, the alerts and the graph follow.", note: true)
        }
    }

    /// The input tables by name, stage and version (`scores.parquet ×5 (score v1)`); only what their
    /// content says, never where they were, so equal inputs give equal reports.
    /// How the thresholds were chosen: a budget with what it was calibrated on, or an in-sample rule.
    private func thresholdText(_ model: ModelSummary) -> String {
        let stream = model.operatorLength == nil ? "no usable model: nothing alerts" : "alerts come from " + operatorText(model)
        guard let calibration = model.calibration else { return "\(model.thresholdRule), chosen in-sample on the training rows; \(stream)" }
        let shortfall = calibration.windows < calibration.windowsNeeded
            ? " (an empirical threshold at this budget needs about \(calibration.windowsNeeded): the threshold is only as good as that)" : ""
        let budget = Double(model.thresholdRule.dropFirst("budget:".count)) ?? calibration.falseAlertsPerDay
        let share = calibration.falseAlertsPerDay < budget ? " (an equal share for each of the operator's \(model.operatorMethods.count) methods)" : ""
        let windows = calibration.source.map { "windows of \($0)" } ?? "benign training windows scored out of fold"
        return "\(model.thresholdRule): the exfiltration side at most \(formatted(calibration.falseAlertsPerDay)) false alerts a day\(share), calibrated on \(calibration.windows) \(windows) "
            + "(\(formatted(calibration.seconds / 3600, digits: 2)) h)\(shortfall): \(calibration.incidents) incidents and "
            + "\(calibration.alertedWindows) alerting windows there; \(stream)"
    }

    /// The operator's methods in words: `the load residuals (60 s) or novelty`.
    private func operatorText(_ model: ModelSummary) -> String {
        let length = model.operatorLength.map { "\($0) s" } ?? "–"
        return model.operatorMethods.map { method in
            switch method {
            case "mimir": "the \(model.operatorStream.map { $0 == "fused" ? "fused" : $0 + " s" } ?? length) model"
            case "load": "the load residuals (\(length))"
            case "allow_list": "new service pairs"
            default: method
            }
        }.joined(separator: " or ")
    }

    private func dataFiles() -> String {
        var counts: [String: Int] = [:]
        var order: [String] = []
        for input in data.provenance {
            let text = "\((input.file as NSString).lastPathComponent) (\(input.stage) v\(input.version))"
            if counts[text] == nil { order.append(text) }
            counts[text, default: 0] += 1
        }
        return order.map { counts[$0]! > 1 ? $0.replacingOccurrences(of: " (", with: " ×\(counts[$0]!) (") : $0 }.joined(separator: ", ")
    }

    private static func parameters(_ json: String) -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return [:] }
        return object.mapValues { "\($0)" }
    }

    // MARK: Results

    private func evaluation(_ model: String, _ rate: Double, _ method: String, kind: String = "all") -> EvaluationRow? {
        data.evaluations.first { $0.model == model && $0.rate == rate && $0.method == method && $0.kind == kind }
    }

    private mutating func glance() {
        document.heading("At a glance")
        let rows = rates.flatMap { rate in
            methods.compactMap { method -> [String]? in
                guard let row = evaluation(headlineModel(method), rate, method) else { return nil }
                return [formatted(rate), Palette.methodName(method), formatted(row.rocAUC), formatted(row.f1), formatted(row.oracleF1),
                        "\(row.tp)/\(row.tp + row.fn)", "\(row.fp)"]
            }
        }
        document.table(["rate (MB/min)", "method", "ROC AUC", "F1 (training threshold)", "F1 (oracle threshold)", "attacked windows found", "false alerts"],
                       rows, caption: "Test period, every kind of event; ours fused, the baselines at \(headlineModel("allow_list")) s windows")
    }

    private mutating func perModel(_ model: ModelSummary.Linear) {
        let name = model.name == "fused" ? "fused" : "\(model.name) s"
        document.heading("Model: \(model.name == "fused" ? "fused window lengths" : "\(model.name) s windows")")
        var charts: [String] = []
        for rate in rates {
            let series = methods.map { method -> Series in
                let points = data.roc.filter { $0.model == model.name && $0.rate == rate && $0.method == method && $0.kind == "all" }
                for point in points {
                    tables.roc.append(.string(model.name), .double(rate), .string(method), .double(point.fpr), .double(point.tpr))
                }
                let auc = evaluation(model.name, rate, method)?.rocAUC ?? .nan
                return Series(name: "\(Palette.methodName(method)) \(formatted(auc, digits: 2))", color: Palette.method(method), points: points.map { ($0.fpr, $0.tpr) })
            }
            charts.append(LineChart(title: "ROC, \(name), \(formatted(rate)) MB/min", xLabel: "false-positive rate", yLabel: "true-positive rate",
                                    series: series, xDomain: 0...1, diagonal: true, legendBottomRight: true, width: 300, height: 260).svg())
        }
        document.figures(charts)
        let rows = rates.flatMap { rate in
            methods.compactMap { method -> [String]? in
                guard let row = evaluation(model.name, rate, method) else { return nil }
                return [formatted(rate), Palette.methodName(method), formatted(row.f1), formatted(row.oracleF1), formatted(row.tpr), formatted(row.fpr),
                        formatted(row.rocAUC), formatted(row.averagePrecision)]
            }
        }
        document.table(["rate", "method", "F1 (training thr.)", "F1 (oracle thr.)", "TPR", "FPR", "ROC AUC", "avg. precision"], rows,
                       caption: "Test period, \(name); TPR and FPR at the training threshold")
        var coefficients = model.coefficients.sorted { abs($0.1) > abs($1.1) }.map { feature, value -> [String] in
            tables.coefficients.append(.string(model.name), .string(feature), .double(value), .string(data.meanings[feature] ?? ""))
            return [feature, formatted(value, digits: 5), data.meanings[feature] ?? ""]
        }
        coefficients.append(["(intercept)", formatted(model.intercept, digits: 5), ""])
        document.table(["feature", "coefficient", "meaning"], coefficients,
                       caption: "Non-zero coefficients (scaled features; penalty alpha \(formatted(model.alpha, digits: 5)), threshold \(formatted(model.threshold, digits: 4)))")
        confusion(model.name)
    }

    /// Per-path confusion matrices of our method for the training and the test period, from the scores:
    /// one row per path (TP/FN) and one for benign windows (FP/TN), one column per rate and period.
    private mutating func confusion(_ model: String) {
        struct Cell: Hashable { var rate: Double; var isTest: Bool; var target: String }
        let groups = Dictionary(grouping: data.scores.filter { $0.model == model && $0.method == "mimir" }) {
            Cell(rate: $0.rate, isTest: $0.isTest, target: target($0))
        }
        let targets = Set(groups.keys.map(\.target)).sorted { ($0 == "benign" ? 0 : 1, $0) < ($1 == "benign" ? 0 : 1, $1) }
        var rows = targets.map { [$0] }
        for rate in rates {
            for period in [false, true] {
                for (index, target) in targets.enumerated() {
                    guard let group = groups[Cell(rate: rate, isTest: period, target: target)] else {
                        rows[index].append("")
                        continue
                    }
                    let (tp, fp) = (group.count { $0.alert && $0.label }, group.count { $0.alert && !$0.label })
                    let (tn, fn) = (group.count { !$0.alert && !$0.label }, group.count { !$0.alert && $0.label })
                    tables.confusion.append(.string(model), .double(rate), .string("mimir"), .string(period ? "test" : "training"), .string(target),
                                            .int(Int64(tp)), .int(Int64(fp)), .int(Int64(tn)), .int(Int64(fn)))
                    rows[index].append(target == "benign" ? "\(fp) / \(tn)" : "\(tp) / \(fn)")
                }
            }
        }
        let header = ["windows"] + rates.flatMap { rate in ["\(formatted(rate)) training", "\(formatted(rate)) test"] }
        document.table(header, rows, caption: "Confusion per attack path, Mimir (ours): TP / FN for attacked windows, FP / TN for benign ones; columns by rate (MB/min) and period")
    }

    /// What a window is: benign, one injected path, or a real event of some kind.
    private func target(_ row: ScoreRow) -> String {
        guard row.label else { return "benign" }
        if row.pathID >= 0 {
            let path = data.paths[row.pathID].map { " (\($0.path))" } ?? ""
            return "path \(row.pathID)\(path)"
        }
        return "real \(row.kind)"
    }

    private mutating func acrossRates() {
        document.heading("Across rates")
        document.paragraph("Ours fused; the baselines at \(headlineModel("allow_list")) s windows, the fused model's length.", note: true)
        let attackRates = rates.filter { $0 > 0 }.sorted()
        var charts: [String] = []
        for method in methods {
            let attacked = data.scores.filter { $0.model == headlineModel(method) && $0.method == method && $0.isTest && $0.label }
            let groups = Dictionary(grouping: attacked) { "\($0.rate)\t\(target($0))" }
            let targets = Set(attacked.map(target)).sorted()
            let series = rates.sorted().enumerated().map { index, rate -> (name: String, color: String, values: [Double]) in
                let values = targets.map { target -> Double in
                    guard let group = groups["\(rate)\t\(target)"] else { return .nan }
                    let recall = Double(group.count(where: \.alert)) / Double(group.count)
                    tables.pathRecall.append(.double(rate), .string(method), .string(target), .int(Int64(group.count)), .double(recall))
                    return recall
                }
                return ("\(formatted(rate)) MB/min", Palette.series[index % Palette.series.count], values)
            }
            charts.append(BarChart(title: "Recall per path: \(Palette.methodName(method))", yLabel: "recall",
                                   categories: targets.map { $0.components(separatedBy: " (").first ?? $0 }, series: series, yMax: 1, width: 470).svg())
        }
        func lines(_ value: (EvaluationRow) -> Double, oracle: ((EvaluationRow) -> Double)? = nil) -> [Series] {
            methods.flatMap { method -> [Series] in
                let rows = attackRates.compactMap { rate in evaluation(headlineModel(method), rate, method).map { (rate, $0) } }
                var series = [Series(name: Palette.methodName(method), color: Palette.method(method), points: rows.map { ($0.0, value($0.1)) })]
                if let oracle {
                    series.append(Series(name: "\(Palette.methodName(method)), oracle", color: Palette.method(method), dash: "4 3",
                                         points: rows.map { ($0.0, oracle($0.1)) }))
                }
                return series
            }
        }
        if let low = attackRates.first, let high = attackRates.last {
            let domain = (low * 0.8)...(high * 1.25)
            charts.append(LineChart(title: "Recall against rate", xLabel: "rate (MB/min, log)", yLabel: "recall (training threshold)",
                                    series: lines { $0.tpr }, xDomain: domain, logX: true, markers: true, legendBottomRight: true, width: 470).svg())
            charts.append(LineChart(title: "F1 against rate", xLabel: "rate (MB/min, log)", yLabel: "F1", series: lines({ $0.f1 }, oracle: { $0.oracleF1 }),
                                    xDomain: domain, logX: true, markers: true, legendBottomRight: true, width: 470).svg())
        }
        let falsePositives = methods.map { method in
            (Palette.methodName(method), Palette.method(method), attackRates.map { rate in evaluation(headlineModel(method), rate, method).map { Double($0.fp) } ?? .nan })
        }
        charts.append(BarChart(title: "False alerts in the test period", yLabel: "false-positive windows",
                               categories: attackRates.map { "\(formatted($0)) MB/min" }, series: falsePositives, width: 470).svg())
        document.figures(charts)
        var kinds: [[String]] = []
        for row in data.evaluations where row.model == headlineModel(row.method) {
            tables.rates.append(.string(row.model), .double(row.rate), .string(row.kind), .string(row.method), .double(row.f1), .double(row.oracleF1),
                                .double(row.tpr), .double(row.fpr), .int(row.fp), .double(row.rocAUC), .double(row.averagePrecision))
            if row.kind != "all" {
                kinds.append([formatted(row.rate), row.kind, Palette.methodName(row.method), formatted(row.rocAUC), formatted(row.f1),
                              formatted(row.oracleF1), "\(row.tp)/\(row.tp + row.fn)"])
            }
        }
        if !kinds.isEmpty {
            document.table(["rate", "kind", "method", "ROC AUC", "F1 (training thr.)", "F1 (oracle thr.)", "found"], kinds,
                           caption: "Per kind of event (test period)")
        }
    }

    // MARK: What the original lacked

    private mutating func timelines() {
        document.heading("Timeline of scores")
        var charts: [String] = []
        for rate in rates {
            let windows = data.scores.filter { $0.model == "fused" && $0.method == "mimir" && $0.rate == rate }.sorted { $0.start < $1.start }
            guard let first = windows.first else { continue }
            for window in windows {
                tables.timeline.append(.double(rate), .int(Int64(window.windowLength)), .int(window.windowIndex), .time(window.start), .double(window.score),
                                       .double(window.threshold), .bool(window.alert), .string(window.label ? window.kind : "none"))
            }
            let origin = self.origin  // the closure below escapes; it must not capture self
            let minutes = { (micros: Int64) in Double(micros - origin) / 60e6 }
            let trainingEnd = windows.first(where: \.isTest).flatMap { test in windows.contains { !$0.isTest } ? minutes(test.start) : nil }
            charts.append(Timeline(title: rates.count == 1 && !data.labelled ? "Fused score per window" : "Fused score per window, \(formatted(rate)) MB/min",
                                   windows: windows.map { Timeline.Window(start: minutes($0.start), length: Double($0.windowLength) / 60, score: $0.score,
                                                                          alert: $0.alert, kind: $0.label ? $0.kind : "none") },
                                   threshold: first.threshold, trainingEnd: trainingEnd).svg())
        }
        document.figures(charts)
    }

    private mutating func graph() {
        document.heading("Service communication graph")
        let rate = rates.first ?? 0
        guard let edges = data.edges[rate] ?? data.edges.values.first, let longest = edges.map(\.windowLength).max() else {
            document.paragraph("No service edges were given (--service-edges).", note: true)
            return
        }
        var bytes: [String: Int64] = [:]
        for edge in edges where edge.windowLength == longest { bytes["\(edge.source)\t\(edge.target)", default: 0] += edge.bytes }
        let attackEdges = Set(data.paths.values.flatMap { Self.serviceHops($0.path) }.map { "\($0.0)\t\($0.1)" })
        let drawn = bytes.keys.sorted().map { key -> GraphDrawing.Edge in
            let parts = key.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            tables.graph.append(.string(parts[0]), .string(parts[1]), .int(bytes[key]!), .bool(attackEdges.contains(key)))
            return GraphDrawing.Edge(source: parts[0], target: parts[1], bytes: Double(bytes[key]!), onAttackPath: attackEdges.contains(key))
        }
        document.figures([GraphDrawing(title: "Services, bytes over the whole capture (\(formatted(rate)) MB/min run)", edges: drawn).svg()])
        if !data.paths.isEmpty {
            document.table(["path", "kind", "hops"], data.paths.keys.sorted().map { ["path \($0)", data.paths[$0]!.kind, data.paths[$0]!.path] },
                           caption: "Attack paths (inject's)")
        }
    }

    /// The service-level hops of an inject path such as `db_pod>dns_vip>dns_pod>internet`.
    static func serviceHops(_ path: String) -> [(String, String)] {
        let services = path.split(separator: ">").map { node -> String in
            let name = String(node)
            if name == "internet" { return "outside" }
            for suffix in ["_pod", "_vip", "_VIP"] where name.hasSuffix(suffix) { return String(name.dropLast(suffix.count)) }
            return name
        }
        var hops: [(String, String)] = []
        for (a, b) in zip(services, services.dropFirst()) where a != b { hops.append((a, b)) }
        return hops
    }

    /// The operator stream's incidents at one rate: each span of windows with its rows.
    private func incidents(rate: Double) -> [(span: ClosedRange<Int64>, windows: [ScoreRow])] {
        let stream = operatorRows(rate: rate).filter { $0.isTest || !data.labelled }
        guard let length = stream.first?.windowLength else { return [] }
        let byIndex = Dictionary(stream.map { ($0.windowIndex, $0) }, uniquingKeysWith: { first, _ in first })
        return Incidents.spans(alerting: stream.filter(\.alert).map(\.windowIndex), length: Int32(length)).map { span in
            (span, span.compactMap { byIndex[$0] })
        }
    }

    /// What the operator gets at the budget: false incidents per day of benign test time, and which
    /// labelled events (real ones by kind, injected attacks) an incident overlapped.
    private mutating func atTheBudget() {
        document.heading("At the budget")
        var rows: [[String]] = []
        var headline: [String] = []
        // Real events are labelled at every rate, injected attacks only above 0.
        let realEvents = Set(data.scores.filter { $0.rate == 0 && $0.label }.map(\.event))
        for rate in rates {
            let stream = operatorRows(rate: rate).filter(\.isTest)
            guard let length = stream.first?.windowLength else { continue }
            let found = incidents(rate: rate)
            let falseCount = found.filter { !$0.windows.contains(where: \.label) }.count
            let benignDays = Double(stream.filter { !$0.label }.count * length) / 86_400
            let hit = Set(found.flatMap { $0.windows.filter(\.label).map(\.event) })
            var kinds: [String: (found: Int, all: Int)] = [:]
            for (event, rows) in Dictionary(grouping: stream.filter { $0.label && $0.event >= 0 }, by: \.event) {
                let kind = rows[0].kind == "exfil" && rate > 0 && !realEvents.contains(event) ? "injected exfil" : rows[0].kind
                kinds[kind, default: (0, 0)].all += 1
                if hit.contains(event) { kinds[kind, default: (0, 0)].found += 1 }
            }
            let events = kinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.found) of \($0.value.all)" }.joined(separator: ", ")
            let perDay = benignDays > 0 ? formatted(Double(falseCount) / benignDays, digits: 3) : "–"
            rows.append([formatted(rate), "\(found.count)", "\(falseCount) in \(formatted(benignDays * 24, digits: 3)) h", perDay, events.isEmpty ? "–" : events])
            headline.append("at \(formatted(rate)) MB/min \(perDay) false alerts a day; found \(events.isEmpty ? "no labelled event" : events)")
        }
        let rule = data.model.thresholdRule
        let budget = rule.hasPrefix("budget:") ? "\(rule.dropFirst(7)) false alerts a day" : "\(rule), an in-sample threshold"
        document.paragraph("At this budget (\(budget)): " + headline.joined(separator: "; ") + ".")
        document.table(["rate (MB/min)", "incidents", "false incidents (benign time)", "false per day", "events found (an incident overlaps them)"], rows,
                       caption: "Test period, the operator's stream (\(operatorText(data.model))); an incident is a run of alerting windows, at most ten minutes long")
    }

    private mutating func alerts() {
        let rate = rates.contains(focusRate) ? focusRate : rates.first ?? 0
        document.heading("Incidents (operator's stream, \(formatted(rate)) MB/min)")
        let found = incidents(rate: rate)
        let edges = data.edges[rate] ?? []
        var byWindow: [Int64: [String: Int64]] = [:]
        let length = found.first?.windows.first?.windowLength ?? 0
        for edge in edges where edge.windowLength == length {
            byWindow[edge.windowIndex, default: [:]]["\(edge.source) → \(edge.target)", default: 0] += edge.bytes
        }
        let rows = found.prefix(100).map { incident -> [String] in
            let peak = incident.windows.max { $0.score < $1.score }!
            let now = byWindow[peak.windowIndex] ?? [:], before = byWindow[peak.windowIndex - 1] ?? [:]
            let changes = Set(now.keys).union(before.keys).map { ($0, (now[$0] ?? 0) - (before[$0] ?? 0)) }
                .sorted { (abs($0.1), $1.0) > (abs($1.1), $0.0) }.prefix(3)
            let changed = changes.map { "\($0.0) \($0.1 >= 0 ? "+" : "")\(formatted(Double($0.1) / 1e6, digits: 2)) MB" }.joined(separator: "; ")
            let labelled = incident.windows.filter(\.label)
            let truth = labelled.isEmpty ? (data.labelled ? "benign (false alert)" : "–") : Set(labelled.map(target)).sorted().joined(separator: ", ")
            tables.alerts.append(.double(rate), .int(Int64(peak.windowLength)), .int(incident.span.lowerBound), .int(incident.span.upperBound),
                                 .time(incident.windows.first!.start), .double(peak.score), .string(labelled.first?.kind ?? "none"), .string(changed))
            let time = formatted(Double(incident.windows.first!.start - origin) / 60e6, digits: 1)
            return [time, "\(incident.windows.count)", formatted(peak.score), truth, changed]
        }
        if rows.isEmpty {
            document.paragraph("No incident.", note: true)
        } else {
            document.table(["minute", "windows", "peak score", "truth", "edges that changed most at the peak window"], Array(rows),
                           caption: found.count > 100 ? "The first 100 of \(found.count) incidents" : "\(found.count) incidents")
        }
    }
}
