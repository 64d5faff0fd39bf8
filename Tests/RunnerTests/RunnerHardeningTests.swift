import Foundation
import Testing
import TestSupport

/// The runner against a hostile user: every spelling of the artifacts folder, a lost ledger, unsafe
/// names, file names that look like flags, a killed runner's stages, a ledger that fails mid-run.
@Suite(.needs(RunnerFixture.available, "needs the built mimir (swift build)"))
struct RunnerHardeningTests {
    static let outputs = ["a", "b/1", "b/2", "c", "d"].map { "nested/art/chain/\($0)/out.txt" }

    @Test func gcKeepsEveryOutputWhateverTheArtifactsSpelling() throws {
        let fixture = try RunnerFixture()
        #expect(try fixture.mimir(["run", "chain.yaml"], artifacts: "nested/art").status == 0)
        let base = (fixture.root as NSString).lastPathComponent
        for spelling in ["nested/art/", "./nested/art", "nested//art", "nested/./art", "../\(base)/nested/art", fixture.root + "/nested/art"] {
            let gc = try fixture.mimir(["gc", "--keep", "1"], artifacts: spelling)
            let deleted = gc.output.split(separator: "\n").filter { $0.hasPrefix("deleted") && !$0.hasSuffix("/.tmp") }
            #expect(gc.status == 0 && deleted.isEmpty, "gc --artifacts \(spelling): \(gc.output)")
            for output in Self.outputs { #expect(fixture.read(output) != nil, "gc --artifacts \(spelling) deleted \(output)") }
            let rerun = try fixture.mimir(["run", "chain.yaml"], artifacts: spelling)
            #expect(RunnerFixture.counts(rerun.output)?.ran == 0, "run --artifacts \(spelling): \(rerun.output)")
        }
        // What no run owns still goes: a directory whose manifest no longer matches its outputs, which
        // the ledger rebuilt from the manifests does not count.
        try fixture.write("nested/art/chain/d/out.txt", "changed\n")
        unlink(fixture.root + "/nested/art/ledger.sqlite")
        let gc = try fixture.mimir(["gc", "--keep", "1"], artifacts: "nested/art/")
        #expect(gc.output.contains("4 runs recovered, 1 whose outputs changed will run again"), "\(gc.output)")
        #expect(gc.output.contains("deleted nested/art/chain/d\n"), "\(gc.output)")
        #expect(fixture.read("nested/art/chain/d/out.txt") == nil && fixture.read("nested/art/chain/c/out.txt") != nil)
    }

    @Test func aSchema1LedgerIsConvertedInPlace() throws {
        let fixture = try RunnerFixture()
        #expect(try fixture.mimir(["run", "chain.yaml"], artifacts: "art").status == 0)
        // Schema 1 stored every path as `--artifacts` was spelled.
        let script = """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.execute("UPDATE runs SET out_dir = 'art/' || out_dir, log_path = 'art/' || log_path")
            db.execute("UPDATE meta SET value = '1' WHERE name = 'schema'")
            db.commit()
            """
        #expect(try CrossCheck.run("python3", ["-c", script, fixture.root + "/art/ledger.sqlite"]).status == 0)
        let rerun = try fixture.mimir(["run", "chain.yaml"], artifacts: "./art")
        #expect(rerun.status == 0 && RunnerFixture.counts(rerun.output)?.ran == 0, "\(rerun.output)")
        let gc = try fixture.mimir(["gc"], artifacts: "art/")
        #expect(!gc.output.contains("deleted art/chain/"), "\(gc.output)")
        let log = try fixture.mimir(["log", "chain", "d"], artifacts: "art")
        #expect(log.output.contains("log art/chain/.logs/d-5.log") && log.output.contains("tool: wrote"), "\(log.output)")
    }

    @Test func aLedgerEmptiedOrDeletedIsRebuiltFromTheManifests() throws {
        let fixture = try RunnerFixture()
        #expect(try fixture.mimir(["run", "chain.yaml"]).status == 0)
        let ledger = fixture.root + "/artifacts/ledger.sqlite"
        #expect(truncate(ledger, 0) == 0)
        let emptied = try fixture.mimir(["run", "chain.yaml"])
        #expect(emptied.status == 0 && RunnerFixture.counts(emptied.output)?.ran == 0, "\(emptied.output)")
        #expect(emptied.output.contains("ledger.sqlite was missing or empty; rebuilt it from the run manifests: 5 runs recovered"), "\(emptied.output)")
        for suffix in ["", "-wal", "-shm"] { unlink(ledger + suffix) }
        let status = try fixture.mimir(["status", "chain.yaml"])
        #expect(status.output.contains("5 runs recovered") && !status.output.contains("stale"), "\(status.output)")
        #expect(RunnerFixture.counts(try fixture.mimir(["run", "chain.yaml"]).output)?.ran == 0)
        #expect(fixture.calls == 5)
    }

    @Test func unsafeNamesAreDeclarationErrors() throws {
        let fixture = try RunnerFixture()
        let cases = [
            ("  d:\n    stage: tool", "  \"\":\n    stage: tool", "chain.yaml:19: step '': a name is 1 to 64"),
            ("  d:\n    stage: tool", "  \"../d\":\n    stage: tool", "chain.yaml:19: step '../d'"),
            ("  d:\n    stage: tool", "  d e:\n    stage: tool", "chain.yaml:19: step 'd e'"),
            ("  d:\n    stage: tool", "  -d:\n    stage: tool", "chain.yaml:19: step '-d'"),
            ("pipeline: chain", "pipeline: \"chäin\"", "chain.yaml:1: pipeline 'chäin'"),
            ("pipeline: chain", "pipeline: \"\"", "chain.yaml:1: pipeline ''"),
            ("n: [1, 2]", "n: [1, \"\"]", "chain.yaml:5: sweep 'n': value ''"),
            ("n: [1, 2]", "n: [1, \"..\"]", "chain.yaml:5: sweep 'n': value '..'"),
            ("n: [1, 2]", "n: [1, \"2 3\"]", "chain.yaml:5: sweep 'n': value '2 3'"),
        ]
        for (old, new, expected) in cases {
            try fixture.write("chain.yaml", RunnerFixture.chain.replacingOccurrences(of: old, with: new))
            for command in [["run", "chain.yaml"], ["run", "chain.yaml", "--dry-run"], ["status", "chain.yaml"]] {
                let result = try fixture.mimir(command)
                #expect(result.status == 2 && result.output.contains(expected), "\(command) \(new): \(result.output)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/artifacts/chain"))
        try fixture.write("chain.yaml", RunnerFixture.chain.replacingOccurrences(of: "n: [1, 2]", with: "n: [-1, +3]"))
        #expect(try fixture.mimir(["run", "chain.yaml"]).status == 0)
        #expect(fixture.read("artifacts/chain/b/-1/out.txt") == "source\nn=1\nn=-1\n")
    }

    @Test func aFileNamedLikeAFlagIsPassedAsAFile() throws {
        let fixture = try RunnerFixture(pipeline: """
            pipeline: dashes
            inputs:
              odd: -odd.txt
            steps:
              a:
                stage: tool
                inputs: {more: odd, in: odd}
            """)
        try fixture.write("-odd.txt", "odd\n")
        let run = try fixture.mimir(["run", "chain.yaml"])
        #expect(run.status == 0, "\(run.output)")
        #expect(fixture.read("artifacts/dashes/a/out.txt") == "odd\nodd\nn=0\n")
        let command = try fixture.mimir(["command", "chain.yaml", "a"]).output
        #expect(command.contains("tool.sh --in=-odd.txt --n 0 --sleep 0 --out artifacts/dashes/a -- -odd.txt"), "\(command)")
    }

    @Test func aKilledRunnersStagesAreStoppedByTheNextRun() throws {
        let fixture = try RunnerFixture(pipeline: RunnerFixture.chain.replacingOccurrences(of: "params: {n: 1}", with: "params: {n: 1, sleep: 60}"))
        let runner = try fixture.start(["run", "chain.yaml"])
        let stage = try fixture.stagePid()
        let status = try fixture.mimir(["status", "chain.yaml"]).output
        let row = status.split(separator: "\n").first { $0.hasPrefix("a ") } ?? ""
        #expect(row.contains(" running ") && row.contains("process \(stage)"), "\(status)")
        kill(runner.process.processIdentifier, SIGKILL)
        runner.process.waitUntilExit()
        #expect(kill(stage, 0) == 0)  // the stage runs on in its own process group
        try fixture.write("chain.yaml", RunnerFixture.chain)
        let rerun = try fixture.mimir(["run", "chain.yaml"])
        #expect(rerun.output.contains("stopped what a killed runner had left running: chain a (process \(stage))"), "\(rerun.output)")
        #expect(rerun.status == 0 && RunnerFixture.counts(rerun.output)?.ran == 5, "\(rerun.output)")
        #expect(RunnerFixture.waitUntil(5) { !Self.isRunning(stage) })
        try fixture.mimir(["run", "chain.yaml"], artifacts: "clean")
        #expect(fixture.artifacts() == fixture.artifacts("clean"))
    }

    @Test func aLedgerErrorStopsTheStagesAndLeavesNoRunningRecord() throws {
        let slowA = RunnerFixture.chain.replacingOccurrences(of: "params: {n: 1}", with: "params: {n: 1, sleep: 60}")
        let fixture = try RunnerFixture(pipeline: slowA)
        try fixture.write("empty.yaml", "pipeline: chain\nsteps: {}\n")
        #expect(try fixture.mimir(["run", "empty.yaml"]).status == 0)  // creates the ledger
        // The commit point fails as on a full disk: recording a successful run raises an error.
        let script = """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.execute("CREATE TRIGGER full BEFORE UPDATE OF status ON runs WHEN NEW.status = 'ok' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
            db.commit()
            """
        let trigger = try CrossCheck.run("python3", ["-c", script, fixture.root + "/artifacts/ledger.sqlite"])
        #expect(trigger.status == 0, "\(trigger.output)")
        let run = try fixture.mimir(["run", "chain.yaml", "-j", "2"])
        #expect(run.status == 1 && run.output.contains("disk is full"), "\(run.output)")
        #expect(fixture.toolPids.count == 2)
        for pid in fixture.toolPids { #expect(!Self.isRunning(pid), "stage \(pid) outlived its runner") }
        let log = try fixture.mimir(["log", "chain"]).output
        #expect(!log.contains("running") && log.contains("interrupted"), "\(log)")
        let temporary = (try? FileManager.default.contentsOfDirectory(atPath: fixture.root + "/artifacts/chain/.tmp")) ?? []
        #expect(temporary.isEmpty, "\(temporary)")
    }

    @Test func equalRunsInTwoFoldersRecordEqualManifests() throws {
        let fixture = try RunnerFixture()
        try fixture.write("stages/tool.yaml", fixture.read("stages/tool.yaml")!.replacingOccurrences(of: fixture.root + "/tool.sh", with: "tool.sh"))
        let copy = try TemporaryDirectory()
        for name in ["stages", "state", "tool.sh", "source.txt", "chain.yaml"] {
            try FileManager.default.copyItem(atPath: fixture.root + "/" + name, toPath: copy.path + "/" + name)
        }
        var manifests: [[String: Data]] = []
        for root in [fixture.root, copy.path] {
            let run = try CrossCheck.run(RunnerFixture.mimir, ["run", "--artifacts", root + "/artifacts", "--bin", root, "chain.yaml"], in: root,
                                         environment: ["TOOL_STATE": root + "/state", "PATH": "/usr/bin:/bin"])
            #expect(run.status == 0, "\(run.output)")
            manifests.append(Self.manifests(root + "/artifacts"))
        }
        #expect(manifests[0].count == 5 && manifests[0] == manifests[1])
        let manifest = String(decoding: manifests[0]["chain/c/.mimir-run.json"] ?? Data(), as: UTF8.self)
        #expect(manifest.contains("\"tool.sh\"") && manifest.contains("\"chain/b/1/out.txt\"") && manifest.contains("\"chain/c\""), "\(manifest)")
    }

    static func manifests(_ artifacts: String) -> [String: Data] {
        var found: [String: Data] = [:]
        let walker = FileManager.default.enumerator(atPath: artifacts)
        while let relative = walker?.nextObject() as? String {
            if relative.hasSuffix(".mimir-run.json") { found[relative] = FileManager.default.contents(atPath: artifacts + "/" + relative) }
        }
        return found
    }

    /// Whether `pid` is a living process (not a zombie).
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
        return !stat[stat.index(after: close)...].hasPrefix(" Z")
    }
}
