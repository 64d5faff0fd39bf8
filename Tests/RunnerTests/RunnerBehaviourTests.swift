import Foundation
import Testing
import TestSupport

/// The runner's promises, checked by running it on a script stage: what reruns and what does not,
/// what a killed stage or runner leaves, parallel runs, concurrent runners, a damaged ledger.
@Suite(.needs(RunnerFixture.available, "needs the built mimir (swift build)"))
struct RunnerBehaviourTests {
    @Test func firstRunRunsEverything_noOpRerunRunsNothing() throws {
        let fixture = try RunnerFixture()
        let first = try fixture.mimir(["run", "chain.yaml"])
        #expect(first.status == 0, "\(first.output)")
        #expect(RunnerFixture.counts(first.output)?.ran == 5)
        #expect(fixture.read("artifacts/chain/c/out.txt") == "source\nn=1\nn=1\nsource\nn=1\nn=2\nn=5\n")
        let second = try fixture.mimir(["run", "chain.yaml"])
        #expect(second.status == 0)
        #expect(RunnerFixture.counts(second.output)?.ran == 0)
        #expect(RunnerFixture.counts(second.output)?.fresh == 5)
        #expect(second.output.contains(", 0 B hashed"), "\(second.output)")  // the stat cache answered
        #expect(fixture.calls == 5)
    }

    @Test func changedParameterRerunsOnlyWhatDependsOnIt() throws {
        let fixture = try RunnerFixture()
        try fixture.mimir(["run", "chain.yaml"])
        try fixture.write("chain.yaml", RunnerFixture.chain.replacingOccurrences(of: "params: {n: 5}", with: "params: {n: 6}"))
        let explain = try fixture.mimir(["explain", "chain.yaml", "c"])
        #expect(explain.output.contains("params.n: 5 -> 6"), "\(explain.output)")
        let rerun = try fixture.mimir(["run", "chain.yaml"])
        #expect(RunnerFixture.counts(rerun.output)?.ran == 1, "\(rerun.output)")
        #expect(fixture.read("artifacts/chain/c/out.txt")?.hasSuffix("n=6\n") == true)
    }

    @Test func touchedInputRerunsNothing_changedInputRerunsItsDependants() throws {
        let fixture = try RunnerFixture()
        try fixture.mimir(["run", "chain.yaml"])
        let later = Date(timeIntervalSinceNow: 60)
        try FileManager.default.setAttributes([.modificationDate: later], ofItemAtPath: fixture.root + "/source.txt")
        let touched = try fixture.mimir(["run", "chain.yaml"]).output
        #expect(RunnerFixture.counts(touched)?.ran == 0)
        #expect(touched.contains(", 7 B hashed"), "\(touched)")  // source.txt again, nothing else
        try fixture.write("source.txt", "changed\n")
        let status = try fixture.mimir(["status", "chain.yaml"]).output
        #expect(status.contains("inputs.in[0]: xxh3-128:"), "\(status)")
        let rerun = try fixture.mimir(["run", "chain.yaml"])
        #expect(RunnerFixture.counts(rerun.output)?.ran == 5, "\(rerun.output)")  // a, b@1, b@2, c, d all read it
    }

    @Test func strictKeysCoverTheExecutable() throws {
        let fixture = try RunnerFixture()
        try fixture.mimir(["run", "chain.yaml"])
        func rebuild(_ mark: String) throws {
            try fixture.write("tool.sh", RunnerFixture.tool + "\n# rebuilt \(mark)\n")
            chmod(fixture.root + "/tool.sh", 0o755)
        }
        try rebuild("once")
        let loose = try fixture.mimir(["run", "chain.yaml"]).output
        #expect(RunnerFixture.counts(loose)?.ran == 0, "\(loose)")  // the declared version decides
        let strict = try fixture.mimir(["run", "chain.yaml", "--strict"]).output
        #expect(RunnerFixture.counts(strict)?.ran == 5, "\(strict)")
        try rebuild("twice")
        let explain = try fixture.mimir(["explain", "chain.yaml", "a", "--strict"]).output
        #expect(explain.contains("exe: xxh3-128:") && explain.contains(" -> xxh3-128:"), "\(explain)")
    }

    @Test func rerunWithIdenticalOutputLeavesDownstreamFresh() throws {
        let fixture = try RunnerFixture()
        try fixture.mimir(["run", "chain.yaml"])
        let forced = try fixture.mimir(["run", "chain.yaml", "--force", "a"])
        #expect(RunnerFixture.counts(forced.output)?.ran == 1, "\(forced.output)")
        #expect(fixture.calls == 6)
    }

    @Test func onlyFromUntilAndShardSelectWhatRuns() throws {
        let fixture = try RunnerFixture()
        let refused = try fixture.mimir(["run", "chain.yaml", "--only", "c"])
        #expect(refused.status == 2 && refused.output.contains("has no intact recorded run"), "\(refused.output)")
        let until = try fixture.mimir(["run", "chain.yaml", "--until", "a"])
        #expect(RunnerFixture.counts(until.output)?.ran == 1, "\(until.output)")
        try fixture.mimir(["run", "chain.yaml"])
        let only = try fixture.mimir(["run", "chain.yaml", "--only", "c", "--force", "c"])
        #expect(RunnerFixture.counts(only.output)?.ran == 1, "\(only.output)")
        let dry = try fixture.mimir(["run", "chain.yaml", "--dry-run", "--force", "b"])
        #expect(dry.output.contains("b@1") && dry.output.contains("forced") && fixture.calls == 6, "\(dry.output)")
    }

    @Test func stageKilledMidWriteLeavesNothingThatCounts_rerunMatchesAnUninterruptedRun() throws {
        let fixture = try RunnerFixture(pipeline: RunnerFixture.chain.replacingOccurrences(of: "params: {n: 5}", with: "params: {n: 5, sleep: 30}"))
        let runner = try fixture.start(["run", "chain.yaml"])
        #expect(RunnerFixture.waitUntil { (try? String(contentsOfFile: fixture.root + "/state/calls", encoding: .utf8))?.contains(".tmp/c-") == true })
        #expect(RunnerFixture.waitUntil { (try? FileManager.default.contentsOfDirectory(atPath: fixture.root + "/artifacts/chain/.tmp")).map { dirs in dirs.contains { FileManager.default.fileExists(atPath: fixture.root + "/artifacts/chain/.tmp/\($0)/out.txt") } } ?? false })
        let pid = try fixture.stagePid()  // c's: it writes its pid before out.txt
        kill(-pid, SIGKILL)  // the stage and its sleep
        runner.process.waitUntilExit()
        let output = String(decoding: runner.output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(runner.process.terminationStatus == 1 && output.contains("c: FAILED: killed by signal 9"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/artifacts/chain/c"))
        // The killed run's temporary directory is gone with it.
        #expect((try? FileManager.default.contentsOfDirectory(atPath: fixture.root + "/artifacts/chain/.tmp")) ?? [] == [])

        try fixture.write("chain.yaml", RunnerFixture.chain)
        let rerun = try fixture.mimir(["run", "chain.yaml"])
        #expect(RunnerFixture.counts(rerun.output)?.ran == 1, "\(rerun.output)")
        let clean = try fixture.mimir(["run", "chain.yaml"], artifacts: "clean")
        #expect(clean.status == 0)
        #expect(fixture.artifacts() == fixture.artifacts("clean"))
    }

    @Test func runnerKilledMidStageLeavesNothingThatCounts() throws {
        let fixture = try RunnerFixture(pipeline: RunnerFixture.chain.replacingOccurrences(of: "params: {n: 1}", with: "params: {n: 1, sleep: 30}"))
        let runner = try fixture.start(["run", "chain.yaml"])
        let stage = try fixture.stagePid()
        kill(runner.process.processIdentifier, SIGKILL)
        runner.process.waitUntilExit()
        kill(-stage, SIGKILL)  // the stage's own process group, which the dead runner can no longer stop
        let log = try fixture.mimir(["log", "chain"]).output
        #expect(log.contains("running"), "\(log)")
        try fixture.write("chain.yaml", RunnerFixture.chain)
        let rerun = try fixture.mimir(["run", "chain.yaml"])
        #expect(rerun.status == 0 && RunnerFixture.counts(rerun.output)?.ran == 5, "\(rerun.output)")
        #expect(try fixture.mimir(["log", "chain"]).output.contains("interrupted"))
        try fixture.mimir(["run", "chain.yaml"], artifacts: "clean")
        #expect(fixture.artifacts() == fixture.artifacts("clean"))
    }

    @Test func interruptStopsStagesAndRecordsThemInterrupted() throws {
        let fixture = try RunnerFixture(pipeline: RunnerFixture.chain.replacingOccurrences(of: "params: {n: 1}", with: "params: {n: 1, sleep: 30}"))
        let runner = try fixture.start(["run", "chain.yaml"])
        _ = try fixture.stagePid()
        usleep(200_000)
        kill(runner.process.processIdentifier, SIGINT)
        runner.process.waitUntilExit()
        let output = String(decoding: runner.output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(runner.process.terminationStatus == 130, "\(output)")
        #expect(try fixture.mimir(["log", "chain"]).output.contains("interrupted"))
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/artifacts/chain/a"))
    }

    /// A job takes as many of `-j`'s slots as its step's resources declare CPUs: b@1 and b@2 (each a
    /// second long) overlap with one CPU each, and never with two; the resources are not in the keys.
    @Test func jobsArePackedByTheirDeclaredCPUs() throws {
        let sleepy = RunnerFixture.chain.replacingOccurrences(of: "    over: n\n", with: "    over: n\n    params: {sleep: 1}\n")
        let fixture = try RunnerFixture(pipeline: sleepy)
        #expect(try fixture.mimir(["run", "chain.yaml", "-j", "2", "--until", "b"]).status == 0)
        #expect(fixture.mostAtOnce == 2, "one CPU each: b@1 and b@2 run together")
        try fixture.write("chain.yaml", sleepy.replacingOccurrences(of: "    over: n\n", with: "    over: n\n    resources: {cpus: 2, mem: 1G, time: 10m}\n"))
        let unchanged = try fixture.mimir(["run", "chain.yaml", "-j", "2", "--until", "b"])
        #expect(RunnerFixture.counts(unchanged.output)?.ran == 0, "resources are not part of the key: \(unchanged.output)")
        try fixture.write("state/concurrency", "")
        #expect(try fixture.mimir(["run", "chain.yaml", "-j", "2", "--until", "b"], artifacts: "packed").status == 0)
        #expect(fixture.mostAtOnce == 1, "two CPUs each on two slots: one at a time")
        #expect(fixture.calls == 6)
    }

    /// Each job's line says the CPU time and peak memory its process used (wait4's rusage): a shell
    /// stage holds at least a megabyte resident.
    @Test func ranLines_tellCPUTimeAndPeakMemory() throws {
        let fixture = try RunnerFixture()
        let run = try fixture.mimir(["run", "chain.yaml", "--until", "a"])
        let line = run.output.split(separator: "\n").first { $0.hasPrefix("mimir: a: ran in ") }.map(String.init) ?? ""
        let numbers = line.split(whereSeparator: { !$0.isNumber && $0 != "." }).compactMap { Double($0) }
        #expect(line.contains(" s CPU, ") && line.hasSuffix(" MB peak)") && numbers.count == 3 && numbers[2] >= 1, "\(run.output)")
    }

    @Test func oneAndTwoJobsGiveIdenticalArtifacts() throws {
        let fixture = try RunnerFixture()
        #expect(try fixture.mimir(["run", "chain.yaml", "-j", "1"], artifacts: "one").status == 0)
        #expect(try fixture.mimir(["run", "chain.yaml", "-j", "2"], artifacts: "two").status == 0)
        #expect(!fixture.artifacts("one").isEmpty)
        #expect(fixture.artifacts("one") == fixture.artifacts("two"))
    }

    @Test func secondRunnerRefusesOrWaits() throws {
        let fixture = try RunnerFixture(pipeline: RunnerFixture.chain.replacingOccurrences(of: "params: {n: 9}", with: "params: {n: 9, sleep: 2}"))
        let first = try fixture.start(["run", "chain.yaml"])
        _ = try fixture.stagePid()
        let refused = try fixture.mimir(["run", "chain.yaml"])
        #expect(refused.status == 75 && refused.output.contains("another mimir (process \(first.process.processIdentifier))"), "\(refused.output)")
        let waited = try fixture.mimir(["run", "chain.yaml", "--wait"])
        first.process.waitUntilExit()
        #expect(first.process.terminationStatus == 0)
        #expect(waited.status == 0 && RunnerFixture.counts(waited.output)?.ran == 0, "\(waited.output)")
    }

    @Test func damagedLedgerGetsAClearErrorAndRecovers() throws {
        let fixture = try RunnerFixture()
        try fixture.mimir(["run", "chain.yaml"])
        let ledger = fixture.root + "/artifacts/ledger.sqlite"
        for suffix in ["-wal", "-shm"] { unlink(ledger + suffix) }
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: ledger))
        let status = try fixture.mimir(["run", "chain.yaml"])
        #expect(status.status == 1 && status.output.contains("ledger.sqlite is damaged") && status.output.contains("mimir recover"), "\(status.output)")
        let recovered = try fixture.mimir(["recover"])
        #expect(recovered.status == 0 && recovered.output.contains("recovered 5 runs"), "\(recovered.output)")
        #expect(RunnerFixture.counts(try fixture.mimir(["run", "chain.yaml"]).output)?.ran == 0)
    }

    @Test func missingDeclaredOutputFailsTheStage() throws {
        let fixture = try RunnerFixture(pipeline: RunnerFixture.chain.replacingOccurrences(of: "params: {n: 9}", with: "params: {n: 9, skip_output: true}"))
        let run = try fixture.mimir(["run", "chain.yaml"])
        #expect(run.status == 1 && run.output.contains("d: FAILED: exited 0 without writing out.txt"), "\(run.output)")
        #expect(RunnerFixture.counts(run.output)?.ran == 4)
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/artifacts/chain/d"))
    }

    @Test func commandPrintsWhatRunsTheStageByHand() throws {
        let fixture = try RunnerFixture()
        try fixture.mimir(["run", "chain.yaml"])
        let command = try fixture.mimir(["command", "chain.yaml", "c"]).output
        #expect(command.contains("tool.sh --in artifacts/chain/b/1/out.txt --in artifacts/chain/b/2/out.txt --n 5 --sleep 0 --out artifacts/chain/c"), "\(command)")
    }

    @Test func gcDeletesWhatNoRunOwns() throws {
        let fixture = try RunnerFixture()
        try fixture.mimir(["run", "chain.yaml"])
        try fixture.write("chain.yaml", RunnerFixture.chain.replacingOccurrences(of: "n: [1, 2]", with: "n: [1]"))
        try fixture.mimir(["run", "chain.yaml"])
        try fixture.write("chain.yaml", RunnerFixture.chain.replacingOccurrences(of: "n: [1, 2]", with: "n: [1, 3]"))
        try fixture.mimir(["run", "chain.yaml"])
        let gc = try fixture.mimir(["gc", "--keep", "1"])
        #expect(gc.status == 0 && gc.output.contains("runs forgotten"), "\(gc.output)")
        #expect(FileManager.default.fileExists(atPath: fixture.root + "/artifacts/chain/b/3/out.txt"))
    }

    @Test func transientOutputsAreDroppedAfterTheirReaders_keepThemFresh_andAreMadeAgainWhenNeeded() throws {
        let transient = RunnerFixture.chain.replacingOccurrences(of: "params: {n: 1}", with: "params: {n: 1}\n    transient: true")
        let fixture = try RunnerFixture(pipeline: transient)
        let first = try fixture.mimir(["run", "chain.yaml"])
        #expect(first.status == 0 && first.output.contains("a: dropped out.txt (transient; every reader has run)"), "\(first.output)")
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/artifacts/chain/a/out.txt"))
        let status = try fixture.mimir(["status", "chain.yaml"]).output
        #expect(status.contains("fresh, dropped") && status.contains("dropped out.txt (transient)"), "\(status)")
        // Its readers stay fresh: their keys hold its digest, not its file.
        let again = try fixture.mimir(["run", "chain.yaml"])
        #expect(RunnerFixture.counts(again.output)?.ran == 0 && RunnerFixture.counts(again.output)?.fresh == 5, "\(again.output)")
        // A job that does not read it reruns alone.
        try fixture.write("chain.yaml", transient.replacingOccurrences(of: "params: {n: 5}", with: "params: {n: 6}"))
        #expect(RunnerFixture.counts(try fixture.mimir(["run", "chain.yaml"]).output)?.ran == 1)
        // A new reader (sweep value 3) needs it: it is made again first, then dropped again.
        try fixture.write("chain.yaml", transient.replacingOccurrences(of: "n: [1, 2]", with: "n: [1, 3]"))
        let dry = try fixture.mimir(["status", "chain.yaml"]).output
        #expect(dry.contains("first makes again the dropped outputs of a"), "\(dry)")
        let remade = try fixture.mimir(["run", "chain.yaml"])
        #expect(remade.status == 0 && remade.output.contains("a: running (made again: a job that reads its dropped outputs must run)"), "\(remade.output)")
        #expect(RunnerFixture.counts(remade.output)?.ran == 3, "\(remade.output)")  // a, b@3, c
        #expect(fixture.read("artifacts/chain/c/out.txt") == "source\nn=1\nn=1\nsource\nn=1\nn=3\nn=5\n")
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/artifacts/chain/a/out.txt"))
        // gc keeps the dropped run; a ledger rebuilt from the manifests knows what was dropped.
        #expect(try fixture.mimir(["gc", "--keep", "1"]).status == 0)
        let ledger = fixture.root + "/artifacts/ledger.sqlite"
        for suffix in ["-wal", "-shm"] { unlink(ledger + suffix) }
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: ledger))
        #expect(try fixture.mimir(["recover"]).status == 0)
        let afterRecovery = try fixture.mimir(["run", "chain.yaml"])
        #expect(RunnerFixture.counts(afterRecovery.output)?.ran == 0, "\(afterRecovery.output)")
    }
}
