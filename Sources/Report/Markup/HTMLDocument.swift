/// A self-contained HTML page: inline CSS, inline SVG, no script, nothing fetched. Every text
/// argument is escaped here; only SVG drawn by our own code goes in unescaped.
struct HTMLDocument {
    let title: String
    private var body = ""
    private var contents: [(id: String, text: String)] = []

    init(title: String) {
        self.title = title
    }

    mutating func heading(_ text: String, level: Int = 2) {
        let id = "s\(contents.count + 1)"
        if level == 2 { contents.append((id, text)) }
        body += "<h\(level) id=\"\(id)\">\(escaped(text))</h\(level)>\n"
    }

    mutating func paragraph(_ text: String, note: Bool = false) {
        body += "<p\(note ? " class=\"note\"" : "")>\(escaped(text))</p>\n"
    }

    /// Figures side by side (they wrap on narrow screens and paper).
    mutating func figures(_ svgs: [String]) {
        body += "<div class=\"figures\">" + svgs.joined() + "</div>\n"
    }

    mutating func table(_ header: [String], _ rows: [[String]], caption: String? = nil) {
        body += "<table>" + (caption.map { "<caption>\(escaped($0))</caption>" } ?? "")
        body += "<thead><tr>" + header.map { "<th>\(escaped($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in rows {
            body += "<tr>" + row.map { cell in "<td\(Self.isNumber(cell) ? " class=\"n\"" : "")>\(escaped(cell))</td>" }.joined() + "</tr>"
        }
        body += "</tbody></table>\n"
    }

    /// Name-value pairs (the header).
    mutating func facts(_ pairs: [(String, String)]) {
        body += "<dl class=\"facts\">" + pairs.map { "<dt>\(escaped($0.0))</dt><dd>\(escaped($0.1))</dd>" }.joined() + "</dl>\n"
    }

    func render() -> String {
        let toc = contents.map { "<li><a href=\"#\($0.id)\">\(escaped($0.text))</a></li>" }.joined()
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escaped(title))</title>
            <style>\(Self.style)</style></head>
            <body><main><h1>\(escaped(title))</h1>
            <nav><ol>\(toc)</ol></nav>
            \(body)</main></body></html>

            """
    }

    private static func isNumber(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isNumber || ".-–+%∞ eE".contains($0) } && text.contains(where: \.isNumber)
    }

    private static let style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;margin:0;background:#fafafa}
        main{max-width:1000px;margin:0 auto;padding:16px 24px 48px;background:#fff}
        h1{font-size:24px;margin:8px 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
        h3{font-size:15px;margin:20px 0 6px}nav ol{columns:2;font-size:13px;margin:4px 0 12px}
        .figures{display:flex;flex-wrap:wrap;gap:8px 14px;align-items:flex-start}.figures svg{max-width:100%;height:auto}
        table{border-collapse:collapse;margin:8px 0 14px;font-size:12.5px}caption{text-align:left;font-weight:600;padding:4px 0}
        th,td{border-bottom:1px solid #e2e2e2;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}
        td.n{text-align:right;font-variant-numeric:tabular-nums}dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px}
        dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}.note{color:#555;font-size:12.5px}
        @media print{body{background:#fff}main{max-width:none;padding:0}nav{display:none}h2{break-before:auto}
        .figures,table,svg{break-inside:avoid}}
        """
}
