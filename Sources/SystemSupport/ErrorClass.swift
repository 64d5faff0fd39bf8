/// What kind of failure an error is, so every stage ends with the exit code the stage contract fixes
/// (docs/development.md, "Exit codes"): usage 2, bad input 3, anything else 1. Each library's error
/// type classifies itself; the command-line layer maps the class to the code.
public enum ErrorClass: Sendable {
    /// The command line or the parameters are wrong.
    case usage
    /// An input file is missing, damaged or not what it should be.
    case badInput
    /// Anything else: the system failed (I/O, memory).
    case failure
}

/// An error that knows its class and carries a message for the person at the terminal.
public protocol ClassifiedError: Error, CustomStringConvertible {
    /// Which exit code the error ends a stage with.
    var errorClass: ErrorClass { get }
}
