import ArgumentParser
import Foundation
import Runner

struct GC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Forget old runs and delete what no kept run owns: old logs, orphaned output directories, leftovers of interrupted runs.")

    @OptionGroup var locations: Locations

    @Option(help: "Runs kept per job (the newest successful one is always kept).")
    var keep = 3

    @Flag(help: "Say what would be deleted; delete nothing.")
    var dryRun = false

    func run() throws {
        try guarded {
            let workspace = try locations.workspace(.exclusive(wait: false))
            let collection = try Maintenance.collectGarbage(workspace: workspace, keep: keep, dryRun: dryRun)
            for directory in collection.directories { print((dryRun ? "would delete " : "deleted ") + directory) }
            FileHandle.standardError.write(Data(String(format: "mimir gc: %d runs forgotten, %d directories, %.1f MB%@\n", collection.runsForgotten,
                                                       collection.directories.count, Double(collection.bytes) / 1e6, dryRun ? " (dry run)" : "").utf8))
        }
    }
}

struct Recover: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild a damaged ledger from the run manifests beside the artifacts.",
        discussion: "The damaged file is moved aside (ledger.sqlite.damaged-TIME). Runs whose outputs still match their manifest count again; the others rerun.")

    @OptionGroup var locations: Locations

    func run() throws {
        try guarded {
            try FileManager.default.createDirectory(atPath: locations.artifacts, withIntermediateDirectories: true)
            let lock = try RunLock(artifacts: locations.artifacts, wait: false)
            defer { withExtendedLifetime(lock) {} }
            // A killed runner's stages must not write while the ledger is rebuilt.
            let stopped = lock.claim()
            if !stopped.isEmpty { print("stopped the stages a killed runner had left running: processes \(stopped.map { String($0.pid) }.joined(separator: ", "))") }
            let result = try Maintenance.recover(artifacts: locations.artifacts)
            if let moved = result.movedTo { print("moved the old ledger to \(moved)") }
            print("recovered \(result.kept) runs; \(result.dropped) manifests did not match their outputs and will rerun")
        }
    }
}

struct Digest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the content digest (XXH3-128) the runner records for files, and the hashing speed.")

    @Argument(help: "Files to hash.")
    var files: [String]

    func run() throws {
        try guarded {
            var bytes: Int64 = 0
            let start = Date()
            for file in files {
                print("\(try ContentDigest.ofFile(file))  \(file)")
                bytes += Int64((try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0)
            }
            let seconds = Date().timeIntervalSince(start)
            FileHandle.standardError.write(Data(String(format: "mimir digest: %.2f GB in %.3f s, %.2f GB/s\n", Double(bytes) / 1e9, seconds,
                                                       Double(bytes) / 1e9 / max(seconds, 1e-9)).utf8))
        }
    }
}
