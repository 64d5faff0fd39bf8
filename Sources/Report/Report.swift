import Foundation
import Table
import SystemSupport

/// The report stage's work: read, build, write `report.html` and the tables behind its figures.
public enum Report {
    public static let stage = "report"

    /// Writes the report into `directory`; returns the path of report.html.
    @discardableResult
    public static func write(inputs: ReportInputs, options: ReportOptions, directory: String, version: String, params: JSONValue) throws -> String {
        let data = try ReportData(inputs)
        var builder = ReportBuilder(data: data, options: options, version: version)
        let html = builder.build()
        let provenance = try Provenance(stage: stage, version: version, schemaVersion: FigureTables.schemaVersion, params: params)
        try builder.tables.write(directory: directory, provenance: provenance)
        let path = directory + "/report.html"
        let file = try AtomicOutputFile(path: path)
        try file.write(Array(html.utf8))
        try file.publish()
        return path
    }
}
