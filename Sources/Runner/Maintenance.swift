import Foundation

/// Keeping an artifacts directory healthy: recovering a damaged ledger, collecting garbage.
public enum Maintenance {
    /// What `recover` did.
    public struct Recovery: Sendable {
        public var kept = 0
        /// Manifests whose outputs no longer match (those runs rerun).
        public var dropped = 0
        /// Where the old ledger file went, if there was one.
        public var movedTo: String?
    }

    /// Moves a damaged ledger aside and rebuilds one from the run manifests beside the artifacts,
    /// keeping each run whose outputs still hash to what its manifest says. Only under the lock.
    public static func recover(artifacts: String) throws -> Recovery {
        let path = Ledger.path(artifacts: artifacts)
        var recovery = Recovery()
        if FileManager.default.fileExists(atPath: path) {
            let aside = path + ".damaged-\(Int(Date().timeIntervalSince1970))"
            guard rename(path, aside) == 0 else { throw RunnerError.io("cannot move \(path) aside: \(String(cString: strerror(errno)))") }
            recovery.movedTo = aside
        }
        // A journal left beside a lost file would be replayed into the new one.
        for suffix in ["-wal", "-shm"] { unlink(path + suffix) }
        let ledger = try Ledger(artifacts: artifacts)
        let digests = DigestCache(ledger: ledger)
        for directory in manifestDirectories(under: artifacts) {
            guard let manifest = RunManifest(directory: directory) else { recovery.dropped += 1; continue }
            let transientDropped = Publisher.droppedNote(in: directory)
            var intact = true
            for (name, output) in manifest.outputs where !transientDropped.contains(name) {
                if try digests.digest(of: directory + "/" + name)?.digest != output.digest { intact = false }
            }
            guard intact else { recovery.dropped += 1; continue }
            let run = try ledger.adopt(RunRecord(id: 0, pipeline: manifest.pipeline, job: manifest.job, key: manifest.key, material: manifest.material,
                                                 status: .ok, exitCode: 0, started: Date(), seconds: nil, outDir: directory, logPath: "",
                                                 command: manifest.command, outputs: manifest.outputs.mapValues { OutputFile(digest: $0.digest, size: $0.size) }))
            if !transientDropped.isEmpty { try ledger.markDropped(run: run, names: Array(transientDropped)) }
            recovery.kept += 1
        }
        return recovery
    }

    /// Rebuilds a ledger that is missing or empty while run manifests say runs were made: SQLite
    /// would otherwise start a new one and every job would silently run again. Only under the lock.
    static func recoverIfLost(artifacts: String) throws -> Recovery? {
        guard Ledger.isAbsent(artifacts: artifacts), !manifestDirectories(under: artifacts).isEmpty else { return nil }
        unlink(Ledger.path(artifacts: artifacts))  // an empty file holds nothing worth keeping aside
        return try recover(artifacts: artifacts)
    }

    /// What `gc` removed or would remove.
    public struct Collection {
        public var runsForgotten = 0
        public var directories: [String] = []
        public var bytes: Int64 = 0
    }

    /// Forgets all but the newest `keep` runs of each job (never a job's newest successful one),
    /// deletes their logs, the output directories no kept run owns, and leftovers of interrupted runs.
    public static func collectGarbage(workspace: Workspace, keep: Int, dryRun: Bool) throws -> Collection {
        var collection = Collection()
        let owned = try workspace.ledger.outputDirectories()
        var doomed = try manifestDirectories(under: workspace.artifacts).filter { directory in
            try !owned.contains(directory) && !isNewestSuccessfulRun(in: directory, ledger: workspace.ledger)
        }
        let pipelines = (try? FileManager.default.contentsOfDirectory(atPath: workspace.artifacts)) ?? []
        let submitted = try workspace.ledger.outstandingTasks()
        doomed += pipelines.flatMap { Publisher.leftovers(artifacts: workspace.artifacts, pipeline: $0, keeping: submitted) }
        collection.directories = doomed.sorted()
        collection.bytes = doomed.reduce(0) { $0 + size(of: $1) }
        guard !dryRun else { return collection }
        let logs = try workspace.ledger.prune(keep: keep)
        collection.runsForgotten = logs.count
        for log in logs where !log.isEmpty {
            collection.bytes += FileStat(path: log)?.size ?? 0
            unlink(log)
        }
        for directory in doomed { try? FileManager.default.removeItem(atPath: directory) }
        _ = try workspace.ledger.pruneStatCache()
        return collection
    }

    /// Cancels a pipeline's outstanding batch tasks; with `record` (under the lock, no runner
    /// following them) waits until each has ended, records it interrupted and removes what it wrote.
    /// Returns how many it cancelled.
    public static func cancelSubmitted(workspace: Workspace, pipeline: String, executor: Executor, record: Bool) throws -> Int {
        let submitted = try workspace.ledger.outstandingTasks(pipeline: pipeline)
        guard !submitted.isEmpty, executor.adopt(submitted) else { return 0 }
        executor.cancelAll()
        guard record else { return submitted.count }
        var left = Dictionary(uniqueKeysWithValues: submitted.map { ($0.id, $0) })
        let deadline = Date(timeIntervalSinceNow: 300)
        while !left.isEmpty && Date() < deadline {
            guard let result = executor.next(timeout: 1), let task = left.removeValue(forKey: result.id) else { continue }
            try? FileManager.default.removeItem(atPath: task.temporary)
            try workspace.ledger.finish(id: result.id, status: .interrupted, exitCode: result.exitCode, seconds: result.seconds)
        }
        guard left.isEmpty else {
            throw RunnerError.io("Slurm has not ended \(left.values.map(\.batchID).sorted().joined(separator: ", ")) after 5 minutes; they stay outstanding")
        }
        return submitted.count
    }

    /// Whether a directory's manifest names the newest successful run of its job: a second guard,
    /// independent of how paths are spelled, that gc never deletes what a run counts on.
    private static func isNewestSuccessfulRun(in directory: String, ledger: Ledger) throws -> Bool {
        guard let manifest = RunManifest(directory: directory) else { return false }
        return try ledger.latestSuccessful(pipeline: manifest.pipeline, job: manifest.job)?.key == manifest.key
    }

    /// Every directory under `root` holding a run manifest.
    static func manifestDirectories(under root: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        var result: [String] = []
        while let relative = walker.nextObject() as? String {
            let path = relative as NSString
            if path.lastPathComponent == Publisher.manifestName { result.append(root + "/" + path.deletingLastPathComponent) }
        }
        return result.sorted()
    }

    private static func size(of directory: String) -> Int64 {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return 0 }
        var total: Int64 = 0
        while let relative = walker.nextObject() as? String { total += FileStat(path: directory + "/" + relative)?.size ?? 0 }
        return total
    }
}
