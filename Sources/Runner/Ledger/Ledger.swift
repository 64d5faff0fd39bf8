import Foundation
import Table

/// What happened to one run of a job.
public enum RunStatus: String, Sendable {
    case running, ok, failed, interrupted
}

/// One file a run produced: its digest and size.
public struct OutputFile: Sendable, Equatable {
    public var digest: String
    public var size: Int64

    public init(digest: String, size: Int64) {
        self.digest = digest
        self.size = size
    }
}

/// A run as the ledger holds it.
public struct RunRecord: Sendable {
    public var id: Int64
    public var pipeline: String
    public var job: String
    public var key: String
    /// The key's material, flattened: `params.rate` -> `1.0`, `inputs.capture` -> a digest.
    public var material: [String: String]
    public var status: RunStatus
    public var exitCode: Int32?
    public var started: Date
    public var seconds: Double?
    public var outDir: String
    public var logPath: String
    public var command: [String]
    /// File name in `outDir` -> digest (only for runs that succeeded).
    public var outputs: [String: OutputFile]
    /// Transient outputs deleted after their readers succeeded (their digests stay in `outputs`).
    public var dropped: Set<String> = []
}

/// The SQLite ledger under artifacts/: every run with its key, key material, exit code, timings, log
/// and output digests, and the stat cache. A successful run's record, written after its outputs were
/// moved into place, is the only thing that makes the run count.
///
/// Output directories and logs are stored relative to the artifacts folder, so however `--artifacts`
/// is spelled (`art`, `art/`, `./art`, `../x/art`) a run finds, and `gc` keeps, the same directories.
public final class Ledger {
    public static let fileName = "ledger.sqlite"
    static let schemaVersion = "3"
    public let path: String
    /// The artifacts folder as the caller spells it: the stored paths are relative to it.
    let root: String
    let database: SQLiteDatabase

    /// Opens (or creates) the ledger of an artifacts folder, refusing one that is damaged with a way out.
    public init(artifacts: String) throws {
        root = artifacts
        path = Self.path(artifacts: artifacts)
        do {
            database = try SQLiteDatabase(path: path)
            let check = try database.query("PRAGMA quick_check")
            guard check.first?.first?.text == "ok" else {
                throw RunnerError.ledger(check.compactMap { $0.first?.text }.prefix(3).joined(separator: "; "))
            }
            try database.execute("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON")
            try createSchema()
        } catch let RunnerError.ledger(detail) {
            throw RunnerError.ledger("""
                the ledger \(path) is damaged (\(detail)).
                Recover with `mimir recover`: it moves the damaged file aside and rebuilds the ledger from the \
                run manifests beside the artifacts, keeping every run whose outputs are intact.
                """)
        }
    }

    public static func path(artifacts: String) -> String { artifacts + "/" + fileName }

    /// Whether the ledger file is missing or empty (SQLite would silently start a new one).
    public static func isAbsent(artifacts: String) -> Bool {
        (FileStat(path: path(artifacts: artifacts))?.size ?? 0) == 0
    }

    private func createSchema() throws {
        try database.execute("""
            CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS runs(
                id INTEGER PRIMARY KEY, pipeline TEXT NOT NULL, job TEXT NOT NULL, key TEXT NOT NULL,
                material TEXT NOT NULL, status TEXT NOT NULL, exit_code INTEGER, started REAL NOT NULL,
                seconds REAL, out_dir TEXT NOT NULL, log_path TEXT NOT NULL, command TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS runs_by_job ON runs(pipeline, job, status, id);
            CREATE TABLE IF NOT EXISTS outputs(
                run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, name TEXT NOT NULL,
                digest TEXT NOT NULL, size INTEGER NOT NULL, PRIMARY KEY(run_id, name));
            CREATE TABLE IF NOT EXISTS dropped(
                run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, name TEXT NOT NULL, PRIMARY KEY(run_id, name));
            CREATE TABLE IF NOT EXISTS stat_cache(
                path TEXT PRIMARY KEY, device INTEGER NOT NULL, inode INTEGER NOT NULL, size INTEGER NOT NULL,
                mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, digest TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS batch_tasks(
                run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE, batch_id TEXT NOT NULL,
                task_file TEXT NOT NULL, temporary TEXT NOT NULL);
            INSERT OR IGNORE INTO meta VALUES ('schema', '\(Self.schemaVersion)');
            """)
        var version = try database.query("SELECT value FROM meta WHERE name = 'schema'").first?.first?.text
        if version == "1" {
            try migrateFromSchema1()
            version = "2"
        }
        if version == "2" {
            // Schema 3 only adds the batch_tasks table, made above.
            try database.query("UPDATE meta SET value = ? WHERE name = 'schema'", [.text(Self.schemaVersion)])
            version = Self.schemaVersion
        }
        guard version == Self.schemaVersion else {
            throw RunnerError.ledger("schema \(version ?? "none"), this runner knows schema \(Self.schemaVersion)")
        }
    }

    /// Schema 1 stored paths as `--artifacts` was spelled; every path the runner wrote has the shape
    /// `<artifacts>/<pipeline>/<job directory>` (logs `<artifacts>/<pipeline>/.logs/<file>`).
    private func migrateFromSchema1() throws {
        try database.transaction {
            for row in try database.query("SELECT id, pipeline, job, log_path FROM runs") {
                guard let pipeline = row[1].text, let job = row[2].text.flatMap(JobID.init(parsing:)) else { continue }
                let log = row[3].text.map { $0.isEmpty ? "" : "\(pipeline)/.logs/" + ($0 as NSString).lastPathComponent } ?? ""
                try database.query("UPDATE runs SET out_dir = ?, log_path = ? WHERE id = ?",
                                   [.text("\(pipeline)/\(job.directory)"), .text(log), row[0]])
            }
            try database.query("UPDATE meta SET value = '2' WHERE name = 'schema'")
        }
    }

    /// A path under the artifacts folder as stored: relative to it.
    func stored(_ path: String) throws -> String {
        guard !path.isEmpty else { return "" }
        guard path.hasPrefix(root + "/") else { throw RunnerError.ledger("\(path) is not under the artifacts folder \(root)") }
        return String(path.dropFirst(root.count + 1))
    }

    /// A stored path as the caller's spelling of the artifacts folder reaches it.
    func resolved(_ stored: String) -> String {
        stored.isEmpty ? "" : root + "/" + stored
    }

    // MARK: Runs

    /// Records a run that is starting; returns its id.
    public func begin(pipeline: String, job: String, key: String, material: [String: String], outDir: String,
                      command: [String], logDirectory: String) throws -> (id: Int64, logPath: String) {
        try database.transaction {
            try database.query("""
                INSERT INTO runs(pipeline, job, key, material, status, started, out_dir, log_path, command)
                VALUES (?, ?, ?, ?, 'running', ?, ?, '', ?)
                """, [.text(pipeline), .text(job), .text(key), .text(try Self.encode(material)),
                      .real(Date().timeIntervalSince1970), .text(try stored(outDir)), .text(try Self.encode(command))])
            let id = database.lastInsertID
            let logPath = "\(logDirectory)/\(Self.fileSafe(job))-\(id).log"
            try database.query("UPDATE runs SET log_path = ? WHERE id = ?", [.text(try stored(logPath)), .int(id)])
            return (id, logPath)
        }
    }

    /// Records how a run ended; with `.ok`, its outputs (this is the commit point of the run).
    public func finish(id: Int64, status: RunStatus, exitCode: Int32?, seconds: Double, outputs: [String: OutputFile] = [:]) throws {
        try database.transaction {
            try database.query("UPDATE runs SET status = ?, exit_code = ?, seconds = ? WHERE id = ?",
                               [.text(status.rawValue), exitCode.map { .int(Int64($0)) } ?? .null, .real(seconds), .int(id)])
            try insert(outputs, of: id)
        }
    }

    private func insert(_ outputs: [String: OutputFile], of run: Int64) throws {
        for (name, file) in outputs.sorted(by: { $0.key < $1.key }) {
            try database.query("INSERT INTO outputs VALUES (?, ?, ?, ?)", [.int(run), .text(name), .text(file.digest), .int(file.size)])
        }
    }

    /// Inserts a finished successful run in one step (recovery from manifests); returns its id.
    @discardableResult
    func adopt(_ record: RunRecord) throws -> Int64 {
        try database.transaction {
            try database.query("""
                INSERT INTO runs(pipeline, job, key, material, status, exit_code, started, seconds, out_dir, log_path, command)
                VALUES (?, ?, ?, ?, 'ok', 0, ?, ?, ?, ?, ?)
                """, [.text(record.pipeline), .text(record.job), .text(record.key), .text(try Self.encode(record.material)),
                      .real(record.started.timeIntervalSince1970), .real(record.seconds ?? 0), .text(try stored(record.outDir)),
                      .text(try stored(record.logPath)), .text(try Self.encode(record.command))])
            let id = database.lastInsertID
            try insert(record.outputs, of: id)
            return id
        }
    }

    /// Records that a run's transient outputs `names` were deleted (after every reader succeeded).
    public func markDropped(run: Int64, names: [String]) throws {
        try database.transaction {
            for name in names.sorted() { try database.query("INSERT OR IGNORE INTO dropped VALUES (?, ?)", [.int(run), .text(name)]) }
        }
    }

    /// Runs left `running` by a runner that died (SIGKILL, power loss) become `interrupted`, except
    /// those handed to a batch system: they may still run, and the next runner collects them.
    /// Called only by the runner holding the lock.
    public func abandonUnfinished() throws {
        try database.query("UPDATE runs SET status = 'interrupted' WHERE status = 'running' AND id NOT IN (SELECT run_id FROM batch_tasks)")
    }

    /// The newest successful run of a job, optionally with a given key.
    public func latestSuccessful(pipeline: String, job: String, key: String? = nil) throws -> RunRecord? {
        var sql = "SELECT * FROM runs WHERE pipeline = ? AND job = ? AND status = 'ok'"
        var values: [SQLiteDatabase.Value] = [.text(pipeline), .text(job)]
        if let key {
            sql += " AND key = ?"
            values.append(.text(key))
        }
        return try records(sql + " ORDER BY id DESC LIMIT 1", values).first
    }

    /// The run with this id.
    public func run(id: Int64) throws -> RunRecord? {
        try records("SELECT * FROM runs WHERE id = ?", [.int(id)]).first
    }

    /// The newest run of a job, whatever its status.
    public func latest(pipeline: String, job: String) throws -> RunRecord? {
        try records("SELECT * FROM runs WHERE pipeline = ? AND job = ? ORDER BY id DESC LIMIT 1", [.text(pipeline), .text(job)]).first
    }

    /// The duration of each job's newest successful run (for estimates of the time left).
    public func lastDurations(pipeline: String) throws -> [String: Double] {
        let rows = try database.query("""
            SELECT job, seconds FROM runs WHERE id IN (SELECT MAX(id) FROM runs WHERE pipeline = ? AND status = 'ok' GROUP BY job)
            """, [.text(pipeline)])
        return Dictionary(rows.compactMap { row in row[0].text.flatMap { job in row[1].real.map { (job, $0) } } }, uniquingKeysWith: { first, _ in first })
    }

    /// Runs, newest first, optionally of one pipeline and job.
    public func history(pipeline: String? = nil, job: String? = nil, limit: Int = 50) throws -> [RunRecord] {
        var conditions: [String] = []
        var values: [SQLiteDatabase.Value] = []
        if let pipeline { conditions.append("pipeline = ?"); values.append(.text(pipeline)) }
        if let job { conditions.append("job = ?"); values.append(.text(job)) }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        return try records("SELECT * FROM runs\(filter) ORDER BY id DESC LIMIT \(limit)", values)
    }

    /// Deletes all but the newest `keep` runs of each job, always keeping each job's newest
    /// successful run; returns the log files of the deleted runs.
    public func prune(keep: Int) throws -> [String] {
        try database.transaction {
            let doomed = try database.query("""
                SELECT id, log_path FROM runs r WHERE
                  (SELECT COUNT(*) FROM runs n WHERE n.pipeline = r.pipeline AND n.job = r.job AND n.id > r.id) >= ?
                  AND r.status <> 'running'
                  AND r.id <> COALESCE((SELECT MAX(id) FROM runs s WHERE s.pipeline = r.pipeline AND s.job = r.job AND s.status = 'ok'), -1)
                """, [.int(Int64(keep))])
            for row in doomed { try database.query("DELETE FROM runs WHERE id = ?", [row[0]]) }
            return doomed.compactMap { $0[1].text.map(resolved) }
        }
    }

    /// Every directory a kept run's outputs live in (gc keeps them).
    public func outputDirectories() throws -> Set<String> {
        Set(try database.query("SELECT DISTINCT out_dir FROM runs WHERE status = 'ok'").compactMap { $0[0].text.map(resolved) })
    }

    private func records(_ sql: String, _ values: [SQLiteDatabase.Value]) throws -> [RunRecord] {
        try database.query(sql, values).map { row in
            let id = row[0].int ?? 0
            let outputs = try database.query("SELECT name, digest, size FROM outputs WHERE run_id = ?", [.int(id)])
            let dropped = try database.query("SELECT name FROM dropped WHERE run_id = ?", [.int(id)]).compactMap { $0[0].text }
            return RunRecord(
                id: id, pipeline: row[1].text ?? "", job: row[2].text ?? "", key: row[3].text ?? "",
                material: try Self.decode(row[4].text ?? "{}"), status: RunStatus(rawValue: row[5].text ?? "") ?? .failed,
                exitCode: row[6].int.map { Int32(truncatingIfNeeded: $0) },
                started: Date(timeIntervalSince1970: row[7].real ?? 0), seconds: row[8].real, outDir: resolved(row[9].text ?? ""),
                logPath: resolved(row[10].text ?? ""), command: try Self.decode(row[11].text ?? "[]"),
                outputs: Dictionary(uniqueKeysWithValues: outputs.map { ($0[0].text ?? "", OutputFile(digest: $0[1].text ?? "", size: $0[2].int ?? 0)) }),
                dropped: Set(dropped))
        }
    }

    // MARK: Stat cache

    /// The digest recorded for a file whose device, inode, size and times are still `stat`.
    func cachedDigest(path: String, stat: FileStat) throws -> String? {
        try database.query("""
            SELECT digest FROM stat_cache WHERE path = ? AND device = ? AND inode = ? AND size = ? AND mtime_ns = ? AND ctime_ns = ?
            """, [.text(path), .int(stat.device), .int(stat.inode), .int(stat.size), .int(stat.modified), .int(stat.changed)]).first?.first?.text
    }

    func storeDigest(path: String, stat: FileStat, digest: String) throws {
        try database.query("INSERT OR REPLACE INTO stat_cache VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [.text(path), .int(stat.device), .int(stat.inode), .int(stat.size), .int(stat.modified), .int(stat.changed), .text(digest)])
    }

    /// Forgets stat-cache entries of files that no longer exist.
    func pruneStatCache() throws -> Int {
        let paths = try database.query("SELECT path FROM stat_cache").compactMap { $0[0].text }
        let gone = paths.filter { !FileManager.default.fileExists(atPath: $0) }
        try database.transaction {
            for path in gone { try database.query("DELETE FROM stat_cache WHERE path = ?", [.text(path)]) }
        }
        return gone.count
    }

    // MARK: Encoding

    static func encode(_ material: [String: String]) throws -> String {
        try JSONValue.object(material.mapValues { .string($0) }).canonicalText()
    }

    static func encode(_ command: [String]) throws -> String {
        try JSONValue.array(command.map { .string($0) }).canonicalText()
    }

    static func decode<T>(_ text: String) throws -> T {
        guard let value = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? T else {
            throw RunnerError.ledger("a run record holds unreadable JSON: \(text.prefix(80))")
        }
        return value
    }

    static func fileSafe(_ job: String) -> String {
        String(job.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }
}
