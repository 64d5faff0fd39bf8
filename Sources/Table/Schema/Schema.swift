/// One column of a table's schema.
public struct Field: Sendable, Hashable {
    /// The column's name.
    public var name: String
    /// The type of its values.
    public var type: ColumnType
    /// Whether the column may hold nulls (Parquet OPTIONAL) or not (REQUIRED).
    public var nullable: Bool
    /// Whether the writer records min and max statistics for this column. Declare it on the columns
    /// tables are sorted or filtered by, so DuckDB and Spark can skip row groups.
    public var sortKey: Bool

    /// A column `name` of `type`.
    public init(_ name: String, _ type: ColumnType, nullable: Bool = false, sortKey: Bool = false) {
        self.name = name
        self.type = type
        self.nullable = nullable
        self.sortKey = sortKey
    }
}

/// A flat, ordered list of uniquely named columns.
public struct Schema: Sendable, Hashable {
    /// The columns in order.
    public private(set) var fields: [Field]

    /// - Throws: `TableError.invalidInput` if there are no fields, or two share a name.
    public init(_ fields: [Field]) throws {
        guard !fields.isEmpty else { throw TableError.invalidInput("a schema needs at least one column") }
        var seen = Set<String>()
        for field in fields where !seen.insert(field.name).inserted {
            throw TableError.invalidInput("column name '\(field.name)' appears twice in the schema")
        }
        self.fields = fields
    }

    /// For fields already known to be valid.
    init(unchecked fields: [Field]) {
        self.fields = fields
    }

    /// The columns' names in order.
    public var names: [String] { fields.map(\.name) }

    /// The position of the column named `name`.
    public func index(of name: String) -> Int? {
        fields.firstIndex { $0.name == name }
    }

    /// The column named `name`.
    public subscript(name: String) -> Field? {
        index(of: name).map { fields[$0] }
    }
}
