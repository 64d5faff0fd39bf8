import FuzzSupport
import Table

// A Parquet file read whole, as every stage reads its inputs: the footer, the schema, every column
// chunk and page, decompressed and decoded.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let path = ScratchFile.write(FuzzDriver.bytes(data, size), name: "table.parquet")
    guard let reader = try? TableReader(path: path) else { return 0 }
    _ = try? reader.readAll()
    return 0
}

FuzzDriver.run(fuzzTarget)
