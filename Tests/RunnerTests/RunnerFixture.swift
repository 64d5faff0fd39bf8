import Foundation
import TestSupport

/// A project in a temporary directory for the runner's tests: a shell-script stage (`tool`) that
/// concatenates its inputs and appends its parameter, a small pipeline over it, and the built
/// `mimir` to run it. The script records each call in `state/calls` and its process id in `state/pid`.
final class RunnerFixture {
    static let mimir = CrossCheck.packageRoot + "/.build/debug/mimir"
    static let available = FileManager.default.isExecutableFile(atPath: mimir)

    let directory: TemporaryDirectory
    var root: String { directory.path }
    /// Set for every mimir this fixture starts (e.g. `SLURM_CONF`).
    var environment: [String: String] = [:]

    init(pipeline: String = RunnerFixture.chain) throws {
        directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: root + "/stages", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/state", withIntermediateDirectories: true)
        try write("tool.sh", Self.tool)
        chmod(root + "/tool.sh", 0o755)
        try write("stages/tool.yaml", """
            stage: tool
            executable: \(root)/tool.sh
            version: "1"
            inputs:
              in: {list: true, required: false, help: "Files to concatenate."}
              more: {positional: true, list: true, required: false, help: "More files, after them."}
            outputs:
              out: out.txt
            params:
              n: {type: int, default: "0", help: "Appended to the output."}
              sleep: {type: number, default: "0", help: "Seconds to wait after writing half the output."}
              skip_output: {type: bool, default: "false", help: "Exit 0 without writing out.txt."}
            """)
        try write("source.txt", "source\n")
        try write("chain.yaml", pipeline)
    }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: root + "/" + name, atomically: true, encoding: .utf8)
    }

    func read(_ name: String) -> String? { try? String(contentsOfFile: root + "/" + name, encoding: .utf8) }

    /// The process id the running stage wrote into state/pid, once the file holds a whole one. Never 0
    /// or less: `kill(-0, ...)` would signal the test's own process group.
    func stagePid() throws -> Int32 {
        var pid: Int32 = 0
        let written = Self.waitUntil {
            pid = Int32((read("state/pid") ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            return pid > 0
        }
        guard written else { throw FixtureError.noStagePid }
        return pid
    }

    enum FixtureError: Error { case noStagePid }

    /// Every process id the tool ran as.
    var toolPids: [Int32] { (read("state/pids") ?? "").split(separator: "\n").compactMap { Int32($0) } }

    /// The most tools that ran at once.
    var mostAtOnce: Int { (read("state/concurrency") ?? "").split(separator: "\n").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.max() ?? 0 }

    /// How many times the tool ran since the fixture was made.
    var calls: Int { (read("state/calls") ?? "").split(separator: "\n").count }

    /// Runs mimir in the project; returns its exit status and combined output.
    @discardableResult
    func mimir(_ arguments: [String], artifacts: String = "artifacts") throws -> (status: Int32, output: String) {
        let process = try start(arguments, artifacts: artifacts)
        let output = String(decoding: process.output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.process.waitUntilExit()
        return (process.process.terminationStatus, output)
    }

    /// Starts mimir without waiting for it.
    func start(_ arguments: [String], artifacts: String = "artifacts") throws -> (process: Process, output: Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.mimir)
        let subcommand = arguments.first.map { [$0] } ?? []
        process.arguments = subcommand + ["--artifacts", artifacts, "--stages", "stages"] + arguments.dropFirst()
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        var environment = ProcessInfo.processInfo.environment
        environment["TOOL_STATE"] = root + "/state"
        environment.merge(self.environment) { _, own in own }
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        return (process, pipe)
    }

    /// The summary counts of a run's output: (ran, fresh) per pipeline line.
    static func counts(_ output: String) -> (ran: Int, fresh: Int)? {
        guard let line = output.split(separator: "\n").last(where: { $0.contains(" ran, ") }) else { return nil }
        let numbers = line.split(whereSeparator: { !$0.isNumber && $0 != "." }).compactMap { Int($0) }
        return numbers.count >= 2 ? (numbers[0], numbers[1]) : nil
    }

    /// Every artifact file (not logs, manifests or the ledger) -> its bytes.
    func artifacts(_ directory: String = "artifacts") -> [String: Data] {
        RunnerFixtureFiles.artifacts(root + "/" + directory)
    }

    /// Waits until `condition` holds (polling), up to `seconds`.
    static func waitUntil(_ seconds: Double = 20, _ condition: () -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    /// a -> b (over n: 1, 2) -> c (fan-in), and d beside them.
    static let chain = """
        pipeline: chain
        inputs:
          source: source.txt
        sweeps:
          n: [1, 2]
        steps:
          a:
            stage: tool
            inputs: {in: source}
            params: {n: 1}
          b:
            stage: tool
            over: n
            inputs: {in: a.out}
          c:
            stage: tool
            inputs: {in: b.out}
            params: {n: 5}
          d:
            stage: tool
            inputs: {in: source}
            params: {n: 9}
        """

    static let tool = """
        #!/bin/sh
        # A test stage: writes its inputs and its parameter to out.txt.
        set -e
        out=""; inputs=""; n=0; pause=0; skip=""
        while [ $# -gt 0 ]; do
          case "$1" in
            --out) out="$2"; shift 2 ;;
            --in) inputs="$inputs $2"; shift 2 ;;
            --in=*) inputs="$inputs ${1#--in=}"; shift ;;
            --n) n="$2"; shift 2 ;;
            --n=*) n="${1#--n=}"; shift ;;
            --sleep) pause="$2"; shift 2 ;;
            --skip-output) skip=1; shift ;;
            --) shift; for f in "$@"; do inputs="$inputs $f"; done; break ;;
            *) echo "unknown argument $1" >&2; exit 2 ;;
          esac
        done
        # How many tools run at this moment, this one included (for the packing test).
        mkdir "$TOOL_STATE/running.$$"
        trap 'rmdir "$TOOL_STATE/running.$$"' EXIT
        ls -d "$TOOL_STATE"/running.* | wc -l >> "$TOOL_STATE/concurrency"
        echo "$out" >> "$TOOL_STATE/calls"
        echo $$ > "$TOOL_STATE/pid"
        echo $$ >> "$TOOL_STATE/pids"
        mkdir -p "$out"
        [ -n "$skip" ] && exit 0
        printf 'half ' > "$out/out.txt"
        if [ "$pause" != "0" ]; then sleep "$pause"; fi
        { for f in $inputs; do cat < "$f"; done; echo "n=$n"; } > "$out/out.txt"
        echo "tool: wrote $out/out.txt" >&2
        """
}

enum RunnerFixtureFiles {
    /// Every artifact file under `base` (not logs, manifests or the ledger) -> its bytes.
    static func artifacts(_ base: String) -> [String: Data] {
        var files: [String: Data] = [:]
        let walker = FileManager.default.enumerator(atPath: base)
        while let relative = walker?.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            guard !relative.hasPrefix("."), !name.hasPrefix("."), !relative.contains("/."), !name.hasPrefix("ledger.sqlite") else { continue }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: base + "/" + relative, isDirectory: &isDirectory), !isDirectory.boolValue {
                files[relative] = FileManager.default.contents(atPath: base + "/" + relative)
            }
        }
        return files
    }
}
