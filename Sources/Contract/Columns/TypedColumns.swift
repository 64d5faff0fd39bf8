import Table

/// A batch read from a file, for typed reads that check what the file holds instead of trusting it:
/// each accessor throws a `ContractError` naming the file, the column and the row on a column of
/// another type, a null, or a value outside the range the contract allows.
public struct TypedColumns {
    /// The file the batch was read from, for messages.
    public let path: String
    /// The columns as read.
    public let batch: TableBatch
    /// The file's row number of the batch's first row, for messages.
    public let firstRow: Int

    /// `batch` as read from `path`, its first row being the file's row `firstRow`.
    public init(_ batch: TableBatch, path: String, firstRow: Int = 0) {
        (self.batch, self.path, self.firstRow) = (batch, path, firstRow)
    }

    /// The batch's rows.
    public var rowCount: Int { batch.rowCount }

    /// Whether the batch has a column `name` (for optional columns of older schemas).
    public func has(_ name: String) -> Bool { batch.schema.index(of: name) != nil }

    private func column(_ name: String) throws -> (Field, ColumnArray) {
        guard let index = batch.schema.index(of: name) else {
            throw ContractError.notTheTable(path: path, expected: "a table with a column '\(name)'",
                                            detail: "its columns are \(batch.schema.names.joined(separator: ", "))")
        }
        let column = batch.columns[index]
        if let validity = column.validity, let row = validity.firstIndex(of: false) {
            throw ContractError.null(path: path, column: name, row: firstRow + row)
        }
        return (batch.schema.fields[index], column)
    }

    private func wrongType(_ name: String, _ expected: String, _ field: Field) -> ContractError {
        .wrongType(path: path, column: name, expected: expected, found: field.type)
    }

    /// A bool column.
    public func bools(_ name: String) throws -> [Bool] {
        let (field, column) = try self.column(name)
        guard case let .bool(values) = column.values else { throw wrongType(name, "bool", field) }
        return values
    }

    /// An int32 column; `allowed` bounds its values.
    public func int32s(_ name: String, in allowed: ClosedRange<Int32> = .min ... .max) throws -> [Int32] {
        let (field, column) = try self.column(name)
        guard case let .int32(values) = column.values else { throw wrongType(name, "int32", field) }
        try check(values, name, allowed)
        return values
    }

    /// An int64 column (not a timestamp: a timestamp's unit is not a count's); `allowed` bounds it.
    public func int64s(_ name: String, in allowed: ClosedRange<Int64> = .min ... .max) throws -> [Int64] {
        let (field, column) = try self.column(name)
        guard field.type == .int64, case let .int64(values) = column.values else { throw wrongType(name, "int64", field) }
        try check(values, name, allowed)
        return values
    }

    /// A timestamp column, in microseconds since the epoch (whatever unit the file stores).
    public func timestamps(_ name: String) throws -> [Int64] {
        let (field, column) = try self.column(name)
        guard field.type == .timestamp, case let .int64(values) = column.values else { throw wrongType(name, "timestamp", field) }
        return values
    }

    /// A double column; `allowed` bounds its finite values, and NaN and infinities are refused unless
    /// `nonFinite` allows them.
    public func doubles(_ name: String, in allowed: ClosedRange<Double> = -.greatestFiniteMagnitude ... .greatestFiniteMagnitude,
                        nonFinite: Bool = false) throws -> [Double] {
        let (field, column) = try self.column(name)
        guard case let .double(values) = column.values else { throw wrongType(name, "double", field) }
        if let row = values.firstIndex(where: { $0.isFinite ? !allowed.contains($0) : !nonFinite }) {
            throw ContractError.outOfRange(path: path, column: name, row: firstRow + row, value: "\(values[row])", allowed: "\(allowed)")
        }
        return values
    }

    /// A string column.
    public func strings(_ name: String) throws -> ByteArrayColumn {
        let (field, column) = try self.column(name)
        guard field.type == .string, case let .byteArray(values) = column.values else { throw wrongType(name, "string", field) }
        return values
    }

    private func check<Value: FixedWidthInteger>(_ values: [Value], _ name: String, _ allowed: ClosedRange<Value>) throws {
        guard allowed != Value.min...Value.max else { return }
        if let row = values.firstIndex(where: { !allowed.contains($0) }) {
            throw ContractError.outOfRange(path: path, column: name, row: firstRow + row, value: "\(values[row])", allowed: "\(allowed)")
        }
    }
}

extension TableReader {
    /// Calls `body` with each row group's `columns`, typed and checked.
    public func forEachRowGroup(columns names: [String], _ body: (TypedColumns) throws -> Void) throws {
        var firstRow = 0
        for group in 0..<rowGroupCount {
            let batch = try readRowGroup(group, columns: names)
            try body(TypedColumns(batch, path: path, firstRow: firstRow))
            firstRow += batch.rowCount
        }
    }

    /// Every row of `columns`, typed and checked.
    public func readAllTyped(columns names: [String]? = nil) throws -> TypedColumns {
        TypedColumns(try readAll(columns: names), path: path)
    }
}
