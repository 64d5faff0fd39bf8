import Cluster
import FuzzSupport

// An entity log of any accepted kind (ours, kubectl's watch streams, the original's pickle),
// recognised by its content as mimir-graph recognises it.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let path = ScratchFile.write(FuzzDriver.bytes(data, size), name: "entities")
    _ = try? EntityLogs.read(path: path, captureStart: 1_700_000_000_000_000_000)
    return 0
}

FuzzDriver.run(fuzzTarget)
