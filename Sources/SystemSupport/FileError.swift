#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed file operation, with the file's name and the system's reason.
public enum FileError: ClassifiedError, Equatable {
    /// An input could not be opened (missing, unreadable, a directory): the user's input is wrong.
    case cannotOpenInput(path: String, errno: Int32)
    /// Not a regular file where one is read.
    case notARegularFile(path: String)
    /// An input ended before the bytes its size promised: it shrank while it was read.
    case endsEarly(path: String, offset: Int)
    /// Any other system call failed (a full disk, an I/O error).
    case io(path: String, operation: String, errno: Int32)

    public var errorClass: ErrorClass {
        switch self {
        case .cannotOpenInput, .notARegularFile, .endsEarly: .badInput
        case .io: .failure
        }
    }

    public var description: String {
        switch self {
        case let .cannotOpenInput(path, errno): "\(path): cannot open: \(String(cString: strerror(errno)))"
        case let .notARegularFile(path): "\(path): not a regular file"
        case let .endsEarly(path, offset): "\(path): the file ends early, at byte offset \(offset) (it shrank while it was read)"
        case let .io(path, operation, errno): "\(path): \(operation) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        }
    }
}

/// Calls `systemCall` until it does not fail with EINTR (a signal arrived), and returns its result.
/// System calls report failure with a negative result and the reason in `errno`.
@inline(__always)
public func retryOnInterrupt<Result: SignedInteger>(_ systemCall: () -> Result) -> Result {
    while true {
        let result = systemCall()
        if result >= 0 || errno != EINTR { return result }
    }
}
