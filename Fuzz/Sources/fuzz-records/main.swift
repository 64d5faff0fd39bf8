import Capture
import FuzzSupport

// A flow records file (IPFIX, Zeek's conn.log, VPC flow logs, gzip or zstd of any) through
// mimir-records: recognised or refused, then every record read, spread over windows and written: any
// input ends in tables with damage counted or a thrown error, never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let path = ScratchFile.write(FuzzDriver.bytes(data, size), name: "records")
    _ = try? RecordExtraction(windowLengths: [10, 60], version: "fuzz").run(recordsPaths: [path], directory: ScratchFile.directory)
    return 0
}

FuzzDriver.run(fuzzTarget)
