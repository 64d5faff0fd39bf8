import SystemSupport

/// Writes merged packets: pcapng (one section; an interface per link type, declared when the link
/// type first appears, nanosecond timestamps) or pcap (one link type, nanosecond timestamps). Each
/// packet keeps its captured bytes and its original length, whatever its size.
final class MergedCaptureWriter {
    let format: CaptureFileFormat
    private let output: AtomicOutputFile
    /// pcapng: the interface number of each link type seen; pcap: the file's one link type.
    private var interfaces: [LinkType: UInt32] = [:]
    private var pcapLinkType: LinkType?
    private(set) var packetCount = 0
    /// One packet's record, assembled here and written in one call (its capacity is kept).
    private var record: [UInt8] = []
    /// The largest captured length a pcap header may declare (tcpdump's default snap length).
    static let pcapSnapLength: UInt32 = 262_144

    init(path: String, format: CaptureFileFormat) throws {
        self.format = format
        output = try AtomicOutputFile(path: path)
        if format == .pcapng {
            // Section header block: byte-order magic, version 1.0, section length unknown (-1).
            var header: [UInt8] = []
            for value in [UInt32(0x0A0D_0D0A), 28, 0x1A2B_3C4D] { header.appendLittleEndian(value) }
            header.appendLittleEndian(UInt16(1))
            header.appendLittleEndian(UInt16(0))
            header.appendLittleEndian(UInt64.max)
            header.appendLittleEndian(UInt32(28))
            try output.write(header)
        }
    }

    /// Appends a packet; `source` names its input for the error a second link type in pcap raises.
    func append(timestamp: Int64, linkType: LinkType, originalLength: Int, data: ArraySlice<UInt8>, source: String) throws {
        record.removeAll(keepingCapacity: true)
        let captured = data.count
        switch format {
        case .pcap:
            if let fileLinkType = pcapLinkType {
                guard fileLinkType == linkType else {
                    throw CaptureError.invalidArgument("a pcap file holds one link type: \(source) has \(linkType) packets among "
                                                       + "\(fileLinkType) ones; merge into pcapng (the default)")
                }
            } else {
                pcapLinkType = linkType
                record = Self.pcapFileHeader(linkType)
            }
            let seconds = floorDivide(timestamp, Nanoseconds.perSecond)
            record.appendLittleEndian(UInt32(truncatingIfNeeded: seconds))
            record.appendLittleEndian(UInt32(timestamp - seconds * Nanoseconds.perSecond))
            record.appendLittleEndian(UInt32(captured))
            record.appendLittleEndian(UInt32(clamping: max(originalLength, captured)))
            record.append(contentsOf: data)
        case .pcapng:
            let interface = try interfaceNumber(for: linkType, declaringInto: &record)
            let padded = (captured + 3) & ~3
            let blockLength = UInt32(32 + padded)
            let ticks = UInt64(bitPattern: timestamp)
            record.appendLittleEndian(UInt32(6))
            record.appendLittleEndian(blockLength)
            record.appendLittleEndian(interface)
            record.appendLittleEndian(UInt32(truncatingIfNeeded: ticks >> 32))
            record.appendLittleEndian(UInt32(truncatingIfNeeded: ticks))
            record.appendLittleEndian(UInt32(captured))
            record.appendLittleEndian(UInt32(clamping: max(originalLength, captured)))
            record.append(contentsOf: data)
            record.append(contentsOf: repeatElement(0, count: padded - captured))
            record.appendLittleEndian(blockLength)
        }
        try output.write(record)
        packetCount += 1
    }

    /// The interface of `linkType`, declaring it (an interface description block with nanosecond
    /// resolution) into `record` the first time.
    private func interfaceNumber(for linkType: LinkType, declaringInto record: inout [UInt8]) throws -> UInt32 {
        if let number = interfaces[linkType] { return number }
        guard linkType.rawValue <= UInt16.max else {
            throw CaptureError.invalidArgument("link type \(linkType.rawValue) does not fit a pcapng interface description")
        }
        let number = UInt32(interfaces.count)
        interfaces[linkType] = number
        for value in [UInt32(1), 32] { record.appendLittleEndian(value) }
        record.appendLittleEndian(UInt16(linkType.rawValue))
        record.appendLittleEndian(UInt16(0))
        record.appendLittleEndian(UInt32(0))  // snap length: none
        record.appendLittleEndian(UInt16(9))  // if_tsresol: 10^-9 s
        record.appendLittleEndian(UInt16(1))
        record += [9, 0, 0, 0]
        record.appendLittleEndian(UInt32(0))  // opt_endofopt
        record.appendLittleEndian(UInt32(32))
        return number
    }

    /// A nanosecond pcap file header (magic, version 2.4, zone and accuracy 0, snap length, link type).
    private static func pcapFileHeader(_ linkType: LinkType) -> [UInt8] {
        var header: [UInt8] = []
        for value in [UInt32(0xA1B2_3C4D), 0x0004_0002, 0, 0, pcapSnapLength, linkType.rawValue] { header.appendLittleEndian(value) }
        return header
    }

    /// Publishes the merged capture (an empty merge is a valid, packetless file).
    func finish() throws {
        if format == .pcap && pcapLinkType == nil { try output.write(Self.pcapFileHeader(.ethernet)) }
        try output.publish()
    }
}
