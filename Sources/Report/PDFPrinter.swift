import Foundation

/// Prints report.html to PDF with a headless Chromium, the browser the report is tested in.
public enum PDFPrinter {
    static let candidates = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]

    /// The first Chromium on the PATH, or nil.
    public static func findChromium() -> String? {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for name in candidates {
            for directory in directories where FileManager.default.isExecutableFile(atPath: directory + "/" + name) {
                return directory + "/" + name
            }
        }
        return nil
    }

    /// Prints `html` to `pdf`, then blanks the creation and modification dates Chromium stamps in
    /// (same length, so the cross-reference offsets stay valid) so equal reports give equal files.
    public static func print(html: String, to pdf: String, chromium: String) throws {
        let temporary = pdf + ".printing"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--user-data-dir=" + temporary + "-profile",
                             "--print-to-pdf=" + temporary, URL(fileURLWithPath: html).absoluteString]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        do { try process.run() } catch { throw ReportError.failure("cannot start \(chromium): \(error.localizedDescription)") }
        let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: temporary + "-profile")
        guard process.terminationStatus == 0, var bytes = FileManager.default.contents(atPath: temporary), bytes.starts(with: Array("%PDF".utf8)) else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw ReportError.failure("\(chromium) did not print \(html) (exit \(process.terminationStatus)): \(log.suffix(400))")
        }
        for key in ["/CreationDate (D:", "/ModDate (D:"] { blankDate(after: key, in: &bytes) }
        do {
            try bytes.write(to: URL(fileURLWithPath: temporary))
        } catch {
            throw ReportError.failure("cannot write \(temporary): \(error.localizedDescription)")
        }
        guard rename(temporary, pdf) == 0 else { throw ReportError.failure("cannot move \(temporary) to \(pdf): \(String(cString: strerror(errno)))") }
    }

    private static func blankDate(after key: String, in bytes: inout Data) {
        guard let range = bytes.range(of: Data(key.utf8)) else { return }
        var index = range.upperBound
        while index < bytes.endIndex, bytes[index] != UInt8(ascii: ")") {
            if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { bytes[index] = UInt8(ascii: "0") }
            index += 1
        }
    }
}
