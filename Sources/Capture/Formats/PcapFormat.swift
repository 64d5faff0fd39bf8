import SystemSupport

// Classic pcap (https://www.tcpdump.org/manpages/pcap-savefile.5.html): a 24-byte file header, then
// records of a 16-byte header (seconds, microseconds or nanoseconds, captured length, original
// length) and the captured bytes. The "modified" pcap of Alexey Kuznetsov's patches (magic
// 0xa1b2cd34, which tshark reads) adds 8 bytes to each record header: interface index, protocol,
// packet type and padding.

extension CaptureReader {
    func readPcap(_ onPacket: (CapturedPacket) throws -> Void) throws {
        guard let header = try input.request(24) else {
            throw CaptureError.corrupt(path: path, offset: 0, detail: "the pcap file header needs 24 bytes, the file has \(input.available)")
        }
        pcapFileHeader = Array(UnsafeRawBufferPointer(start: header, count: 24))
        let magic = header.loadUnaligned(as: UInt32.self)
        let swapped = magic == 0xD4C3_B2A1 || magic == 0x4D3C_B2A1 || magic == 0x34CD_B2A1
        let nanoseconds = magic == 0xA1B2_3C4D || magic == 0x4D3C_B2A1
        let headerLength = magic == 0xA1B2_CD34 || magic == 0x34CD_B2A1 ? 24 : 16
        let fields = ByteOrderedReader(base: header, swapped: swapped)
        let (major, minor) = (fields.u16(4), fields.u16(6))
        // libpcap reads versions 2.0 to 2.4 (and DG/UX's 543.0); tcpdump refuses the others.
        if !(major == 2 && minor <= 4) && !(major == 543 && minor == 0) {
            warnings.append("pcap version \(major).\(minor) in the file header, which libpcap refuses (it reads 2.0 to 2.4); read as 2.4")
        }
        // The upper bits of the link-type field can carry FCS information (LT_LINKTYPE in libpcap).
        let linkType = LinkType(rawValue: fields.u32(20) & 0x03FF_FFFF)
        let fractionScale: Int64 = nanoseconds ? 1 : 1000
        input.consume(24)

        var packet = CapturedPacket(index: 0, timestamp: 0, linkType: linkType, interfaceID: 0, originalLength: 0,
                                    data: UnsafeRawBufferPointer(start: nil, count: 0),
                                    record: UnsafeRawBufferPointer(start: nil, count: 0), recordOffset: 0)
        while true {
            // Parse every whole record in the bytes at hand with local state; go back to the input
            // only to refill.
            let window = input.window
            var used = 0
            var count = packetCount
            defer { packetCount = count }
            while window.count - used >= headerLength {
                let recordHeader = window.baseAddress! + used
                let record = ByteOrderedReader(base: recordHeader, swapped: swapped)
                let captured = Int(record.u32(8))
                guard captured <= Self.maxPacketLength else {
                    input.consume(used)
                    throw CaptureError.corrupt(path: path, offset: input.offset + 8,
                                               detail: "a record claims \(captured) captured bytes; no capture holds packets over \(Self.maxPacketLength)")
                }
                guard window.count - used - headerLength >= captured else { break }
                let original = Int(record.u32(12))
                packet.timestamp = Int64(record.u32(0)) * Nanoseconds.perSecond + Int64(record.u32(4)) * fractionScale
                packet.originalLength = original
                if original < captured {
                    // Counted as damage; its bytes are still the original length, as tshark's frame.len.
                    packetCount = count
                    recordDamage("original_length_below_captured")
                }
                packet.data = UnsafeRawBufferPointer(start: recordHeader + headerLength, count: captured)
                packet.record = UnsafeRawBufferPointer(start: recordHeader, count: headerLength + captured)
                packet.recordOffset = input.offset + used
                packet.index = count
                count += 1
                try onPacket(packet)
                used += headerLength + captured
            }
            input.consume(used)
            packetCount = count
            // Not a whole record left in the window: refill, or find the file's end.
            guard let recordHeader = try input.request(headerLength) else {
                if input.available > 0 { stopTruncated("\(input.available) bytes of a record header") }
                return
            }
            let captured = Int(ByteOrderedReader(base: recordHeader, swapped: swapped).u32(8))
            if captured <= Self.maxPacketLength, try input.request(headerLength + captured) == nil {
                stopTruncated("a record of \(captured) bytes has only \(input.available - headerLength) of them")
                return
            }
        }
    }
}
