/// Text from the data (pod, service and namespace names, labels, kinds) made safe for HTML and SVG:
/// `<script>` shows as text, never runs. Every string that reaches the page goes through here.
public func escaped(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    for character in text {
        switch character {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&#39;"
        default: result.append(character)
        }
    }
    return result
}

/// A number for SVG coordinates: one decimal, no locale, no exponent.
func coordinate(_ value: Double) -> String {
    guard value.isFinite else { return "0" }
    let tenths = (value * 10).rounded()
    let whole = Int(tenths) / 10, fraction = abs(Int(tenths) % 10)
    return (tenths < 0 && whole == 0 ? "-" : "") + "\(whole)" + (fraction == 0 ? "" : ".\(fraction)")
}

/// A number for people: at most `digits` decimals, trailing zeros dropped.
public func formatted(_ value: Double, digits: Int = 3) -> String {
    guard value.isFinite else { return value.isNaN ? "–" : (value > 0 ? "∞" : "-∞") }
    var text = String(format: "%.\(digits)f", value)
    if text.contains(".") {
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
    }
    return text == "-0" ? "0" : text
}
