/// One packet as read from a capture. Its buffers point into the reader's buffer and are valid only
/// during the callback that receives it.
public struct CapturedPacket {
    /// Position in the capture, counting from 0.
    public var index: Int
    /// Nanoseconds since the Unix epoch, UTC.
    public var timestamp: Int64
    public var linkType: LinkType
    /// The pcapng interface within its section (0 for pcap).
    public var interfaceID: Int
    /// The packet's length on the wire (`frame.len` in tshark).
    public var originalLength: Int
    /// The captured bytes (`frame.cap_len` of them).
    public var data: UnsafeRawBufferPointer
    /// The packet's record exactly as stored (pcap record header and data, or the whole pcapng
    /// block), for copying it unchanged.
    public var record: UnsafeRawBufferPointer
    /// Where `record` starts in the (decompressed) stream.
    public var recordOffset: Int
}

/// The container format of a capture, recognised by its magic number.
public enum CaptureFormat: String, Sendable {
    case pcap, pcapng
}

/// A pcapng block that is not a packet: what a shard must repeat to stand alone (section headers,
/// interface descriptions) or carry along (everything else).
public struct CaptureBlock {
    public enum Kind { case sectionHeader, interfaceDescription, other }
    public var kind: Kind
    public var bytes: UnsafeRawBufferPointer
    /// Where the block starts in the (decompressed) stream.
    public var offset: Int
}

/// Where and why a capture ended before its last packet was whole.
public struct Truncation: Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var packetsRead: Int
    public var detail: String

    public var description: String {
        "truncated at byte offset \(offset) after \(packetsRead) packets: \(detail)"
    }
}
