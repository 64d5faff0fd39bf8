import Foundation
import Testing
@testable import Table
@_exported import TestSupport

/// Whether two columns hold the same rows: doubles compared bit for bit (any NaN equals any NaN),
/// a missing validity equal to all-valid, and null slots ignored.
func sameRows(_ a: ColumnArray, _ b: ColumnArray) -> Bool {
    guard a.count == b.count else { return false }
    for row in 0..<a.count {
        guard a.isNull(row) == b.isNull(row) else { return false }
        if a.isNull(row) { continue }
        switch (a.values, b.values) {
        case let (.bool(x), .bool(y)): if x[row] != y[row] { return false }
        case let (.int32(x), .int32(y)): if x[row] != y[row] { return false }
        case let (.int64(x), .int64(y)): if x[row] != y[row] { return false }
        case let (.double(x), .double(y)):
            if !(x[row].isNaN && y[row].isNaN) && x[row].bitPattern != y[row].bitPattern { return false }
        case let (.byteArray(x), .byteArray(y)): if x[row] != y[row] { return false }
        default: return false
        }
    }
    return true
}

/// Writes `batch` to `path` and reads the whole file back.
@discardableResult
func roundTrip(_ batch: TableBatch, at path: String, options: WriterOptions = WriterOptions(),
               metadata: [KeyValue] = []) throws -> TableBatch {
    let writer = try TableWriter(path: path, schema: batch.schema, metadata: metadata, options: options)
    try writer.write(batch)
    try writer.close()
    let reader = try TableReader(path: path)
    #expect(reader.schema == Schema(unchecked: batch.schema.fields.map { Field($0.name, $0.type, nullable: $0.nullable) }))
    let back = try reader.readAll()
    #expect(back.rowCount == batch.rowCount)
    for (index, field) in batch.schema.fields.enumerated() {
        #expect(sameRows(batch.columns[index], back.columns[index]), "column \(field.name) differs after the round trip")
    }
    return back
}
