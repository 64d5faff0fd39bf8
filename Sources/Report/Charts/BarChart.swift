/// Grouped bars: one group per category, one bar per series inside it.
struct BarChart {
    var title: String
    var yLabel: String
    var categories: [String]
    /// Each series: name, colour, one value per category (NaN draws nothing).
    var series: [(name: String, color: String, values: [Double])]
    var yMax: Double? = nil
    var width = 460.0
    var height = 260.0

    func svg() -> String {
        let top = yMax ?? max(1, series.flatMap(\.values).filter(\.isFinite).max() ?? 1)
        var frame = PlotFrame(width: width, height: height + 40, x: 0...Double(max(1, categories.count)), y: 0...top)
        frame.drawFrame(title: title, yLabel: yLabel)
        // Category names go under the groups (cut when long; the bars' tooltips hold them whole).
        let (bottom, left, right) = (frame.y.pixelStart, frame.x.pixelStart, frame.x.pixelEnd)
        let groupWidth = (right - left) / Double(max(1, categories.count))
        let barWidth = groupWidth * 0.8 / Double(max(1, series.count))
        for (index, category) in categories.enumerated() {
            let groupLeft = left + groupWidth * Double(index) + groupWidth * 0.1
            for (number, line) in series.enumerated() where index < line.values.count && line.values[index].isFinite {
                let value = line.values[index]
                let x = groupLeft + barWidth * Double(number)
                frame.canvas.rect(x, frame.y(value), barWidth - 1, bottom - frame.y(value), fill: line.color,
                                  label: "\(line.name), \(category): \(formatted(value))")
            }
            let label = category.count > 18 ? String(category.prefix(17)) + "…" : category
            frame.canvas.text(groupLeft + groupWidth * 0.4, bottom + 12, label, size: 9, anchor: .middle, fill: "#333")
        }
        frame.drawLegend(series.map { ($0.name, $0.color, nil) })
        return frame.canvas.svg(title: title)
    }
}
