import Foundation

/// The runner's world: the stage declarations, the artifacts directory, its ledger and stat cache,
/// and where the stage executables are.
public final class Workspace {
    /// How a command uses the artifacts: reading them, or changing them as the only runner.
    public enum Access {
        case read
        /// Takes the lock, waiting for another runner with `wait`, else refusing.
        case exclusive(wait: Bool)
    }

    public let artifacts: String
    public let stages: [String: StageDeclaration]
    public let ledger: Ledger
    public let digests: DigestCache
    /// Where stage executables are looked for first (then the PATH).
    public let binDirectory: String?
    /// Held for `.exclusive` access until the workspace goes.
    public let lock: RunLock?
    /// Set when the ledger was missing or empty and was rebuilt from the run manifests on opening.
    public private(set) var recovery: Maintenance.Recovery?
    /// Stages a killed runner had left running, stopped on taking the lock.
    public private(set) var stoppedStages: [RunLock.RecordedStage] = []
    /// Room kept for the ledger to record a failed run's end on a full disk (with the lock only).
    let reserve: DiskReserve?

    public init(artifacts: String, stagesDirectory: String, binDirectory: String?, access: Access) throws {
        // `art/` and `art` name one folder; messages and recorded paths read better without the slash.
        var artifacts = artifacts
        while artifacts.count > 1 && artifacts.hasSuffix("/") { artifacts.removeLast() }
        self.artifacts = artifacts
        self.binDirectory = binDirectory
        stages = try StageDeclaration.loadAll(directory: stagesDirectory)
        try Publisher.makeDirectory(artifacts)
        switch access {
        case .read:
            lock = nil
            reserve = nil
            // Reading commands rebuild a lost ledger too, unless a runner holds the artifacts (it will).
            if Ledger.isAbsent(artifacts: artifacts), let briefly = try? RunLock(artifacts: artifacts, wait: false) {
                recovery = try withExtendedLifetime(briefly) { try Maintenance.recoverIfLost(artifacts: artifacts) }
            }
        case let .exclusive(wait):
            let lock = try RunLock(artifacts: artifacts, wait: wait)
            self.lock = lock
            stoppedStages = lock.claim()
            reserve = DiskReserve(artifacts: artifacts)
            recovery = try Maintenance.recoverIfLost(artifacts: artifacts)
        }
        ledger = try Ledger(artifacts: artifacts)
        digests = DigestCache(ledger: ledger)
    }

    /// A pipeline by file path, or by name (`pipelines/<name>.yaml`).
    public func pipeline(_ nameOrFile: String) throws -> PipelineDeclaration {
        let file = nameOrFile.hasSuffix(".yaml") || nameOrFile.contains("/") ? nameOrFile : "pipelines/\(nameOrFile).yaml"
        guard FileManager.default.fileExists(atPath: file) else { throw RunnerError.usage("no pipeline \(file)") }
        return try PipelineDeclaration(file: file, stages: stages)
    }

    /// `artifacts/<pipeline>/<step>[/<sweep value>][/<shard>]`.
    public func outDir(pipeline: String, job: JobID) -> String {
        "\(artifacts)/\(pipeline)/\(job.directory)"
    }

    /// A path as runs record it: relative to the artifacts folder (lexically), so that equal runs in
    /// two project folders, or under two spellings of `--artifacts`, record equal commands.
    public func recordedPath(_ path: String) -> String {
        func components(_ path: String) -> [String] { Array(URL(fileURLWithPath: path).standardizedFileURL.pathComponents.dropFirst()) }
        let (base, target) = (components(artifacts), components(path))
        let common = zip(base, target).prefix { $0 == $1 }.count
        let parts = Array(repeating: "..", count: base.count - common) + target[common...]
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    public func logDirectory(pipeline: String) -> String {
        "\(artifacts)/\(pipeline)/.logs"
    }

    /// The stage's executable: in the bin directory, else on the PATH.
    public func executable(for stage: StageDeclaration) throws -> String {
        if stage.executable.contains("/") { return stage.executable }
        var directories = binDirectory.map { [$0] } ?? []
        directories += (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for directory in directories where FileManager.default.isExecutableFile(atPath: directory + "/" + stage.executable) {
            return directory + "/" + stage.executable
        }
        throw RunnerError.usage("stage \(stage.name): \(stage.executable) is not in \(binDirectory ?? "the bin directory") nor on the PATH (build it with `make`)")
    }
}
