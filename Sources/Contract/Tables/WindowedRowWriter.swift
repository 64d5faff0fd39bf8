import Dispatch
import Table
import SystemSupport

/// Collects rows of one windowed table (the window columns, then string, int64 and int32 columns in
/// the schema's order) column by column and writes them in batches, each on a thread of its own
/// while the next gathers (mimir-flows on the capture bench: 0.20-0.21 s, against 0.25-0.30 s
/// writing each batch in turn).
public final class WindowedRowWriter {
    private let writer: BatchWriter
    // Appended to for every row, from one thread, never across a call that could re-enter: dynamic
    // exclusivity checks on these cost a tenth of the flow stage's time (measured), so they are off.
    /// Rows begun so far.
    @exclusivity(unchecked) public private(set) var rows = 0
    @exclusivity(unchecked) private var batchRows = 0
    @exclusivity(unchecked) private var columns: BatchColumns
    private let layout: [(kind: Kind, slot: Int)]

    enum Kind { case string, int64, int32 }

    /// A writer of a table whose columns are the window columns, then string, int64 and int32 columns.
    public init(path: String, schema: Schema, metadata: [KeyValue]) throws {
        var layout: [(Kind, Int)] = []
        var counts = (0, 0, 0)
        for field in schema.fields.dropFirst(4) {
            switch field.type {
            case .string: layout.append((.string, counts.0)); counts.0 += 1
            case .int32: layout.append((.int32, counts.2)); counts.2 += 1
            default: layout.append((.int64, counts.1)); counts.1 += 1
            }
        }
        self.layout = layout
        columns = BatchColumns(strings: counts.0, integers: counts.1, smallIntegers: counts.2)
        writer = try BatchWriter(TableWriter(path: path, schema: schema, metadata: metadata), layout: layout)
    }

    /// Starts a row; `start` in nanoseconds since the epoch.
    public func beginRow(length: Int, index: Int64, start: Int64, partial isPartial: Bool) {
        let last = columns.windowRuns.count - 1
        if last >= 0, columns.windowRuns[last].index == index, columns.windowRuns[last].length == Int32(length),
           columns.windowRuns[last].partial == isPartial {
            columns.windowRuns[last].rows += 1
        } else {
            columns.windowRuns.append(WindowRun(length: Int32(length), index: index, start: floorDivide(start, 1000), partial: isPartial, rows: 1))
        }
        batchRows += 1
        rows += 1
    }

    /// Sets the current row's string in slot `slot` (the slot-th string column).
    public func string(_ slot: Int, _ value: String) { columns.strings[slot].append(value) }
    /// Appends value `index` of `column`: for texts interned once and repeated in many rows.
    public func string(_ slot: Int, from column: ByteArrayColumn, at index: Int) { columns.strings[slot].append(from: column, at: index) }
    /// Sets the current row's int64 in slot `slot`.
    public func int64(_ slot: Int, _ value: Int64) { columns.integers[slot].append(value) }
    /// Sets the current row's int64 in slot `slot` to `value`, or to null (a nullable column's).
    public func int64(_ slot: Int, orNull value: Int64?) {
        if value == nil && columns.integerValidity[slot] == nil {
            columns.integerValidity[slot] = Array(repeating: true, count: columns.integers[slot].count)
        }
        columns.integerValidity[slot]?.append(value != nil)
        columns.integers[slot].append(value ?? 0)
    }
    /// Sets the current row's int32 in slot `slot`.
    public func int32(_ slot: Int, _ value: Int32) { columns.smallIntegers[slot].append(value) }

    /// Writes a batch when enough rows have gathered, so memory stays bounded.
    public func flushIfLarge() throws {
        if batchRows >= 65_536 { try flush() }
    }

    /// Hands the rows gathered to the writing thread, and gathers on into the columns of the batch
    /// before, once that is written (at most one batch waits: memory stays bounded).
    func flush() throws {
        guard batchRows > 0 else { return }
        let emptied = try writer.takeEmptied()
        let filled = columns
        columns = emptied ?? BatchColumns(like: filled)
        batchRows = 0
        // Moved, not copied: the writing thread then owns the only reference to the buffers, and
        // empties them in place.
        writer.write(consume filled)
    }

    /// Writes the rows left and publishes the file.
    public func close() throws {
        try flush()
        try writer.close()
    }
}

/// One window's run of rows: the window columns repeat for every row of a window, so they are
/// spelled out only when a batch is written.
private struct WindowRun {
    var length: Int32
    var index: Int64
    var start: Int64
    var partial: Bool
    var rows: Int
}

/// A batch's rows, column by column.
private struct BatchColumns {
    var windowRuns: [WindowRun] = []
    var strings: [ByteArrayColumn]
    var integers: [[Int64]]
    /// Per int64 slot, which rows hold a value; nil while every row of the batch does.
    var integerValidity: [[Bool]?]
    var smallIntegers: [[Int32]]

    init(strings: Int, integers: Int, smallIntegers: Int) {
        self.strings = Array(repeating: ByteArrayColumn(), count: strings)
        self.integers = Array(repeating: [], count: integers)
        integerValidity = Array(repeating: nil, count: integers)
        self.smallIntegers = Array(repeating: [], count: smallIntegers)
    }

    init(like other: BatchColumns) {
        self.init(strings: other.strings.count, integers: other.integers.count, smallIntegers: other.smallIntegers.count)
    }

    /// The rows as a batch sharing the columns' buffers.
    func batch(schema: Schema, layout: [(kind: WindowedRowWriter.Kind, slot: Int)]) throws -> TableBatch {
        func spelledOut<T>(_ value: (WindowRun) -> T) -> [T] { windowRuns.flatMap { repeatElement(value($0), count: $0.rows) } }
        var columns = [ColumnArray(spelledOut(\.length)), ColumnArray(spelledOut(\.index)), ColumnArray(.int64(spelledOut(\.start))),
                       ColumnArray(spelledOut(\.partial))]
        for (kind, slot) in layout {
            switch kind {
            case .string: columns.append(ColumnArray(.byteArray(strings[slot])))
            case .int64: columns.append(ColumnArray(.int64(integers[slot]), validity: integerValidity[slot]))
            case .int32: columns.append(ColumnArray(smallIntegers[slot]))
            }
        }
        return try TableBatch(schema: schema, columns: columns)
    }

    /// Empties the columns in place: once a batch is written they are ours alone again, and the next
    /// batch reuses their memory instead of faulting in fresh pages.
    mutating func removeAllKeepingCapacity() {
        windowRuns.removeAll(keepingCapacity: true)
        for slot in strings.indices { strings[slot].removeAllKeepingCapacity() }
        for slot in integers.indices {
            integers[slot].removeAll(keepingCapacity: true)
            integerValidity[slot] = nil
        }
        for slot in smallIntegers.indices { smallIntegers[slot].removeAll(keepingCapacity: true) }
    }
}

/// Writes batches to a table on a serial queue, in the order they come, one at a time.
///
/// `@unchecked Sendable`: the table writer and a batch's columns are touched by one thread at a time:
/// the queue's job from `write` until the gathering thread waits for it (`takeEmptied`, `close`).
private final class BatchWriter: @unchecked Sendable {
    private let table: TableWriter
    private let layout: [(kind: WindowedRowWriter.Kind, slot: Int)]
    private let queue = DispatchQueue(label: "mimir.windowed-rows")
    private var pending = false
    /// The batch handed over, until its job takes it.
    private var handedOver: BatchColumns?
    /// What the last job left: the columns it wrote, emptied, or why it failed.
    private var result: Result<BatchColumns, any Error>?

    init(_ table: TableWriter, layout: [(kind: WindowedRowWriter.Kind, slot: Int)]) {
        (self.table, self.layout) = (table, layout)
    }

    /// Starts writing `columns` (after `takeEmptied`); the caller takes them back, emptied, with
    /// `takeEmptied`.
    func write(_ columns: consuming BatchColumns) {
        handedOver = columns
        pending = true
        queue.async { [self] in
            result = Result {
                var columns = handedOver.take()!
                try table.write(columns.batch(schema: table.schema, layout: layout))
                columns.removeAllKeepingCapacity()
                return columns
            }
        }
    }

    /// Waits for the batch being written; its columns, emptied (nil before the first batch). Throws
    /// what writing it threw.
    func takeEmptied() throws -> BatchColumns? {
        guard pending else { return nil }
        queue.sync {}
        pending = false
        defer { result = nil }
        return try result!.get()
    }

    /// Waits for the last batch and publishes the table.
    func close() throws {
        _ = try takeEmptied()
        try table.close()
    }
}
