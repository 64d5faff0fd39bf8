/// What kind of failure an error is, so every stage ends with the exit code the stage contract fixes
/// (ARCHITECTURE.md, point 4): usage 2, bad input 3, anything else 1. Each library's error type
/// classifies itself; the command-line layer maps the class to the code.
public enum ErrorClass: Sendable {
    /// The command line or the parameters are wrong.
    case usage
    /// An input file is damaged or not what it should be.
    case badInput
    /// Anything else: the system failed (I/O, memory).
    case failure
}

public protocol ClassifiedError: Error, CustomStringConvertible {
    var errorClass: ErrorClass { get }
}

extension TableError: ClassifiedError {
    public var errorClass: ErrorClass {
        switch self {
        case .corrupt, .unsupported, .limitExceeded, .noSuchColumn, .mismatch: .badInput
        case .invalidInput: .usage
        case .io: .failure
        }
    }
}
