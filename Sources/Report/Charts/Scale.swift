import Foundation

/// Maps data values to pixels along one axis, linearly or on a log10 scale, with round tick values.
struct Scale {
    let domain: ClosedRange<Double>
    /// The pixels of the domain's two ends (the start may lie above the end: y grows downwards).
    let pixelStart: Double
    let pixelEnd: Double
    let logarithmic: Bool

    init(domain: ClosedRange<Double>, pixels: (start: Double, end: Double), logarithmic: Bool = false) {
        let low = logarithmic ? log10(max(domain.lowerBound, 1e-12)) : domain.lowerBound
        var high = logarithmic ? log10(max(domain.upperBound, 1e-12)) : domain.upperBound
        if high <= low { high = low + 1 }
        self.domain = low...high
        (pixelStart, pixelEnd) = pixels
        self.logarithmic = logarithmic
    }

    /// The pixel of a value (values outside the domain land outside the range).
    func callAsFunction(_ value: Double) -> Double {
        let v = logarithmic ? log10(max(value, 1e-12)) : value
        return pixelStart + (v - domain.lowerBound) / (domain.upperBound - domain.lowerBound) * (pixelEnd - pixelStart)
    }

    /// About `count` round values inside the domain (powers of ten on a log scale).
    func ticks(_ count: Int = 5) -> [Double] {
        if logarithmic {
            return (Int(domain.lowerBound.rounded(.down))...Int(domain.upperBound.rounded(.up))).map { pow(10, Double($0)) }
                .filter { (domain.lowerBound - 1e-9...domain.upperBound + 1e-9).contains(log10($0)) }
        }
        let span = domain.upperBound - domain.lowerBound
        let rough = span / Double(max(1, count))
        let magnitude = pow(10, (log10(rough)).rounded(.down))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? magnitude * 10
        var value = (domain.lowerBound / step).rounded(.up) * step
        var ticks: [Double] = []
        while value <= domain.upperBound + step * 1e-9 {
            ticks.append(abs(value) < step * 1e-9 ? 0 : value)
            value += step
        }
        return ticks
    }
}
