import Capture
import FuzzSupport

// A capture file (pcap, pcapng, gzip or zstd of either) read packet by packet, each packet dissected,
// as mimir-flows and mimir-split read them: any input ends in packets, damage counts, a truncation
// or a thrown error, never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzTarget(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let path = ScratchFile.write(FuzzDriver.bytes(data, size), name: "capture")
    guard let reader = try? CaptureReader(path: path) else { return 0 }
    let dissector = Dissector()
    var summary = PacketSummary()
    _ = try? reader.read(onBlock: { _ in }) { packet in
        _ = dissector.dissect(packet.data, originalLength: packet.originalLength, linkType: packet.linkType, into: &summary)
    }
    return 0
}

FuzzDriver.run(fuzzTarget)
