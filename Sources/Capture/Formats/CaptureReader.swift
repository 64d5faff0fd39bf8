/// Reads a capture file packet by packet, in stream order and in bounded memory: pcap (microsecond or
/// nanosecond timestamps, either byte order, and the "modified" variant) or pcapng (any number of sections and interfaces, with
/// their link types and timestamp resolutions), stored plainly or compressed with gzip or zstd. The
/// format is recognised by its magic number, never by the file name.
///
/// Damage is handled as tcpdump users expect: a damaged packet is counted in `damage` and skipped; a
/// file that ends inside a packet stops the read at the last whole packet and sets `truncation`; a
/// file that is not a capture, or a header that claims an absurd length, throws `CaptureError` with
/// the byte offset (of the decompressed stream).
public final class CaptureReader {
    public let path: String
    public let format: CaptureFormat
    public let compression: Compression
    /// For pcap: the 24-byte file header as stored, which shards repeat.
    public internal(set) var pcapFileHeader: [UInt8] = []
    public internal(set) var damage = PacketCounters()
    /// What is odd about the file as a whole but does not stop the read (an unusual version number).
    public internal(set) var warnings: [String] = []
    public internal(set) var truncation: Truncation?
    /// Packets delivered so far.
    public internal(set) var packetCount = 0

    /// The largest captured packet accepted (libpcap's and Wireshark's MAXIMUM_SNAPLEN).
    static let maxPacketLength = 262_144
    /// The largest pcapng block accepted: a packet of the maximum size with generous options.
    static let maxBlockLength = 16 << 20

    let input: BufferedInput

    /// The open file when the capture is stored uncompressed, so a packet's `recordOffset` is also its
    /// position in this file: a copier can then write records from file to file without reading them.
    public let storedFile: Int32?

    /// Reads the capture at `path`, or with `range` the shard of an index that those bytes of it are
    /// (a range of a compressed file is refused).
    public init(path: String, range: CaptureRange? = nil) throws {
        self.path = path
        var (source, compression) = try openByteSource(path: path)
        if let range {
            guard let file = source as? FileSource else {
                throw CaptureError.invalidArgument("\(path) is \(compression.rawValue)-compressed: a byte range of it is no shard (cut it into files)")
            }
            source = try RangeSource(file, range: range)
        }
        self.compression = compression
        storedFile = range == nil ? (source as? FileSource)?.descriptor : nil
        input = BufferedInput(source)
        guard let magicBytes = try input.request(4) else {
            throw CaptureError.notACapture(path: path, firstBytes: Array(input.window))
        }
        let magic = Array(UnsafeRawBufferPointer(start: magicBytes, count: 4))
        switch magic {
        case [0xD4, 0xC3, 0xB2, 0xA1], [0xA1, 0xB2, 0xC3, 0xD4], [0x4D, 0x3C, 0xB2, 0xA1], [0xA1, 0xB2, 0x3C, 0x4D],
             [0x34, 0xCD, 0xB2, 0xA1], [0xA1, 0xB2, 0xCD, 0x34]:
            format = .pcap
        case [0x0A, 0x0D, 0x0D, 0x0A]:
            format = .pcapng
        default:
            throw CaptureError.notACapture(path: path, firstBytes: magic)
        }
    }

    /// Reads every packet in order. `onBlock` receives pcapng's non-packet blocks in stream order
    /// (split copies them into shards); `onPacket` receives each packet.
    public func read(onBlock: (CaptureBlock) throws -> Void = { _ in },
                     onPacket: (CapturedPacket) throws -> Void) throws {
        switch format {
        case .pcap: try readPcap(onPacket)
        case .pcapng: try readPcapng(onBlock, onPacket)
        }
        if truncation == nil && input.endedEarly {
            truncation = Truncation(offset: input.offset, packetsRead: packetCount,
                                    detail: "the \(compression.rawValue) stream ends inside a compressed block")
        }
    }

    func recordDamage(_ name: String) {
        damage.record(name, packet: packetCount)
    }

    func stopTruncated(_ detail: String) {
        truncation = Truncation(offset: input.offset, packetsRead: packetCount, detail: detail)
    }

    func deliver(_ packet: inout CapturedPacket, _ onPacket: (CapturedPacket) throws -> Void) throws {
        packet.index = packetCount
        packetCount += 1
        try onPacket(packet)
    }
}

/// Reads integers from a record in the byte order of its file or section.
struct ByteOrderedReader {
    let base: UnsafeRawPointer
    let swapped: Bool

    @inline(__always) func u16(_ offset: Int) -> UInt16 {
        let raw = base.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        return swapped ? raw.byteSwapped : raw
    }

    @inline(__always) func u32(_ offset: Int) -> UInt32 {
        let raw = base.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        return swapped ? raw.byteSwapped : raw
    }

    @inline(__always) func u64(_ offset: Int) -> UInt64 {
        let raw = base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        return swapped ? raw.byteSwapped : raw
    }
}
