/// The values of one column, one slot per row. A null row's slot holds a placeholder (0, false or an
/// empty value) that is never written; `validity` says which rows are null.
public enum ColumnValues: Sendable, Hashable {
    case bool([Bool])
    case int32([Int32])
    /// int64 and timestamp columns (timestamps in microseconds since the Unix epoch, UTC).
    case int64([Int64])
    case double([Double])
    /// string and binary columns.
    case byteArray(ByteArrayColumn)

    public var count: Int {
        switch self {
        case let .bool(values): values.count
        case let .int32(values): values.count
        case let .int64(values): values.count
        case let .double(values): values.count
        case let .byteArray(values): values.count
        }
    }

    /// Whether these values can be stored in a column of `type`.
    public func fits(_ type: ColumnType) -> Bool {
        switch (self, type) {
        case (.bool, .bool), (.int32, .int32), (.int64, .int64), (.int64, .timestamp), (.double, .double),
             (.byteArray, .string), (.byteArray, .binary):
            true
        default:
            false
        }
    }
}

/// A column's values and which of them are null.
public struct ColumnArray: Sendable, Hashable {
    /// The values, one slot per row.
    public var values: ColumnValues
    /// `validity[i]` is false where row `i` is null; `nil` means no row is null.
    public var validity: [Bool]?

    /// A column of `values`, with nulls where `validity` is false.
    public init(_ values: ColumnValues, validity: [Bool]? = nil) {
        self.values = values
        self.validity = validity
    }

    public var count: Int { values.count }

    /// How many rows are null.
    public var nullCount: Int { validity.map { $0.count(where: { !$0 }) } ?? 0 }

    /// Whether row `row` is null.
    public func isNull(_ row: Int) -> Bool { validity.map { !$0[row] } ?? false }

    // Typed views for the reader's own use, where it built the values itself. Each traps on a column
    // of another kind; readers of files use Contract's `TypedColumns`, which throw instead.
    var bools: [Bool] { guard case let .bool(v) = values else { preconditionFailure("not a bool column") }; return v }
    var int32s: [Int32] { guard case let .int32(v) = values else { preconditionFailure("not an int32 column") }; return v }
    var int64s: [Int64] { guard case let .int64(v) = values else { preconditionFailure("not an int64 column") }; return v }
    var doubles: [Double] { guard case let .double(v) = values else { preconditionFailure("not a double column") }; return v }
    var byteArrays: ByteArrayColumn {
        guard case let .byteArray(v) = values else { preconditionFailure("not a string or binary column") }
        return v
    }
}

extension ColumnArray {
    /// A bool column without nulls.
    public init(_ values: [Bool]) { self.init(.bool(values)) }
    /// An int32 column without nulls.
    public init(_ values: [Int32]) { self.init(.int32(values)) }
    /// An int64 (or timestamp) column without nulls.
    public init(_ values: [Int64]) { self.init(.int64(values)) }
    /// A double column without nulls.
    public init(_ values: [Double]) { self.init(.double(values)) }
    /// A string column without nulls.
    public init(_ values: [String]) { self.init(.byteArray(ByteArrayColumn(values))) }
    /// A binary column without nulls.
    public init(binary values: [[UInt8]]) { self.init(.byteArray(ByteArrayColumn(binary: values))) }

    /// A nullable int64 column from optionals.
    public init(_ values: [Int64?]) {
        self.init(.int64(values.map { $0 ?? 0 }), validity: values.map { $0 != nil })
    }

    /// A nullable double column from optionals.
    public init(_ values: [Double?]) {
        self.init(.double(values.map { $0 ?? 0 }), validity: values.map { $0 != nil })
    }

    /// A nullable string column from optionals.
    public init(_ values: [String?]) {
        self.init(.byteArray(ByteArrayColumn(values.map { $0 ?? "" })), validity: values.map { $0 != nil })
    }
}

extension ColumnArray {
    /// A column of no rows that holds values of `type`.
    public static func empty(of type: ColumnType) -> ColumnArray {
        switch type {
        case .bool: ColumnArray(.bool([]))
        case .int32: ColumnArray(.int32([]))
        case .int64, .timestamp: ColumnArray(.int64([]))
        case .double: ColumnArray(.double([]))
        case .string, .binary: ColumnArray(.byteArray(ByteArrayColumn()))
        }
    }
}
