import Foundation
import Testing
import Table
import Contract

/// The row writer of the windowed tables writes its batches on a thread of its own while the next
/// gathers, reusing the columns of the batch before: every row must still land once, in order.
@Suite struct WindowedRowWriterTests {
    /// 200,003 rows (four batches, the last partial) of windows of 1,000 rows, a string column (plain
    /// and interned texts), a nullable int64 whose first null comes in the third batch, and an int32:
    /// pyarrow reads back every value in the order written.
    @Test(.needs(CrossCheck.python != nil, "no Python environment: run `make venv`"))
    func batchesWrittenMeanwhile_keepEveryRowInOrder_readByPyarrow() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("rows.parquet")
        let schema = try Schema(WindowColumns.fields + [Field("pod", .string), Field("bytes", .int64, nullable: true), Field("proto", .int32)])
        let interned = ByteArrayColumn(["interned-a", "interned-b"])
        let rows = 200_003
        let writer = try WindowedRowWriter(path: path, schema: schema, metadata: [])
        for row in 0..<rows {
            let window = Int64(row / 1_000)
            writer.beginRow(length: 10, index: window, start: window * 10_000_000_000, partial: row >= rows - 3)
            if row % 3 == 0 { writer.string(0, from: interned, at: row % 2) } else { writer.string(0, "pod-\(row)") }
            writer.int64(0, orNull: row >= 140_000 && row % 11 == 0 ? nil : Int64(row) * 7)
            writer.int32(0, Int32(truncatingIfNeeded: row % 65_537))
            try writer.flushIfLarge()
        }
        try writer.close()

        let (status, output) = try CrossCheck.runScript("table_as_json.py", [path])
        try #require(status == 0, "\(output)")
        let read = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
        try #require(read.count == rows)
        var wrong: [Int] = []
        for (row, values) in read.enumerated() {
            let window = row / 1_000
            let pod = row % 3 == 0 ? (row % 2 == 0 ? "interned-a" : "interned-b") : "pod-\(row)"
            let bytes: Int? = row >= 140_000 && row % 11 == 0 ? nil : row * 7
            let matches = values["window_index"] as? Int == window && values["window_len_s"] as? Int == 10
                && values["window_start"] as? Int == window * 10_000_000 && values["partial"] as? Bool == (row >= rows - 3)
                && values["pod"] as? String == pod && values["bytes"] as? Int == bytes && (bytes != nil || values["bytes"] is NSNull)
                && values["proto"] as? Int == row % 65_537
            if !matches { wrong.append(row) }
        }
        #expect(wrong.isEmpty, "\(wrong.count) rows differ, the first \(wrong.prefix(5)): \(wrong.first.map { read[$0] } ?? [:])")
    }
}
