import Contract
import FuzzSupport

// model.json, read as mimir-score and mimir-report read it, and written back.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let path = ScratchFile.write(FuzzDriver.bytes(data, size), name: "model.json")
    if let model = try? DetectionModel.read(path: path) {
        _ = try? model.json()
    }
    return 0
}

FuzzDriver.run(fuzzTarget)
