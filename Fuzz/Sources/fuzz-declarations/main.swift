import Foundation
import FuzzSupport
import Runner

// The YAML declarations: the input read as a stage declaration, and as a pipeline over the project's
// shipped stages (from `MIMIR_STAGES`, default `stages`, read once).
let shippedStages = (try? StageDeclaration.loadAll(directory: ProcessInfo.processInfo.environment["MIMIR_STAGES"] ?? "stages")) ?? [:]

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzDriver.bytes(data, size)
    _ = try? StageDeclaration(file: ScratchFile.write(bytes, name: "tool.yaml"))
    _ = try? PipelineDeclaration(file: ScratchFile.write(bytes, name: "pipeline.yaml"), stages: shippedStages)
    return 0
}

FuzzDriver.run(fuzzTarget)
