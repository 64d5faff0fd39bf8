import SystemSupport

/// Everything that can go wrong when reading or writing a table, with the file and byte offset where
/// it went wrong and a message written for the person at the terminal.
public enum TableError: Error, Equatable, CustomStringConvertible {
    /// The file is not valid Parquet: at `offset` the reader expected one thing and found another.
    case corrupt(path: String, offset: Int, detail: String)
    /// Valid Parquet that uses a feature this library does not implement (a codec, an encoding, a type).
    case unsupported(path: String, detail: String)
    /// A size or count claimed by the file is above the reader's limits (see `ReaderLimits`).
    case limitExceeded(path: String, offset: Int, detail: String)
    /// The caller asked for a column the file does not have.
    case noSuchColumn(path: String, name: String, available: [String])
    /// The caller handed the writer data that does not fit its schema, or bad options.
    case invalidInput(String)
    /// A well-formed input that does not fit the others or the parameters (a name it lacks, another rate).
    case mismatch(path: String, detail: String)

    public var description: String {
        switch self {
        case let .corrupt(path, offset, detail):
            return "\(path): not a valid Parquet file at byte offset \(offset): \(detail)"
        case let .unsupported(path, detail):
            return "\(path): \(detail)"
        case let .limitExceeded(path, offset, detail):
            return "\(path): at byte offset \(offset): \(detail)"
        case let .noSuchColumn(path, name, available):
            return "\(path): no column named '\(name)' (columns: \(available.joined(separator: ", ")))"
        case let .invalidInput(detail):
            return detail
        case let .mismatch(path, detail):
            return "\(path): \(detail)"
        }
    }
}

extension TableError: ClassifiedError {
    public var errorClass: ErrorClass {
        switch self {
        case .corrupt, .unsupported, .limitExceeded, .noSuchColumn, .mismatch: .badInput
        case .invalidInput: .usage
        }
    }
}

/// A decoding failure inside an in-memory buffer, at an offset relative to that buffer. The reader
/// turns it into `TableError.corrupt` with the file's name and the absolute offset.
struct DecodeFailure: Error {
    var offset: Int
    var detail: String
}
