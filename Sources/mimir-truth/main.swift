import ArgumentParser
import Cluster
import StageSupport
import Table
import Contract

/// mimir-truth: a user's incident records as the ground-truth table the stages read.
struct TruthCommand: StageCommand {
    static let version = "1"

    static let configuration = CommandConfiguration(
        commandName: "mimir-truth",
        abstract: "Turn incident records (CSV, JSON or JSON lines) into truth.parquet.",
        discussion: """
        Each record is one attack: kind (exfil, dnstunnel, scan, lateral), start and end (RFC 3339), and \
        optionally event_id (default 1, 2, ... in file order), source, path (entity names joined by '>', \
        or a JSON list) and bytes. CSV needs a header line naming the fields. The table (docs/inject.md, \
        "Ground truth from your own incidents") labels the windows the events overlap when given to mimir-inject --truth, so a \
        model can be evaluated on a real capture.

        Example: mimir-truth incidents.csv --out truth.parquet
        """,
        version: version)

    @Argument(help: "The incident records: .csv, .json (an array of objects) or .jsonl (one object per line).")
    var incidents: String

    @Option(help: "Input format (default: from the file's extension): \(TruthImport.Format.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: TruthImport.Format?

    @Option(help: "The ground-truth table to write.")
    var out: String

    func run() throws {
        let progress = Progress("mimir-truth")
        guard let chosen = format ?? TruthImport.format(of: incidents) else {
            throw ValidationError("cannot tell the format of \(incidents) from its extension: give --format csv, json or jsonl")
        }
        let events = try TruthImport.read(path: incidents, format: chosen)
        let provenance = try Self.provenance(schemaVersion: TruthTable.schemaVersion, params: .object(["format": .string(chosen.rawValue)]))
        try TruthTable.write(events, path: out, provenance: provenance)
        let kinds = Dictionary(grouping: events, by: \.kind.rawValue).map { "\($0.value.count) \($0.key)" }.sorted()
        progress.finish("\(events.count) events (\(kinds.joined(separator: ", ")))", outputs: out)
    }
}

extension TruthImport.Format: ExpressibleByArgument {}

StageMain.run(TruthCommand.self)
