import Foundation
import Table
import SystemSupport

/// Moves a finished run's outputs into place: the stage wrote into a temporary directory beside the
/// final one; after checking every declared output, the runner hashes the files, writes the run's
/// manifest, and renames the directory into place. Only the ledger record written afterwards makes
/// the run count; the manifest lets `mimir recover` rebuild a lost ledger.
enum Publisher {
    static let manifestName = ".mimir-run.json"
    /// Beside the manifest: the transient outputs deleted after their readers ran (a JSON list).
    static let droppedName = ".mimir-dropped.json"

    static func noteDropped(_ names: Set<String>, in directory: String) throws {
        try write(try JSONEncoder.sorted.encode(names.sorted()), to: directory + "/" + droppedName)
    }

    /// Writes a small file atomically (SystemSupport's `AtomicOutputFile`); a failure (a full disk) is the
    /// runner's I/O error, naming the file and the system's reason.
    static func write(_ data: Data, to path: String) throws {
        do {
            let file = try AtomicOutputFile(path: path)
            try file.write(Array(data))
            try file.publish(durable: false)
        } catch let error as FileError {
            throw RunnerError.io("cannot write \(path): \(error)")
        }
    }

    static func droppedNote(in directory: String) -> Set<String> {
        guard let data = FileManager.default.contents(atPath: directory + "/" + droppedName),
              let names = try? JSONDecoder().decode([String].self, from: data) else { return [] }
        return Set(names)
    }

    /// A fresh temporary directory for a job's run (same filesystem as the final directory).
    static func temporaryDirectory(artifacts: String, pipeline: String, job: JobID) throws -> String {
        let path = "\(artifacts)/\(pipeline)/.tmp/\(Ledger.fileSafe(job.description))-\(getpid())"
        try? FileManager.default.removeItem(atPath: path)
        try makeDirectory(path)
        return path
    }

    /// The declared outputs a finished stage did not write.
    static func missingOutputs(of stage: StageDeclaration, in directory: String) -> [String] {
        stage.outputs.filter { $0.required && FileStat(path: directory + "/" + $0.file) == nil }.map(\.file)
    }

    /// Hashes every regular file the stage wrote (declared or not, e.g. split's shards).
    static func hashOutputs(in directory: String) throws -> [String: OutputFile] {
        var outputs: [String: OutputFile] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() where !name.hasPrefix(".") {
            let path = directory + "/" + name
            guard let stat = FileStat(path: path) else { continue }
            outputs[name] = OutputFile(digest: try ContentDigest.ofFile(path), size: stat.size)
        }
        return outputs
    }

    /// Writes the manifest, then replaces `final` with `temporary` by renames (the old directory, if
    /// any, is moved aside first and deleted after).
    static func publish(_ temporary: String, to final: String, manifest: RunManifest) throws {
        try write(try JSONEncoder.sorted.encode(manifest), to: temporary + "/" + manifestName)
        try makeDirectory(URL(fileURLWithPath: final).deletingLastPathComponent().path)
        let aside = temporary + ".old"
        let hadOld = rename(final, aside) == 0
        guard rename(temporary, final) == 0 else {
            let reason = String(cString: strerror(errno))
            if hadOld { rename(aside, final) }
            throw RunnerError.io("cannot move \(temporary) to \(final): \(reason)")
        }
        if hadOld { try? FileManager.default.removeItem(atPath: aside) }
    }

    /// What runs that did not finish left behind: their temporary directories and task files, except
    /// those of tasks a batch system may still run.
    static func leftovers(artifacts: String, pipeline: String, keeping submitted: [SubmittedTask]) -> [String] {
        let kept = Set(submitted.flatMap { [$0.temporary, ($0.taskFile as NSString).deletingLastPathComponent] })
        return [".tmp", ".slurm"].flatMap { area -> [String] in
            let directory = "\(artifacts)/\(pipeline)/\(area)"
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            return names.sorted().map { directory + "/" + $0 }.filter { !kept.contains($0) }
        }
    }

    /// Removes the leftovers (only under the lock).
    static func removeLeftovers(artifacts: String, pipeline: String, keeping submitted: [SubmittedTask]) {
        for path in leftovers(artifacts: artifacts, pipeline: pipeline, keeping: submitted) { try? FileManager.default.removeItem(atPath: path) }
    }

    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw RunnerError.io("cannot create \(path): \(error.localizedDescription)")
        }
    }
}

/// What a published run's directory says about itself (`.mimir-run.json`); nothing in it varies
/// between equal runs (no times, no temporary paths), so equal runs leave equal directories.
struct RunManifest: Codable {
    var pipeline: String
    var job: String
    var key: String
    var material: [String: String]
    /// The command with the final output directory, as declared: the stage's executable as its
    /// declaration names it, paths relative to the artifacts folder.
    var command: [String]
    var outputs: [String: Output]

    struct Output: Codable {
        var digest: String
        var size: Int64
    }

    init(pipeline: String, job: String, key: String, material: [String: String], command: [String], outputs: [String: Output]) {
        (self.pipeline, self.job, self.key, self.material, self.command, self.outputs) = (pipeline, job, key, material, command, outputs)
    }

    /// The manifest of a published run's directory; nil when there is none or it is unreadable.
    init?(directory: String) {
        guard let data = FileManager.default.contents(atPath: directory + "/" + Publisher.manifestName),
              let manifest = try? JSONDecoder().decode(Self.self, from: data) else { return nil }
        self = manifest
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }
}
