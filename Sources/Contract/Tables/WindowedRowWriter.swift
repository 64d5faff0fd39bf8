import Table
import SystemSupport

/// Collects rows of one windowed table (the window columns, then string, int64 and int32 columns in
/// the schema's order) column by column and writes them in batches.
public final class WindowedRowWriter {
    private let writer: TableWriter
    // Appended to for every row, from one thread, never across a call that could re-enter: dynamic
    // exclusivity checks on these cost a tenth of the flow stage's time (measured), so they are off.
    /// Rows begun so far.
    @exclusivity(unchecked) public private(set) var rows = 0
    /// The window columns, as runs of rows of one window: they repeat for every row of a window, so
    /// they are spelled out only when a batch is written.
    @exclusivity(unchecked) private var windowRuns: [WindowRun] = []
    @exclusivity(unchecked) private var batchRows = 0
    @exclusivity(unchecked) private var strings: [ByteArrayColumn]
    @exclusivity(unchecked) private var integers: [[Int64]]
    /// Per int64 slot, which rows hold a value; nil while every row of the batch does.
    @exclusivity(unchecked) private var integerValidity: [[Bool]?]
    @exclusivity(unchecked) private var smallIntegers: [[Int32]]
    private let stringCount, integerCount, smallCount: Int
    private let layout: [(kind: Kind, slot: Int)]

    enum Kind { case string, int64, int32 }

    private struct WindowRun {
        var length: Int32
        var index: Int64
        var start: Int64
        var partial: Bool
        var rows: Int
    }

    /// A writer of a table whose columns are the window columns, then string, int64 and int32 columns.
    public init(path: String, schema: Schema, metadata: [KeyValue]) throws {
        writer = try TableWriter(path: path, schema: schema, metadata: metadata)
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
        (stringCount, integerCount, smallCount) = counts
        strings = Array(repeating: ByteArrayColumn(), count: counts.0)
        integers = Array(repeating: [], count: counts.1)
        integerValidity = Array(repeating: nil, count: counts.1)
        smallIntegers = Array(repeating: [], count: counts.2)
    }

    /// Starts a row; `start` in nanoseconds since the epoch.
    public func beginRow(length: Int, index: Int64, start: Int64, partial isPartial: Bool) {
        let last = windowRuns.count - 1
        if last >= 0, windowRuns[last].index == index, windowRuns[last].length == Int32(length), windowRuns[last].partial == isPartial {
            windowRuns[last].rows += 1
        } else {
            windowRuns.append(WindowRun(length: Int32(length), index: index, start: floorDivide(start, 1000), partial: isPartial, rows: 1))
        }
        batchRows += 1
        rows += 1
    }

    /// Sets the current row's string in slot `slot` (the slot-th string column).
    public func string(_ slot: Int, _ value: String) { strings[slot].append(value) }
    /// Appends value `index` of `column`: for texts interned once and repeated in many rows.
    public func string(_ slot: Int, from column: ByteArrayColumn, at index: Int) { strings[slot].append(from: column, at: index) }
    /// Sets the current row's int64 in slot `slot`.
    public func int64(_ slot: Int, _ value: Int64) { integers[slot].append(value) }
    /// Sets the current row's int64 in slot `slot` to `value`, or to null (a nullable column's).
    public func int64(_ slot: Int, orNull value: Int64?) {
        if value == nil && integerValidity[slot] == nil { integerValidity[slot] = Array(repeating: true, count: integers[slot].count) }
        integerValidity[slot]?.append(value != nil)
        integers[slot].append(value ?? 0)
    }
    /// Sets the current row's int32 in slot `slot`.
    public func int32(_ slot: Int, _ value: Int32) { smallIntegers[slot].append(value) }

    /// Writes a batch when enough rows have gathered, so memory stays bounded.
    public func flushIfLarge() throws {
        if batchRows >= 65_536 { try flush() }
    }

    func flush() throws {
        guard batchRows > 0 else { return }
        try writer.write(batch())
        // The batch is gone, so the columns' buffers are ours alone again: emptied in place, the next
        // batch reuses their memory instead of faulting in fresh pages.
        windowRuns.removeAll(keepingCapacity: true)
        batchRows = 0
        for slot in 0..<stringCount { strings[slot].removeAllKeepingCapacity() }
        for slot in 0..<integerCount {
            integers[slot].removeAll(keepingCapacity: true)
            integerValidity[slot] = nil
        }
        for slot in 0..<smallCount { smallIntegers[slot].removeAll(keepingCapacity: true) }
    }

    /// The rows gathered, as a batch sharing the columns' buffers.
    private func batch() throws -> TableBatch {
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
        return try TableBatch(schema: writer.schema, columns: columns)
    }

    /// Writes the rows left and publishes the file.
    public func close() throws {
        try flush()
        try writer.close()
    }
}
