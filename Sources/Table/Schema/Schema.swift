/// One column of a table's schema.
public struct Field: Sendable, Hashable {
    public var name: String
    public var type: ColumnType
    /// Whether the column may hold nulls (Parquet OPTIONAL) or not (REQUIRED).
    public var nullable: Bool
    /// Whether the writer records min and max statistics for this column. Declare it on the columns
    /// tables are sorted or filtered by, so DuckDB and Spark can skip row groups.
    public var sortKey: Bool

    public init(_ name: String, _ type: ColumnType, nullable: Bool = false, sortKey: Bool = false) {
        self.name = name
        self.type = type
        self.nullable = nullable
        self.sortKey = sortKey
    }
}

/// A flat, ordered list of uniquely named columns.
public struct Schema: Sendable, Hashable {
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

    public var names: [String] { fields.map(\.name) }

    public func index(of name: String) -> Int? {
        fields.firstIndex { $0.name == name }
    }

    public subscript(name: String) -> Field? {
        index(of: name).map { fields[$0] }
    }
}
