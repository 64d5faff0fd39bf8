/// One line of a line chart.
struct Series {
    var name: String
    var color: String
    var dash: String? = nil
    var points: [(Double, Double)]
}

/// Lines over shared axes: ROC curves (with the chance diagonal), metrics against rate (log x).
struct LineChart {
    var title: String
    var xLabel: String
    var yLabel: String
    var series: [Series]
    var xDomain: ClosedRange<Double>
    var yDomain: ClosedRange<Double> = 0...1
    var logX = false
    var diagonal = false
    var markers = false
    var legendBottomRight = false
    var width = 300.0
    var height = 260.0

    func svg() -> String {
        var frame = PlotFrame(width: width, height: height, x: xDomain, y: yDomain, logX: logX)
        frame.drawAxes(title: title, xLabel: xLabel, yLabel: yLabel)
        if diagonal {
            frame.canvas.line(frame.x(xDomain.lowerBound), frame.y(yDomain.lowerBound), frame.x(xDomain.upperBound), frame.y(yDomain.upperBound),
                              stroke: "#bbbbbb", dash: "3 3")
        }
        for line in series {
            let points = line.points.filter { $0.0.isFinite && $0.1.isFinite }.map { (frame.x($0.0), frame.y($0.1)) }
            frame.canvas.polyline(points, stroke: line.color, width: 2, dash: line.dash, label: line.name)
            if markers { for point in points { frame.canvas.circle(point.0, point.1, radius: 2.5, fill: line.color) } }
        }
        frame.drawLegend(series.map { ($0.name, $0.color, $0.dash) }, bottomRight: legendBottomRight)
        return frame.canvas.svg(title: title)
    }
}
