/// The provenance every Mimir table carries in its `key_value_metadata` (ARCHITECTURE.md, "The stage
/// contract", point 5): which stage wrote it, the stage's declared implementation version, the table's
/// schema version and the stage's parameters as canonical JSON. Nothing that varies between builds or
/// runs, so a hand run and a runner run write the same bytes. Stages may add their own `mimir.*`
/// entries (an origin, damage counters) as `extra`.
public struct Provenance: Sendable, Hashable {
    /// The key of the stage that wrote the table.
    public static let stageKey = "mimir.stage"
    /// The key of the stage's implementation version.
    public static let versionKey = "mimir.version"
    /// The key of the table's schema version.
    public static let schemaKey = "mimir.schema"
    /// The key of the stage's parameters (canonical JSON).
    public static let paramsKey = "mimir.params"

    /// The stage that wrote the table (`flows`, `graph`, ...).
    public var stage: String
    /// The stage's implementation version.
    public var version: String
    /// The table's schema version.
    public var schemaVersion: Int
    /// Canonical JSON text of the parameters.
    public var params: String
    /// The stage's own `mimir.*` entries.
    public var extra: [KeyValue]

    /// - Throws: `TableError.invalidInput` if `params` holds a non-finite double.
    public init(stage: String, version: String, schemaVersion: Int, params: JSONValue, extra: [KeyValue] = []) throws {
        self.stage = stage
        self.version = version
        self.schemaVersion = schemaVersion
        self.params = try params.canonicalText()
        self.extra = extra
    }

    /// The entries to hand to `TableWriter`, in a fixed order.
    public var keyValues: [KeyValue] {
        [KeyValue(key: Self.stageKey, value: stage),
         KeyValue(key: Self.versionKey, value: version),
         KeyValue(key: Self.schemaKey, value: String(schemaVersion)),
         KeyValue(key: Self.paramsKey, value: params)] + extra
    }

    /// Reads the provenance of a table and checks its schema version.
    /// - Parameter schemaVersions: the versions the caller understands for tables of `stage`.
    /// - Throws: `TableError.unsupported` if the table was not written by `stage` or has a schema
    ///   version outside `schemaVersions`; `.corrupt` if the provenance entries are missing.
    public init(of reader: TableReader, stage expectedStage: String, schemaVersions: ClosedRange<Int>) throws {
        let metadata = reader.metadata
        guard let stage = metadata[key: Self.stageKey], let version = metadata[key: Self.versionKey],
              let schemaText = metadata[key: Self.schemaKey], let schemaVersion = Int(schemaText),
              let params = metadata[key: Self.paramsKey] else {
            throw TableError.unsupported(path: reader.path, detail: "not a Mimir table: its metadata lacks the mimir.stage, mimir.version, mimir.schema and mimir.params entries")
        }
        guard stage == expectedStage else {
            throw TableError.unsupported(path: reader.path, detail: "written by stage '\(stage)', expected a table of stage '\(expectedStage)'")
        }
        guard schemaVersions.contains(schemaVersion) else {
            throw TableError.unsupported(path: reader.path, detail: "schema version \(schemaVersion) of a '\(stage)' table; this build reads versions \(schemaVersions.lowerBound)...\(schemaVersions.upperBound)")
        }
        let known: Set = [Self.stageKey, Self.versionKey, Self.schemaKey, Self.paramsKey]
        self.stage = stage
        self.version = version
        self.schemaVersion = schemaVersion
        self.params = params
        self.extra = metadata.filter { !known.contains($0.key) }
    }
}
