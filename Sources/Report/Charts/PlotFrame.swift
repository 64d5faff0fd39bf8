/// The common frame of a chart: margins, axes with ticks and labels, a title, a legend.
struct PlotFrame {
    static let margin = (left: 48.0, right: 12.0, top: 26.0, bottom: 38.0)

    var canvas: SVGCanvas
    let x: Scale
    let y: Scale

    init(width: Double, height: Double, x xDomain: ClosedRange<Double>, y yDomain: ClosedRange<Double>, logX: Bool = false) {
        canvas = SVGCanvas(width: width, height: height)
        x = Scale(domain: xDomain, pixels: (Self.margin.left, width - Self.margin.right), logarithmic: logX)
        y = Scale(domain: yDomain, pixels: (height - Self.margin.bottom, Self.margin.top))
    }

    /// Axes, grid lines and tick labels, the axis names and the title.
    mutating func drawAxes(title: String, xLabel: String, yLabel: String) {
        drawFrame(title: title, yLabel: yLabel)
        let bottom = y.pixelStart
        for tick in x.ticks() {
            canvas.line(x(tick), bottom, x(tick), bottom + 3, stroke: "#888")
            canvas.text(x(tick), bottom + 13, formatted(tick), size: 9.5, anchor: .middle, fill: "#555")
        }
        canvas.text((x.pixelStart + x.pixelEnd) / 2, bottom + 28, xLabel, size: 10.5, anchor: .middle)
    }

    /// Both axis lines, the y axis's grid lines, ticks and name, and the title: what every chart has,
    /// whatever its x axis shows (numbers, or a bar chart's categories).
    mutating func drawFrame(title: String, yLabel: String) {
        let (left, right) = (x.pixelStart, x.pixelEnd)
        let (bottom, top) = (y.pixelStart, y.pixelEnd)
        for tick in y.ticks() {
            canvas.line(left, y(tick), right, y(tick), stroke: "#e4e4e4")
            canvas.text(left - 4, y(tick) + 3.5, formatted(tick), size: 9.5, anchor: .end, fill: "#555")
        }
        canvas.line(left, bottom, right, bottom, stroke: "#888")
        canvas.line(left, bottom, left, top, stroke: "#888")
        canvas.text(13, (top + bottom) / 2, yLabel, size: 10.5, anchor: .middle, rotate: true)
        canvas.text(left, 15, title, size: 12, bold: true)
    }

    /// A legend in the plot's top-right (or bottom-right) corner.
    mutating func drawLegend(_ entries: [(name: String, color: String, dash: String?)], bottomRight: Bool = false) {
        let rowHeight = 13.0
        let width = (entries.map { Double($0.name.count) }.max() ?? 0) * 6 + 30
        let originX = x.pixelEnd - width - 4
        var originY = bottomRight ? y.pixelStart - rowHeight * Double(entries.count) - 4 : y.pixelEnd + 4
        canvas.rect(originX - 2, originY - 2, width, rowHeight * Double(entries.count) + 4, fill: "#ffffff", opacity: 0.85)
        for entry in entries {
            canvas.line(originX + 2, originY + 6, originX + 20, originY + 6, stroke: entry.color, width: 2.5, dash: entry.dash)
            canvas.text(originX + 24, originY + 9.5, entry.name, size: 9.5)
            originY += rowHeight
        }
    }
}

/// A colour for each method, and for each kind of event, used by every figure.
enum Palette {
    static func method(_ method: String) -> String {
        switch method {
        case "operator": "#0b2e59"
        case "mimir": "#1f5fa8"
        case "ide_kashima": "#e07b00"
        case "allow_list": "#2e8b3a"
        case "novelty": "#8e44ad"
        default: "#777777"
        }
    }

    static func kind(_ kind: String) -> String {
        switch kind {
        case "exfil": "#d62728"
        case "dnstunnel": "#9467bd"
        case "scan": "#8c564b"
        case "lateral": "#e377c2"
        default: "#999999"
        }
    }

    /// Readable names for methods.
    static func methodName(_ method: String) -> String {
        switch method {
        case "operator": "operator (ours: Mimir or novelty)"
        case "mimir": "Mimir (ours)"
        case "ide_kashima": "Ide-Kashima"
        case "allow_list": "allow-list"
        case "novelty": "novelty (ours)"
        default: method
        }
    }

    static let series = ["#1f5fa8", "#e07b00", "#2e8b3a", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
}
