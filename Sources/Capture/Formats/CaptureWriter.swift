import Table
import SystemSupport

/// The file format a `CaptureWriter` writes.
public enum CaptureFileFormat: String, Sendable, CaseIterable {
    case pcap
    case pcapng

    public var fileExtension: String { rawValue }
}

/// Writes packets to a new pcap or pcapng file with one interface (one link type), published
/// atomically by `finish`: until then the capture exists only under a temporary name.
///
/// Packets are assembled by the caller straight into `packetBuffer` (no copy per packet) and written
/// with `appendPacket(length:timestamp:)`.
public final class CaptureWriter {
    public let format: CaptureFileFormat
    public let linkType: LinkType
    public let nanosecondTimestamps: Bool
    /// Bytes of a packet beyond this are not written (the original length is still recorded).
    public let snapLength: Int
    public private(set) var packetCount = 0
    private let output: AtomicOutputFile
    /// Where the next packet's record goes: room for one packet with its record header and trailer.
    public private(set) var packetBuffer: UnsafeMutableRawPointer
    /// Where a packet's first byte goes in `packetBuffer`.
    public let packetOffset: Int
    public static let maxPacketLength = 65_535 + 256

    public init(path: String, format: CaptureFileFormat, linkType: LinkType, nanosecondTimestamps: Bool,
                snapLength: Int = 262_144) throws {
        self.format = format
        self.linkType = linkType
        self.nanosecondTimestamps = nanosecondTimestamps
        self.snapLength = snapLength
        output = try AtomicOutputFile(path: path)
        packetOffset = format == .pcap ? 16 : 28
        buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.bufferSize, alignment: 16)
        packetBuffer = buffer
        try output.write(format == .pcap ? pcapFileHeader() : pcapngHeaderBlocks())
    }

    deinit { buffer.deallocate() }

    /// Packets are assembled in place in this buffer and go to the file in large writes, so a packet's
    /// bytes are copied once, by the kernel.
    private let buffer: UnsafeMutableRawPointer
    private var used = 0
    private static let bufferSize = 4 << 20

    /// Bytes written so far, headers included.
    public var bytesWritten: Int { output.bytesWritten + used }

    /// The path the capture is published under.
    public var path: String { output.path }

    /// Writes the packet of `length` bytes at `packetBuffer + packetOffset`, stamped with `timestamp`
    /// (nanoseconds since the Unix epoch).
    public func appendPacket(length: Int, timestamp: Int64) throws {
        precondition(length <= Self.maxPacketLength, "a synthesised packet is longer than any link carries")
        let captured = min(length, snapLength)
        let seconds = timestamp / Nanoseconds.perSecond
        let fraction = timestamp % Nanoseconds.perSecond
        switch format {
        case .pcap:
            let header = packetBuffer
            header.storeBytes(of: UInt32(truncatingIfNeeded: seconds).littleEndian, as: UInt32.self)
            header.storeBytes(of: UInt32(truncatingIfNeeded: nanosecondTimestamps ? fraction : fraction / 1000).littleEndian,
                              toByteOffset: 4, as: UInt32.self)
            header.storeBytes(of: UInt32(captured).littleEndian, toByteOffset: 8, as: UInt32.self)
            header.storeBytes(of: UInt32(length).littleEndian, toByteOffset: 12, as: UInt32.self)
            try commit(16 + captured)
        case .pcapng:
            // Enhanced packet block: type, length, interface, timestamp (high, low), captured and
            // original lengths, the data padded to 32 bits, the length again.
            let padded = (captured + 3) & ~3
            let blockLength = 32 + padded
            let units = UInt64(nanosecondTimestamps ? timestamp : timestamp / 1000)
            let block = packetBuffer
            block.storeBytes(of: UInt32(6).littleEndian, as: UInt32.self)
            block.storeBytes(of: UInt32(blockLength).littleEndian, toByteOffset: 4, as: UInt32.self)
            block.storeBytes(of: UInt32(0).littleEndian, toByteOffset: 8, as: UInt32.self)
            block.storeBytes(of: UInt32(truncatingIfNeeded: units >> 32).littleEndian, toByteOffset: 12, as: UInt32.self)
            block.storeBytes(of: UInt32(truncatingIfNeeded: units).littleEndian, toByteOffset: 16, as: UInt32.self)
            block.storeBytes(of: UInt32(captured).littleEndian, toByteOffset: 20, as: UInt32.self)
            block.storeBytes(of: UInt32(length).littleEndian, toByteOffset: 24, as: UInt32.self)
            (block + 28 + captured).initializeMemory(as: UInt8.self, repeating: 0, count: padded - captured)
            (block + 28 + padded).storeBytes(of: UInt32(blockLength).littleEndian, as: UInt32.self)
            try commit(blockLength)
        }
        packetCount += 1
    }

    private func commit(_ count: Int) throws {
        used += count
        if Self.bufferSize - used < packetOffset + Self.maxPacketLength + 8 { try flush() }
        packetBuffer = buffer + used
    }

    private func flush() throws {
        try output.write(UnsafeRawBufferPointer(start: buffer, count: used))
        used = 0
    }

    /// Writes out what is buffered and renames the capture into place.
    public func finish(durable: Bool = true) throws {
        try flush()
        try output.publish(durable: durable)
    }

    private func pcapFileHeader() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendLittleEndian(nanosecondTimestamps ? UInt32(0xA1B2_3C4D) : UInt32(0xA1B2_C3D4))
        bytes.appendLittleEndian(UInt16(2))
        bytes.appendLittleEndian(UInt16(4))
        bytes.appendLittleEndian(UInt32(0))  // thiszone
        bytes.appendLittleEndian(UInt32(0))  // sigfigs
        bytes.appendLittleEndian(UInt32(snapLength))
        bytes.appendLittleEndian(linkType.rawValue)
        return bytes
    }

    private func pcapngHeaderBlocks() -> [UInt8] {
        var bytes: [UInt8] = []
        // Section header block: byte-order magic, version 1.0, section length unknown (-1).
        bytes.appendLittleEndian(UInt32(0x0A0D_0D0A))
        bytes.appendLittleEndian(UInt32(28))
        bytes.appendLittleEndian(UInt32(0x1A2B_3C4D))
        bytes.appendLittleEndian(UInt16(1))
        bytes.appendLittleEndian(UInt16(0))
        bytes.appendLittleEndian(UInt64.max)
        bytes.appendLittleEndian(UInt32(28))
        // Interface description block with if_tsresol (option 9): 10^-9 or 10^-6 seconds.
        bytes.appendLittleEndian(UInt32(1))
        bytes.appendLittleEndian(UInt32(32))
        bytes.appendLittleEndian(UInt16(truncatingIfNeeded: linkType.rawValue))
        bytes.appendLittleEndian(UInt16(0))
        bytes.appendLittleEndian(UInt32(snapLength))
        bytes.appendLittleEndian(UInt16(9))
        bytes.appendLittleEndian(UInt16(1))
        bytes += [nanosecondTimestamps ? 9 : 6, 0, 0, 0]
        bytes.appendLittleEndian(UInt32(0))  // opt_endofopt
        bytes.appendLittleEndian(UInt32(32))
        return bytes
    }
}

extension [UInt8] {
    mutating func appendLittleEndian<Value: FixedWidthInteger>(_ value: Value) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
