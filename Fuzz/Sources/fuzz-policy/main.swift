import FuzzSupport
import Inject

// A reachability policy (the original's network-segmentation file), parsed as mimir-inject parses it.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: FuzzDriver.bytes(data, size), as: UTF8.self)
    if let policy = try? ReachabilityPolicy.parse(text, path: "policy.txt") {
        _ = policy.allows("front-end", "user-db", dnsService: "kube-dns")
    }
    return 0
}

FuzzDriver.run(fuzzTarget)
