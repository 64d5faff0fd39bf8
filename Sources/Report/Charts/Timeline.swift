import Foundation

/// Scores window by window over the capture, with the windows under attack shaded by kind, the
/// alert threshold drawn, and the windows that alerted marked.
struct Timeline {
    struct Window {
        var start: Double  // minutes since the capture's first window
        var length: Double  // minutes
        var score: Double
        var alert: Bool
        var kind: String  // "none" when not under attack
    }

    var title: String
    var windows: [Window]
    var threshold: Double?
    var trainingEnd: Double?
    var width = 940.0
    var height = 170.0

    func svg() -> String {
        let end = windows.map { $0.start + $0.length }.max() ?? 1
        let scores = windows.map(\.score).filter(\.isFinite) + [threshold ?? 0].filter(\.isFinite)
        let low = scores.min() ?? 0, high = scores.max() ?? 1
        let pad = (high - low) * 0.05 + 1e-9
        var frame = PlotFrame(width: width, height: height, x: 0...max(end, 1), y: (low - pad)...(high + pad))
        for window in windows where window.kind != "none" {
            frame.canvas.rect(frame.x(window.start), frame.y.pixelEnd, frame.x(window.start + window.length) - frame.x(window.start),
                              frame.y.pixelStart - frame.y.pixelEnd, fill: Palette.kind(window.kind), opacity: 0.18,
                              label: "\(window.kind) at minute \(formatted(window.start, digits: 1))")
        }
        frame.drawAxes(title: title, xLabel: "time since the first window (minutes)", yLabel: "score")
        if let trainingEnd {
            frame.canvas.line(frame.x(trainingEnd), frame.y.pixelStart, frame.x(trainingEnd), frame.y.pixelEnd, stroke: "#555", dash: "2 2")
            frame.canvas.text(frame.x(trainingEnd) + 3, frame.y.pixelEnd + 9, "test period →", size: 9, fill: "#555")
        }
        frame.canvas.polyline(windows.map { (frame.x($0.start + $0.length / 2), frame.y($0.score)) }, stroke: Palette.method("mimir"), width: 1.2)
        for window in windows where window.alert {
            frame.canvas.circle(frame.x(window.start + window.length / 2), frame.y(window.score), radius: 2, fill: "#d62728",
                                label: "alert at minute \(formatted(window.start, digits: 1)): \(formatted(window.score))")
        }
        if let threshold, threshold.isFinite {
            frame.canvas.line(frame.x.pixelStart, frame.y(threshold), frame.x.pixelEnd, frame.y(threshold), stroke: "#d62728", dash: "5 3")
        }
        let kinds = Array(Set(windows.map(\.kind)).subtracting(["none"])).sorted()
        frame.drawLegend([("score", Palette.method("mimir"), nil), ("threshold", "#d62728", "5 3")] + kinds.map { ("\($0) window", Palette.kind($0), nil) })
        return frame.canvas.svg(title: title)
    }
}
