import Foundation
import Testing
import TestSupport

/// A single-node Slurm (Debian's slurm-wlm and munge) in a temporary folder, started once for these
/// tests by `Tests/interop/slurm_cluster.sh` and stopped by pid when the test process exits. Its
/// MaxArraySize is 5, so that a sweep of six values needs two arrays.
final class SlurmCluster: Sendable {
    static let maxArraySize = 5
    static let tools = ["sbatch", "squeue", "scancel", "scontrol", "slurmctld", "slurmd", "munged"]
    /// The daemons run as root (CI runs as root).
    static let available = getuid() == 0 && tools.allSatisfy { tool in
        ["/usr/bin", "/usr/sbin", "/bin", "/sbin"].contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
    }
    static let reason: Comment = "needs root and a single-node Slurm (Debian's slurm-wlm and munge: make deps-test)"

    let base: String
    var configuration: String { base + "/slurm.conf" }

    /// The cluster, started on first use, or what slurm_cluster.sh printed when it did not start.
    static let started: Result<SlurmCluster, ClusterError> = {
        do {
            let cluster = try SlurmCluster()
            stopAtExit = cluster.base
            atexit { SlurmCluster.stop(base: SlurmCluster.stopAtExit) }
            return .success(cluster)
        } catch let error as ClusterError {
            return .failure(error)
        } catch {
            return .failure(.notStarted("\(error)"))
        }
    }()

    /// The started cluster; a test that needs it fails with the script's output otherwise.
    static func shared() throws -> SlurmCluster {
        switch started {
        case .success(let cluster): return cluster
        case .failure(.notStarted(let output)):
            Issue.record("the single-node Slurm did not start (Tests/interop/slurm_cluster.sh):\n\(output)")
            throw ClusterError.notStarted(output)
        }
    }

    nonisolated(unsafe) private static var stopAtExit = ""

    private init() throws {
        base = NSTemporaryDirectory() + "mimir-slurm-" + UUID().uuidString.prefix(8)
        // Ports of their own (not Slurm's 6817/6818), apart for each test process and below the
        // ephemeral range (32768 up), where a connection's own port could already hold them.
        let port = 20_000 + Int(getpid() % 6_000) * 2
        let (status, output) = Self.script("start", base: base, settings: [
            "CTLD_PORT=\(port)", "SLURMD_PORT=\(port + 1)", "MAX_ARRAY_SIZE=\(Self.maxArraySize)",
        ])
        guard status == 0 else {
            Self.stop(base: base)
            throw ClusterError.notStarted(output)
        }
    }

    enum ClusterError: Error { case notStarted(String) }

    private static func stop(base: String) {
        _ = script("stop", base: base)
        try? FileManager.default.removeItem(atPath: base)
    }

    /// Runs slurm_cluster.sh with its output in a file beside the cluster's folder, waiting for the
    /// script's own pid: the daemons it leaves behind must not make the wait last as long as they do.
    private static func script(_ command: String, base: String, settings: [String] = []) -> (status: Int32, output: String) {
        let log = base + ".log"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO)
        let arguments = ["/usr/bin/env", "BASE=\(base)"] + settings + ["bash", CrossCheck.packageRoot + "/Tests/interop/slurm_cluster.sh", command]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, arguments[0], &actions, nil, argv, environ) == 0 else { return (-1, "cannot start slurm_cluster.sh") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        defer { unlink(log) }
        return ((status >> 8) & 0xff, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
    }

    /// Slurm's client commands against this cluster.
    func run(_ command: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try CrossCheck.run("/usr/bin/env", ["SLURM_CONF=\(configuration)", command] + arguments)
    }

    /// The cluster's jobs that are not over (pending, running, completing).
    func liveJobs() throws -> [String] {
        try run("squeue", ["-h", "-r", "-t", "PD,R,CG", "-o", "%i"]).output.split(separator: "\n").map(String.init)
    }
}

/// The runner's Slurm executor on a real Slurm: artifacts equal to a local run's, arrays chunked at
/// MaxArraySize, arguments that no shell touches, failures, a runner killed while its tasks run,
/// `--detach` with `mimir status` collecting, and `mimir cancel` and Ctrl-C cancelling.
@Suite(.serialized, .needs(RunnerFixture.available, "needs the built mimir (swift build)"),
       .needs(SlurmCluster.available, SlurmCluster.reason))
struct SlurmExecutorTests {
    /// a -> b (a sweep of six: two arrays) -> c.
    static let sweep = """
        pipeline: chain
        inputs:
          source: source.txt
        sweeps:
          n: [1, 2, 3, 4, 5, 6]
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
            params: {n: 7}
        """

    private func fixture(_ pipeline: String = Self.sweep) throws -> RunnerFixture {
        let cluster = try SlurmCluster.shared()
        let fixture = try RunnerFixture(pipeline: pipeline)
        fixture.environment["SLURM_CONF"] = cluster.configuration
        return fixture
    }

    @Test func artifactsEqualALocalRunsByteForByte() throws {
        let fixture = try fixture()
        let slurm = try fixture.mimir(["run", "chain.yaml", "--executor", "slurm"], artifacts: "on-slurm")
        #expect(slurm.status == 0 && RunnerFixture.counts(slurm.output)?.ran == 8, "\(slurm.output)")
        // Six b jobs at MaxArraySize 5: one sbatch of 5 tasks and one of 1, listed on one line.
        let arrays = slurm.output.split(separator: "\n").first { $0.contains("submitted 6 tasks of b") }
        #expect(arrays?.split(separator: "(").last?.split(separator: ",").count == 2, "\(slurm.output)")
        let local = try fixture.mimir(["run", "chain.yaml", "-j", "2"], artifacts: "local")
        #expect(local.status == 0)
        let (onSlurm, here) = (fixture.artifacts("on-slurm"), fixture.artifacts("local"))
        #expect(onSlurm.count == 8 && onSlurm == here)
        // Nothing left behind in Slurm's folder or the queue, and a second run finds everything fresh.
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: fixture.root + "/on-slurm/chain/.slurm")) ?? []).isEmpty)
        #expect(try SlurmCluster.shared().liveJobs().isEmpty)
        let again = try fixture.mimir(["run", "chain.yaml", "--executor", "slurm"], artifacts: "on-slurm")
        #expect(again.status == 0 && RunnerFixture.counts(again.output)?.ran == 0, "\(again.output)")
    }

    @Test func argumentsReachTheStageUnchanged() throws {
        let hostile = "it's \"quoted\" $(touch pwned) `touch pwned2` ; & | * \\ %a %j"
        let fixture = try fixture("""
            pipeline: chain
            steps:
              a:
                stage: echo
                params: {label: "\(hostile.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))"}
            """)
        // A stage that writes each argument it got on a line of its own, in brackets.
        try fixture.write("echo.sh", """
            #!/bin/sh
            for argument in "$@"; do [ "$previous" = --out ] && out="$argument"; previous="$argument"; done
            mkdir -p "$out" && printf '[%s]\\n' "$@" > "$out/args.txt"
            """)
        chmod(fixture.root + "/echo.sh", 0o755)
        try fixture.write("stages/echo.yaml", """
            stage: echo
            executable: \(fixture.root)/echo.sh
            version: "1"
            outputs:
              args: args.txt
            params:
              label: {type: string, default: "", help: "Any text."}
            """)
        let artifacts = "art $(touch pwned3) 'x' %a"
        let run = try fixture.mimir(["run", "chain.yaml", "--executor", "slurm", "--slurm-option=--comment=\(hostile)"], artifacts: artifacts)
        #expect(run.status == 0, "\(run.output)")
        #expect(fixture.read(artifacts + "/chain/a/args.txt")?.contains("\n[\(hostile)]\n") == true, "\(fixture.read(artifacts + "/chain/a/args.txt") ?? "")")
        for name in ["pwned", "pwned2", "pwned3"] { #expect(!FileManager.default.fileExists(atPath: fixture.root + "/" + name)) }
    }

    @Test func aFailedTaskFailsItsJobAndBlocksItsDependants() throws {
        let fixture = try fixture(Self.sweep.replacingOccurrences(of: "params: {n: 1}", with: "params: {n: 1, skip_output: true}"))
        let run = try fixture.mimir(["run", "chain.yaml", "--executor", "slurm"])
        #expect(run.status == 1, "\(run.output)")
        // The message names the job, its Slurm id and its log.
        let failure = run.output.split(separator: "\n").first { $0.contains("a: FAILED") }.map(String.init) ?? ""
        #expect(failure.contains("Slurm task ") && failure.contains("_0 exited 0 without writing out.txt") && failure.contains("log: artifacts/chain/.logs/a-"), "\(run.output)")
        #expect(fixture.calls == 1 && fixture.artifacts().isEmpty)
        let status = try fixture.mimir(["status", "chain.yaml"])
        #expect(status.output.contains("b@1  stale") || status.output.contains("b@1  waits"), "\(status.output)")
    }

    @Test func aKilledRunnersTasksAreCollectedNotRunAgain() throws {
        let fixture = try fixture(Self.sweep.replacingOccurrences(of: "params: {n: 1}", with: "params: {n: 1, sleep: 3}"))
        let first = try fixture.start(["run", "chain.yaml", "--executor", "slurm"])
        #expect(RunnerFixture.waitUntil(30) { fixture.calls == 1 })
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        #expect(try SlurmCluster.shared().liveJobs().count == 1, "the task outlives its runner")
        // No --executor: the outstanding task makes it a Slurm run, which waits for a and goes on.
        let second = try fixture.mimir(["run", "chain.yaml"])
        #expect(second.status == 0 && second.output.contains("collecting 1 Slurm task"), "\(second.output)")
        #expect(fixture.calls == 8, "every job ran once: \(fixture.read("state/calls") ?? "")")
        #expect(fixture.read("artifacts/chain/c/out.txt")?.hasSuffix("n=7\n") == true)
    }

    @Test func detachedRunsAreCollectedByStatus() throws {
        let fixture = try fixture()
        let detached = try fixture.mimir(["run", "chain.yaml", "--executor", "slurm", "--detach"])
        #expect(detached.status == 0 && detached.output.contains("1 submitted to Slurm"), "\(detached.output)")
        // A local run would run a again beside it: refused while a is outstanding.
        let local = try fixture.mimir(["run", "chain.yaml", "--executor", "local"])
        #expect(local.status == 2 && local.output.contains("mimir cancel chain"), "\(local.output)")
        var status = ""
        let collected = RunnerFixture.waitUntil(90) {
            status = (try? fixture.mimir(["status", "chain.yaml"]).output) ?? ""
            return status.split(separator: "\n").filter { $0.contains("  fresh  ") }.count == 8
        }
        #expect(collected, "\(status)")
        #expect(fixture.calls == 8)
        let rerun = try fixture.mimir(["run", "chain.yaml"])
        #expect(rerun.status == 0 && RunnerFixture.counts(rerun.output)?.ran == 0, "\(rerun.output)")
    }

    @Test func cancelAndCtrlCStopTheTasks() throws {
        let slow = Self.sweep.replacingOccurrences(of: "params: {n: 1}", with: "params: {n: 1, sleep: 60}")
        let fixture = try fixture(slow)
        #expect(try fixture.mimir(["run", "chain.yaml", "--executor", "slurm", "--detach"]).status == 0)
        #expect(RunnerFixture.waitUntil(30) { fixture.calls == 1 })
        let cancel = try fixture.mimir(["cancel", "chain.yaml"])
        #expect(cancel.status == 0 && cancel.output.contains("cancelled 1 Slurm task, recorded as interrupted"), "\(cancel.output)")
        // The stage has ended; Slurm may still be completing the job for a moment.
        #expect(RunnerFixture.waitUntil(20) { (try? SlurmCluster.shared().liveJobs().isEmpty) == true })
        let log = try fixture.mimir(["log", "chain"])
        #expect(log.output.contains("interrupted"), "\(log.output)")

        // Ctrl-C: the waiting runner cancels its task and ends as interrupted.
        let waiting = try fixture.start(["run", "chain.yaml", "--executor", "slurm"])
        #expect(RunnerFixture.waitUntil(30) { fixture.calls == 2 })
        kill(waiting.process.processIdentifier, SIGINT)
        waiting.process.waitUntilExit()
        #expect(waiting.process.terminationStatus == 130)
        #expect(RunnerFixture.waitUntil(20) { (try? SlurmCluster.shared().liveJobs().isEmpty) == true })
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/artifacts/chain/a/out.txt"))
    }
}
