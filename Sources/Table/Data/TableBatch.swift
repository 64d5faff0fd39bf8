/// Rows of a table held column by column: what the writer takes and the reader returns.
public struct TableBatch: Sendable, Hashable {
    /// The columns' names and types.
    public let schema: Schema
    /// One array per field of the schema, all of `rowCount` rows.
    public private(set) var columns: [ColumnArray]

    /// - Throws: `TableError.invalidInput` if the columns do not match the schema: wrong count, a value
    ///   kind that does not fit the field's type, unequal lengths, or nulls in a non-nullable column.
    public init(schema: Schema, columns: [ColumnArray]) throws {
        guard columns.count == schema.fields.count else {
            throw TableError.invalidInput("the batch has \(columns.count) columns, the schema \(schema.fields.count)")
        }
        let rows = columns.first?.count ?? 0
        for (field, column) in zip(schema.fields, columns) {
            guard column.values.fits(field.type) else {
                throw TableError.invalidInput("column '\(field.name)' is \(field.type), the batch holds other values")
            }
            guard column.count == rows else {
                throw TableError.invalidInput("column '\(field.name)' has \(column.count) rows, the first column \(rows)")
            }
            if let validity = column.validity {
                guard validity.count == rows else {
                    throw TableError.invalidInput("column '\(field.name)' has \(validity.count) validity flags for \(rows) rows")
                }
                guard field.nullable || !validity.contains(false) else {
                    throw TableError.invalidInput("column '\(field.name)' is not nullable but the batch has nulls in it")
                }
            }
        }
        self.schema = schema
        self.columns = columns
    }

    /// The number of rows.
    public var rowCount: Int { columns.first?.count ?? 0 }

    /// The column named `name`, if the batch has it.
    public subscript(name: String) -> ColumnArray? {
        schema.index(of: name).map { columns[$0] }
    }
}
