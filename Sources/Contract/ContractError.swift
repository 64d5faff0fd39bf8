import SystemSupport
import Table

/// A well-formed table (or model) that breaks the stage contract: a column of another type, a null
/// where a value is required, a value outside what the column may hold, a table of another kind. Each
/// names the file, the column and the row, and is bad input (exit 3).
public enum ContractError: ClassifiedError, Equatable {
    case wrongType(path: String, column: String, expected: String, found: ColumnType)
    case null(path: String, column: String, row: Int)
    case outOfRange(path: String, column: String, row: Int, value: String, allowed: String)
    case notTheTable(path: String, expected: String, detail: String)

    public var errorClass: ErrorClass { .badInput }

    public var description: String {
        switch self {
        case let .wrongType(path, column, expected, found):
            "\(path): column '\(column)' is \(found), expected \(expected)"
        case let .null(path, column, row):
            "\(path): column '\(column)' is null at row \(row), where a value is required"
        case let .outOfRange(path, column, row, value, allowed):
            "\(path): column '\(column)' holds \(value) at row \(row), outside \(allowed)"
        case let .notTheTable(path, expected, detail):
            "\(path): not \(expected): \(detail)"
        }
    }
}
