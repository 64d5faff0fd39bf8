/// An SVG picture built element by element. Text is escaped here, so callers pass data as it is.
struct SVGCanvas {
    let width: Double
    let height: Double
    private var body = ""

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1, dash: String? = nil) {
        body += "<line x1=\"\(coordinate(x1))\" y1=\"\(coordinate(y1))\" x2=\"\(coordinate(x2))\" y2=\"\(coordinate(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(coordinate(width))\"\(dashAttribute(dash))/>"
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 1.5, dash: String? = nil, label: String? = nil) {
        guard !points.isEmpty else { return }
        let list = points.map { "\(coordinate($0.0)),\(coordinate($0.1))" }.joined(separator: " ")
        body += "<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(coordinate(width))\"\(dashAttribute(dash))"
            + (label.map { "><title>\(escaped($0))</title></polyline>" } ?? "/>")
    }

    mutating func rect(_ x: Double, _ y: Double, _ width: Double, _ height: Double, fill: String, opacity: Double = 1, label: String? = nil) {
        body += "<rect x=\"\(coordinate(x))\" y=\"\(coordinate(y))\" width=\"\(coordinate(max(0, width)))\" height=\"\(coordinate(max(0, height)))\" fill=\"\(fill)\""
            + (opacity < 1 ? " fill-opacity=\"\(formatted(opacity, digits: 2))\"" : "")
            + (label.map { "><title>\(escaped($0))</title></rect>" } ?? "/>")
    }

    mutating func circle(_ x: Double, _ y: Double, radius: Double, fill: String, stroke: String = "none", label: String? = nil) {
        body += "<circle cx=\"\(coordinate(x))\" cy=\"\(coordinate(y))\" r=\"\(coordinate(radius))\" fill=\"\(fill)\" stroke=\"\(stroke)\""
            + (label.map { "><title>\(escaped($0))</title></circle>" } ?? "/>")
    }

    enum Anchor: String { case start, middle, end }

    mutating func text(_ x: Double, _ y: Double, _ text: String, size: Double = 11, anchor: Anchor = .start, bold: Bool = false,
                       fill: String = "#222", rotate: Bool = false) {
        let transform = rotate ? " transform=\"rotate(-90 \(coordinate(x)) \(coordinate(y)))\"" : ""
        body += "<text x=\"\(coordinate(x))\" y=\"\(coordinate(y))\" font-size=\"\(coordinate(size))\" text-anchor=\"\(anchor.rawValue)\" fill=\"\(fill)\""
            + (bold ? " font-weight=\"bold\"" : "") + transform + ">\(escaped(text))</text>"
    }

    /// The finished picture, with a title for screen readers and a class the report's checks look for.
    func svg(title: String) -> String {
        "<svg class=\"figure\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(coordinate(width)) \(coordinate(height))\" width=\"\(coordinate(width))\" height=\"\(coordinate(height))\" role=\"img\" font-family=\"sans-serif\"><title>\(escaped(title))</title>\(body)</svg>"
    }

    private func dashAttribute(_ dash: String?) -> String {
        dash.map { " stroke-dasharray=\"\($0)\"" } ?? ""
    }
}
