import Foundation
import Testing
import TestSupport
@testable import Runner

/// How the runner accounts for a stage's process.
@Suite(.needs(RunnerFixture.available, "needs the built stages (swift build)"))
struct StageProcessTests {
    /// A job's peak memory is its stage's own. The kernel's accounting (wait4's ru_maxrss) gives a child
    /// of posix_spawn its parent's peak: here a shell started while this process holds 256 MB reports
    /// at least that. A stage reports its own peak instead, which GNU time (a small parent) agrees with.
    @Test(.needs(FileManager.default.isExecutableFile(atPath: "/usr/bin/time"), "needs GNU time (Debian's time)"))
    func peakMemory_isTheStagesOwn_notItsParents() throws {
        let held = 256 << 20
        let ballast = UnsafeMutableRawPointer.allocate(byteCount: held, alignment: 4096)
        defer { ballast.deallocate() }
        memset(ballast, 1, held)
        let directory = try TemporaryDirectory()

        let shell = StageProcess.wait(try StageProcess.spawn(["/bin/sh", "-c", "exit 0"], logPath: directory.file("sh.log")))
        #expect(shell.usage.peakMemoryBytes >= Int64(held), "a program that does not report: the kernel's figure, the parent's peak")

        let stage = [CrossCheck.packageRoot + "/.build/debug/mimir-fit", "--no-such-option"]
        let ours = StageProcess.wait(try StageProcess.spawn(stage, logPath: directory.file("fit.log")))
        #expect(ours.ending == .exited(2))
        let timed = try CrossCheck.run("/usr/bin/time", ["-f", "peak %M"] + stage)
        let kilobytes = timed.output.split(separator: "\n").last { $0.hasPrefix("peak ") }.flatMap { Int64($0.dropFirst(5)) }
        let gnu = try #require(kilobytes, "\(timed.output)") * 1024
        #expect(ours.usage.peakMemoryBytes < Int64(held) / 2, "\(ours.usage.peakMemoryBytes) bytes")
        #expect(abs(ours.usage.peakMemoryBytes - gnu) <= max(gnu / 4, 4 << 20), "ours \(ours.usage.peakMemoryBytes), GNU time \(gnu)")
        withExtendedLifetime(ballast) {}
    }
}
