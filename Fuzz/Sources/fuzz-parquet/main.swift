import Contract
import FuzzSupport
import Table

// A Parquet file read whole, as every stage reads its inputs: the footer, the schema, every column
// chunk and page, decompressed and decoded; then through the stage contract's checked readers, as a
// pod-edge, pairs, flows and truth table.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let path = ScratchFile.write(FuzzDriver.bytes(data, size), name: "table.parquet")
    guard let reader = try? TableReader(path: path) else { return 0 }
    _ = try? reader.readAll()
    _ = try? PodEdgeTable.forEachRow(reader) { _, _, _, _, _ in }
    _ = try? FlowTables.forEachPair(reader) { _, _, _, _, _, _ in }
    _ = try? FlowTables.forEachFlow(reader) { _ in }
    _ = try? TruthTable.read(path: path)
    return 0
}

FuzzDriver.run(fuzzTarget)
