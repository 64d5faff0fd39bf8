// mimir-table-bench: times the table library's writer and reader on a given table, for `make bench`
// (Benchmarks/table_bench.py runs it beside pyarrow on the same data and prints the ratios).
//
//   mimir-table-bench --source SOURCE.parquet --out OUT.parquet [--level N] [--repeat N]
//   mimir-table-bench --read-only FILE.parquet [--repeat N]      (for profiling the reader alone)
//
// The source is read once, untimed; then the whole table is written to OUT (timed) and OUT is read
// back, every column, row group by row group (timed). Prints one JSON line: best times and size.
import Foundation
import Table
import SystemSupport

struct Arguments {
    var source = ""
    var out = ""
    var level: Int32 = 3
    var repeats = 3
    var readOnly: String?

    init(_ arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { throw TableError.invalidInput("\(flag) needs a value") }
            switch flag {
            case "--source": source = value
            case "--out": out = value
            case "--level": level = Int32(value) ?? level
            case "--repeat": repeats = Int(value) ?? repeats
            case "--read-only": readOnly = value
            default: throw TableError.invalidInput("unknown option \(flag)")
            }
        }
        guard readOnly != nil || (!source.isEmpty && !out.isEmpty) else {
            throw TableError.invalidInput("usage: mimir-table-bench --source SOURCE.parquet --out OUT.parquet [--level N] [--repeat N]")
        }
    }
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Reads every column of every row group, keeping the batches as a reader of the whole table would.
func readWhole(_ path: String) throws -> Int {
    let reader = try TableReader(path: path)
    var groups: [TableBatch] = []
    for group in 0..<reader.rowGroupCount { groups.append(try reader.readRowGroup(group)) }
    return groups.reduce(0) { $0 + $1.rowCount }
}

do {
    AllocatorPolicy.keepFreedMemory()
    let arguments = try Arguments(Array(CommandLine.arguments.dropFirst()))
    if let path = arguments.readOnly {
        var rows = 0
        let times = try (0..<arguments.repeats).map { _ in try seconds { rows = try readWhole(path) } }
        print(#"{"rows": \#(rows), "read_s": \#(times.min()!)}"#)
        exit(0)
    }
    let table = try TableReader(path: arguments.source).readAll()
    var writeTimes: [Double] = [], readTimes: [Double] = []
    for _ in 0..<arguments.repeats {
        writeTimes.append(try seconds {
            let writer = try TableWriter(path: arguments.out, schema: table.schema,
                                         options: WriterOptions(compressionLevel: arguments.level))
            try writer.write(table)
            try writer.close()
        })
        var rows = 0
        readTimes.append(try seconds { rows = try readWhole(arguments.out) })
        precondition(rows == table.rowCount)
    }
    let size = try FileManager.default.attributesOfItem(atPath: arguments.out)[.size] as? Int ?? 0
    print(#"{"rows": \#(table.rowCount), "write_s": \#(writeTimes.min()!), "read_s": \#(readTimes.min()!), "bytes": \#(size)}"#)
} catch {
    FileHandle.standardError.write(Data("mimir-table-bench: \(error)\n".utf8))
    exit(1)
}
