// Classic pcap (https://www.tcpdump.org/manpages/pcap-savefile.5.html): a 24-byte file header, then
// records of a 16-byte header (seconds, microseconds or nanoseconds, captured length, original
// length) and the captured bytes.

extension CaptureReader {
    func readPcap(_ onPacket: (CapturedPacket) throws -> Void) throws {
        guard let header = try input.request(24) else {
            throw CaptureError.corrupt(path: path, offset: 0, detail: "the pcap file header needs 24 bytes, the file has \(input.available)")
        }
        pcapFileHeader = Array(UnsafeRawBufferPointer(start: header, count: 24))
        let magic = header.loadUnaligned(as: UInt32.self)
        let swapped = magic == 0xD4C3_B2A1 || magic == 0x4D3C_B2A1
        let nanoseconds = magic == 0xA1B2_3C4D || magic == 0x4D3C_B2A1
        let fields = ByteOrderedReader(base: header, swapped: swapped)
        // The upper bits of the link-type field can carry FCS information (LT_LINKTYPE in libpcap).
        let linkType = LinkType(rawValue: fields.u32(20) & 0x03FF_FFFF)
        let fractionScale: Int64 = nanoseconds ? 1 : 1000
        input.consume(24)

        var packet = CapturedPacket(index: 0, timestamp: 0, linkType: linkType, interfaceID: 0, originalLength: 0,
                                    data: UnsafeRawBufferPointer(start: nil, count: 0),
                                    record: UnsafeRawBufferPointer(start: nil, count: 0))
        while true {
            guard let recordHeader = try input.request(16) else {
                if input.available > 0 { stopTruncated("\(input.available) bytes of a record header") }
                return
            }
            // Read every header field now: the next request may move the buffer under this pointer.
            let record = ByteOrderedReader(base: recordHeader, swapped: swapped)
            let timestamp = Int64(record.u32(0)) * 1_000_000_000 + Int64(record.u32(4)) * fractionScale
            let captured = Int(record.u32(8))
            let original = Int(record.u32(12))
            guard captured <= Self.maxPacketLength else {
                throw CaptureError.corrupt(path: path, offset: input.offset + 8,
                                           detail: "a record claims \(captured) captured bytes; no capture holds packets over \(Self.maxPacketLength)")
            }
            guard let bytes = try input.request(16 + captured) else {
                stopTruncated("a record of \(captured) bytes has only \(input.available - 16) of them")
                return
            }
            packet.timestamp = timestamp
            packet.originalLength = original
            if original < captured {
                recordDamage("original_length_below_captured")
                packet.originalLength = captured
            }
            packet.data = UnsafeRawBufferPointer(start: bytes + 16, count: captured)
            packet.record = UnsafeRawBufferPointer(start: bytes, count: 16 + captured)
            try deliver(&packet, onPacket)
            input.consume(16 + captured)
        }
    }
}
