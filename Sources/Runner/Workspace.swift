import Foundation

/// The runner's world: the stage declarations, the artifacts directory, its ledger and stat cache,
/// and where the stage executables are.
public final class Workspace {
    public let artifacts: String
    public let stages: [String: StageDeclaration]
    public let ledger: Ledger
    public let digests: DigestCache
    /// Where stage executables are looked for first (then the PATH).
    public let binDirectory: String?

    public init(artifacts: String, stagesDirectory: String, binDirectory: String?) throws {
        self.artifacts = artifacts
        self.binDirectory = binDirectory
        stages = try StageDeclaration.loadAll(directory: stagesDirectory)
        try Publisher.makeDirectory(artifacts)
        ledger = try Ledger(path: artifacts + "/" + Ledger.fileName)
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
