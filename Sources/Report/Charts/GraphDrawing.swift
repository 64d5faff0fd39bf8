import Foundation

/// The service communication graph: services on a circle, edge width by bytes (log scale), the
/// edges of attack paths drawn over them in red.
struct GraphDrawing {
    struct Edge {
        var source: String
        var target: String
        var bytes: Double
        var onAttackPath: Bool
    }

    var title: String
    var edges: [Edge]
    var width = 620.0
    var height = 460.0

    func svg() -> String {
        var canvas = SVGCanvas(width: width, height: height)
        canvas.text(10, 16, title, size: 12, bold: true)
        let names = Array(Set(edges.flatMap { [$0.source, $0.target] })).sorted()
        let center = (x: width / 2, y: height / 2 + 10)
        let radius = min(width, height) / 2 - 70
        var position: [String: (Double, Double)] = [:]
        for (index, name) in names.enumerated() {
            let angle = 2 * Double.pi * Double(index) / Double(max(1, names.count)) - Double.pi / 2
            position[name] = (center.x + radius * cos(angle), center.y + radius * sin(angle))
        }
        let heaviest = max(1, edges.map(\.bytes).max() ?? 1)
        func strokeWidth(_ bytes: Double) -> Double { 0.8 + 7 * log10(1 + bytes) / log10(1 + heaviest) }
        for edge in edges.sorted(by: { ($0.onAttackPath ? 1 : 0, $0.bytes) < ($1.onAttackPath ? 1 : 0, $1.bytes) }) {
            guard let from = position[edge.source], let to = position[edge.target] else { continue }
            let label = "\(edge.source) → \(edge.target): \(formatted(edge.bytes / 1e6, digits: 2)) MB"
            if edge.source == edge.target {
                canvas.circle(from.0, from.1 - 16, radius: 10, fill: "none", stroke: "#8aa6c8", label: label)
                continue
            }
            // A directed edge bends to its right, so the two directions of a pair stay apart.
            let (dx, dy) = (to.0 - from.0, to.1 - from.1)
            let middle = (from.0 + dx / 2 - dy * 0.12, from.1 + dy / 2 + dx * 0.12)
            canvas.polyline([from, middle, to], stroke: edge.onAttackPath ? "#d62728" : "#8aa6c8", width: strokeWidth(edge.bytes),
                            dash: nil, label: label)
            canvas.circle(middle.0 + (to.0 - middle.0) * 0.85, middle.1 + (to.1 - middle.1) * 0.85, radius: 2.5,
                          fill: edge.onAttackPath ? "#d62728" : "#5a7fae")
        }
        for name in names {
            guard let point = position[name] else { continue }
            canvas.circle(point.0, point.1, radius: 7, fill: name == "outside" ? "#555555" : "#1f5fa8", stroke: "#ffffff", label: name)
            let below = point.1 >= center.y
            canvas.text(point.0, point.1 + (below ? 20 : -12), name, size: 10.5, anchor: .middle)
        }
        canvas.text(10, height - 8, "edge width: bytes (log scale); arrowheads are dots near the receiver; red: attack paths", size: 9.5, fill: "#555")
        return canvas.svg(title: title)
    }
}
