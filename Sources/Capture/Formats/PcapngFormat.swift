import SystemSupport

// pcapng (draft-ietf-opsawg-pcapng): blocks of [type, total length, body, total length]. A section
// header block sets the byte order and forgets the previous section's interfaces; interface
// description blocks give each interface its link type, snap length and timestamp resolution
// (`if_tsresol`) and offset (`if_tsoffset`); enhanced, simple and obsolete packet blocks carry
// packets. Blocks of other types are passed on and otherwise skipped.

extension CaptureReader {
    enum BlockType {
        static let sectionHeader: UInt32 = 0x0A0D_0D0A
        static let interfaceDescription: UInt32 = 1
        static let obsoletePacket: UInt32 = 2
        static let simplePacket: UInt32 = 3
        static let enhancedPacket: UInt32 = 6
    }

    struct Interface {
        var linkType: LinkType
        var snapLength: Int
        var resolution = TimestampResolution.microseconds
        var offsetSeconds: Int64 = 0
    }

    func readPcapng(_ onBlock: (CaptureBlock) throws -> Void, _ onPacket: (CapturedPacket) throws -> Void) throws {
        var swapped = false
        var interfaces: [Interface] = []
        var sawSection = false
        // Simple packet blocks have no timestamp: each takes the previous timed packet's time; those
        // before the first timed packet wait (copied, up to a bound) to take its time.
        var lastTimestamp: Int64?
        var untimed = UntimedPackets()
        var packet = CapturedPacket(index: 0, timestamp: 0, linkType: .ethernet, interfaceID: 0, originalLength: 0,
                                    data: UnsafeRawBufferPointer(start: nil, count: 0),
                                    record: UnsafeRawBufferPointer(start: nil, count: 0), recordOffset: 0)
        while true {
            guard let head = try input.request(12) else {
                if input.available > 0 { stopTruncated("\(input.available) bytes of a block header") }
                try untimed.deliver(timestamp: 0, reader: self, onPacket)  // no timed packet at all
                return
            }
            let blockOffset = input.offset
            let rawType = head.loadUnaligned(as: UInt32.self)
            if rawType == BlockType.sectionHeader {
                // The byte-order magic decides how this block's length (and the section) is read.
                let orderMagic = head.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
                switch orderMagic {
                case 0x1A2B_3C4D: swapped = false
                case 0x4D3C_2B1A: swapped = true
                default:
                    throw CaptureError.corrupt(path: path, offset: blockOffset + 8,
                                               detail: "section header has byte-order magic 0x\(String(orderMagic, radix: 16).leftPadded(to: 8)), expected 0x1a2b3c4d")
                }
                sawSection = true
                interfaces = []
            } else if !sawSection {
                throw CaptureError.corrupt(path: path, offset: blockOffset, detail: "pcapng data does not start with a section header block")
            }
            let fields = ByteOrderedReader(base: head, swapped: swapped)
            let type = fields.u32(0)
            let length = Int(fields.u32(4))
            guard length >= 12, length % 4 == 0, length <= Self.maxBlockLength else {
                throw CaptureError.corrupt(path: path, offset: blockOffset + 4,
                                           detail: "block of type \(type) claims a total length of \(length) bytes (a multiple of 4 from 12 to \(Self.maxBlockLength) expected)")
            }
            guard let block = try input.request(length) else {
                stopTruncated("a block of \(length) bytes has only \(input.available) of them")
                try untimed.deliver(timestamp: 0, reader: self, onPacket)
                return
            }
            let body = ByteOrderedReader(base: block, swapped: swapped)
            guard Int(body.u32(length - 4)) == length else {
                throw CaptureError.corrupt(path: path, offset: blockOffset + length - 4,
                                           detail: "block's trailing length \(body.u32(length - 4)) does not repeat its leading length \(length)")
            }
            let bytes = UnsafeRawBufferPointer(start: block, count: length)
            let bodyLength = length - 12
            switch type {
            case BlockType.sectionHeader:
                try onBlock(CaptureBlock(kind: .sectionHeader, bytes: bytes, offset: input.offset))
            case BlockType.interfaceDescription:
                guard bodyLength >= 8 else {
                    throw CaptureError.corrupt(path: path, offset: blockOffset, detail: "interface description block of \(length) bytes is too short")
                }
                var interface = Interface(linkType: LinkType(rawValue: UInt32(body.u16(8))), snapLength: Int(body.u32(12)))
                readInterfaceOptions(body, from: 16, to: length - 4, into: &interface)
                interfaces.append(interface)
                try onBlock(CaptureBlock(kind: .interfaceDescription, bytes: bytes, offset: input.offset))
            case BlockType.enhancedPacket, BlockType.obsoletePacket:
                let obsolete = type == BlockType.obsoletePacket
                guard bodyLength >= 20 else {
                    recordDamage("packet_block_too_short")
                    break
                }
                let interfaceID = obsolete ? Int(body.u16(8)) : Int(body.u32(8))
                let captured = Int(body.u32(20))
                guard interfaceID < interfaces.count else {
                    recordDamage("packet_for_undescribed_interface")
                    break
                }
                guard captured <= bodyLength - 20 else {
                    recordDamage("packet_longer_than_its_block")
                    break
                }
                let interface = interfaces[interfaceID]
                let rawTimestamp = UInt64(body.u32(12)) << 32 | UInt64(body.u32(16))
                guard let nanoseconds = interface.resolution.nanoseconds(rawTimestamp, offsetSeconds: interface.offsetSeconds) else {
                    recordDamage("timestamp_out_of_range")
                    break
                }
                try untimed.deliver(timestamp: nanoseconds, reader: self, onPacket)
                packet.timestamp = nanoseconds
                lastTimestamp = nanoseconds
                packet.linkType = interface.linkType
                packet.interfaceID = interfaceID
                packet.originalLength = Int(body.u32(24))
                if packet.originalLength < captured { recordDamage("original_length_below_captured") }
                packet.data = UnsafeRawBufferPointer(start: block + 28, count: captured)
                packet.record = bytes
                packet.recordOffset = input.offset
                try deliver(&packet, onPacket)
            case BlockType.simplePacket:
                // No interface id (always 0) and no timestamp: the packet takes the previous one's time.
                guard bodyLength >= 4, let interface = interfaces.first else {
                    recordDamage(interfaces.isEmpty ? "packet_for_undescribed_interface" : "packet_block_too_short")
                    break
                }
                let original = Int(body.u32(8))
                let captured = min(original, interface.snapLength == 0 ? original : interface.snapLength, bodyLength - 4)
                recordDamage("simple_packet_without_timestamp")
                guard let lastTimestamp, untimed.isEmpty else {
                    untimed.keep(bytes, capturedLength: captured, originalLength: original, linkType: interface.linkType, recordOffset: input.offset)
                    if untimed.isOverBound { try untimed.deliver(timestamp: 0, reader: self, onPacket) }
                    break
                }
                packet.timestamp = lastTimestamp
                packet.linkType = interface.linkType
                packet.interfaceID = 0
                packet.originalLength = original
                packet.data = UnsafeRawBufferPointer(start: block + 12, count: captured)
                packet.record = bytes
                packet.recordOffset = input.offset
                try deliver(&packet, onPacket)
            default:
                try onBlock(CaptureBlock(kind: .other, bytes: bytes, offset: input.offset))
            }
            input.consume(length)
        }
    }

    /// Simple packet blocks read before the capture's first timed packet, copied until they can take
    /// its time. Past `bound` bytes (a capture with no timed packet, most likely) they go out at time 0.
    struct UntimedPackets {
        static let bound = 64 << 20
        private var blocks: [(bytes: [UInt8], captured: Int, original: Int, linkType: LinkType, recordOffset: Int)] = []
        private var size = 0

        var isEmpty: Bool { blocks.isEmpty }
        var isOverBound: Bool { size > Self.bound }

        mutating func keep(_ block: UnsafeRawBufferPointer, capturedLength: Int, originalLength: Int, linkType: LinkType, recordOffset: Int) {
            blocks.append((Array(block), capturedLength, originalLength, linkType, recordOffset))
            size += block.count
        }

        /// Delivers the kept packets, in order, at `timestamp`.
        mutating func deliver(timestamp: Int64, reader: CaptureReader, _ onPacket: (CapturedPacket) throws -> Void) throws {
            let kept = blocks
            (blocks, size) = ([], 0)
            for block in kept {
                try block.bytes.withUnsafeBytes { bytes in
                    var packet = CapturedPacket(index: 0, timestamp: timestamp, linkType: block.linkType, interfaceID: 0, originalLength: block.original,
                                                data: UnsafeRawBufferPointer(rebasing: bytes[12..<12 + block.captured]),
                                                record: bytes, recordOffset: block.recordOffset)
                    try reader.deliver(&packet, onPacket)
                }
            }
        }
    }

    /// Reads `if_tsresol` (9) and `if_tsoffset` (14); options are [code u16, length u16, value, padding].
    private func readInterfaceOptions(_ block: ByteOrderedReader, from start: Int, to end: Int, into interface: inout Interface) {
        var position = start
        while position + 4 <= end {
            let code = block.u16(position)
            let length = Int(block.u16(position + 2))
            let value = position + 4
            guard code != 0, value + length <= end else { return }
            if code == 9, length >= 1 {
                interface.resolution = TimestampResolution(block.base.load(fromByteOffset: value, as: UInt8.self))
            } else if code == 14, length >= 8 {
                interface.offsetSeconds = Int64(bitPattern: block.u64(value))
            }
            position = value + (length + 3) / 4 * 4
        }
    }
}

/// `if_tsresol`: ticks per second as a power of ten (high bit clear) or of two (high bit set).
struct TimestampResolution: Equatable {
    var exponent: Int
    var binary: Bool

    static let microseconds = TimestampResolution(exponent: 6, binary: false)

    init(exponent: Int, binary: Bool) {
        self.exponent = exponent
        self.binary = binary
    }

    init(_ option: UInt8) {
        self.init(exponent: Int(option & 0x7F), binary: option & 0x80 != 0)
    }

    /// `ticks` in this resolution plus `offsetSeconds`, as nanoseconds since the epoch; nil if that
    /// does not fit a 64-bit count of nanoseconds (beyond the year 2262).
    func nanoseconds(_ ticks: UInt64, offsetSeconds: Int64) -> Int64? {
        let base: UInt64
        if binary {
            guard exponent < 64 else { return nil }
            let whole = ticks >> UInt64(exponent)
            let fraction = ticks & ((UInt64(1) << UInt64(exponent)) - 1)
            let fractionNanos = fraction.multipliedFullWidth(by: UInt64(Nanoseconds.perSecond))
            let (scaled, _) = (UInt64(1) << UInt64(exponent)).dividingFullWidth((fractionNanos.high, fractionNanos.low))
            let (wholeNanos, overflow) = whole.multipliedReportingOverflow(by: UInt64(Nanoseconds.perSecond))
            guard !overflow else { return nil }
            base = wholeNanos + scaled
        } else if exponent <= 9 {
            var factor: UInt64 = 1
            for _ in 0..<(9 - exponent) { factor *= 10 }
            let (value, overflow) = ticks.multipliedReportingOverflow(by: factor)
            guard !overflow else { return nil }
            base = value
        } else {
            var divisor: UInt64 = 1
            for _ in 0..<min(exponent - 9, 19) { divisor *= 10 }
            base = exponent - 9 > 19 ? 0 : ticks / divisor
        }
        guard base <= UInt64(Int64.max) else { return nil }
        let (withOffset, overflow) = Int64(base).addingReportingOverflow(offsetSeconds &* Nanoseconds.perSecond)
        return overflow ? nil : withOffset
    }
}
