/// What goes wrong in the runner, with a message for the person at the terminal.
public enum RunnerError: Error, CustomStringConvertible, Equatable {
    /// A stage or pipeline declaration that is wrong, with its file and line.
    case declaration(file: String, line: Int?, message: String)
    /// A request that cannot be carried out as asked (unknown step, missing upstream run).
    case usage(String)
    /// The ledger cannot be read.
    case ledger(String)
    /// Another runner holds the artifacts.
    case busy(String)
    /// A file could not be read or written.
    case io(String)
    /// A stage failed (after everything that could run has run).
    case stagesFailed([String])
    /// The run was interrupted by a signal.
    case interrupted

    public var description: String {
        switch self {
        case let .declaration(file, line, message): "\(file)\(line.map { ":\($0)" } ?? ""): \(message)"
        case let .usage(message), let .ledger(message), let .busy(message), let .io(message): message
        case let .stagesFailed(jobs): "failed: \(jobs.joined(separator: ", ")) (mimir log shows their output)"
        case .interrupted: "interrupted; the stages that were running are recorded as interrupted and count for nothing"
        }
    }

    /// The exit code: 2 for what the user asked or declared wrong, 1 otherwise, 130 after Ctrl-C.
    public var exitCode: Int32 {
        switch self {
        case .declaration, .usage: 2
        case .interrupted: 130
        case .busy: 75  // EX_TEMPFAIL: try again later
        default: 1
        }
    }
}
