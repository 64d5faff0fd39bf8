import Capture
import FuzzSupport

// A flow records file (IPFIX, Zeek's conn.log, VPC flow logs, gzip or zstd of any) through
// mimir-records: recognised or refused, then every record read, spread over windows and written: any
// input ends in tables with damage counted or a thrown error, never a trap. Inputs of odd length run
// with a budget of a few windows for the open windows, so that writing them early is tried too.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let path = ScratchFile.write(FuzzDriver.bytes(data, size), name: "records")
    let windowMemory = size % 2 == 0 ? RecordExtraction.defaultWindowMemory : 64 << 10
    _ = try? RecordExtraction(windowLengths: [10, 60], version: "fuzz", windowMemory: windowMemory)
        .run(recordsPaths: [path], directory: ScratchFile.directory)
    return 0
}

FuzzDriver.run(fuzzTarget)
