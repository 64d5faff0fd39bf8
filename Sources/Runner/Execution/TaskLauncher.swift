import Foundation
import SystemSupport

/// The compute node's side of a batch task: `mimir launch-task DIRECTORY` reads the task file of its
/// array index (`I.task`: the stage's command and log), runs the stage as the local executor does,
/// and leaves how it ended in `I.status`, written atomically, for the runner to collect. The batch
/// script only execs the launcher: no shell ever sees a user's string.
public enum TaskLauncher {
    /// What to run: the stage's arguments (the executable first) and its log file.
    struct TaskFile: Codable {
        var arguments: [String]
        var log: String
    }

    /// How it ended: what `I.status` holds.
    struct StatusFile: Codable {
        var ending: TaskResult.Ending
        var seconds: Double
        var usage: ResourceUsage?
    }

    static func taskPath(directory: String, index: Int) -> String { "\(directory)/\(index).task" }

    /// The status file beside a task file.
    static func statusPath(taskFile: String) -> String { String(taskFile.dropLast(".task".count)) + ".status" }

    static func write(_ task: TaskFile, to path: String) throws {
        try Publisher.write(try JSONEncoder.sorted.encode(task), to: path)
    }

    /// The status a finished launcher left, if any (a half-written one cannot be seen: it is renamed into place).
    static func status(taskFile: String) -> StatusFile? {
        FileManager.default.contents(atPath: statusPath(taskFile: taskFile)).flatMap { try? JSONDecoder().decode(StatusFile.self, from: $0) }
    }

    /// Runs task `index` of `directory`; returns the exit status for the launcher to end with (the
    /// stage's, or 128 + its signal, so that Slurm's own record agrees).
    public static func run(directory: String, index: Int) throws -> Int32 {
        let taskFile = taskPath(directory: directory, index: index)
        guard let data = FileManager.default.contents(atPath: taskFile) else { throw RunnerError.io("cannot read the task file \(taskFile)") }
        guard let task = try? JSONDecoder().decode(TaskFile.self, from: data), !task.arguments.isEmpty else {
            throw RunnerError.io("\(taskFile) is not a task file this launcher reads")
        }
        let start = DispatchTime.now().uptimeNanoseconds
        var result: StatusFile
        do {
            let process = try StageProcess.spawn(task.arguments, logPath: task.log)
            // scancel and Slurm's time limit signal the launcher: the stage hears it, and the launcher
            // lives on to say how the stage ended.
            let forwarders = [SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2].map { number -> DispatchSourceSignal in
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { kill(-process.pid, number) }
                source.resume()
                return source
            }
            let (ending, usage) = StageProcess.wait(process)
            forwarders.forEach { $0.cancel() }
            result = StatusFile(ending: ending, seconds: Nanoseconds.seconds(Int64(DispatchTime.now().uptimeNanoseconds - start)), usage: usage)
        } catch {
            result = StatusFile(ending: .notStarted("\(error)"), seconds: 0)
        }
        try Publisher.write(try JSONEncoder.sorted.encode(result), to: statusPath(taskFile: taskFile))
        switch result.ending {
        case let .exited(code): return code
        case let .signalled(number): return 128 + number
        case .notStarted: return 127
        }
    }
}
