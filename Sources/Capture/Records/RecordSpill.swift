import Contract
import SystemSupport

/// The records of a file's first pass, kept for the second once the windows' origin (the earliest
/// start, anywhere in the file) is known: the numbers that are counted, in a fixed binary layout, in a
/// scratch file beside the tables. Reading the file twice instead would parse every record twice;
/// holding the records in memory would make the stage's memory grow with them.
final class RecordSpill {
    /// A record as it is kept: addresses as their two halves, the family in `flags`.
    private struct Entry {
        var sourceHigh: UInt64, sourceLow: UInt64, destinationHigh: UInt64, destinationLow: UInt64
        var start: Int64, end: Int64, packets: Int64, ipBytes: Int64
        var sourcePort: UInt16, destinationPort: UInt16
        var ipProtocol: UInt8, tcpFlags: UInt8
        /// Bit 0: the source is IPv4; bit 1: the destination is.
        var flags: UInt8
    }

    private let file: ScratchFile
    private let buffer: UnsafeMutableBufferPointer<Entry>
    private var buffered = 0
    /// Records kept.
    private(set) var count = 0

    init(directory: String) throws {
        file = try ScratchFile(directory: directory)
        buffer = .allocate(capacity: (1 << 20) / MemoryLayout<Entry>.stride)
    }

    deinit { buffer.deallocate() }

    func append(_ record: FlowRecord) throws {
        if buffered == buffer.count { try flush() }
        buffer[buffered] = Entry(sourceHigh: record.source.high, sourceLow: record.source.low,
                                 destinationHigh: record.destination.high, destinationLow: record.destination.low,
                                 start: record.start, end: record.end, packets: record.packets, ipBytes: record.ipBytes,
                                 sourcePort: record.sourcePort, destinationPort: record.destinationPort,
                                 ipProtocol: record.ipProtocol, tcpFlags: record.tcpFlags,
                                 flags: (record.source.isIPv4 ? 1 : 0) | (record.destination.isIPv4 ? 2 : 0))
        buffered += 1
        count += 1
    }

    /// Calls `body` with every record kept, in the order they came (without the names of pods and
    /// services: the first pass has taken those).
    func forEach(_ body: (FlowRecord) throws -> Void) throws {
        try flush()
        let bytes = UnsafeMutableRawBufferPointer(buffer)
        while true {
            let got = try file.read(into: bytes.baseAddress!, count: buffer.count * MemoryLayout<Entry>.stride)
            guard got > 0 else { return }
            for entry in buffer.prefix(got / MemoryLayout<Entry>.stride) {
                try body(FlowRecord(source: Self.address(entry.sourceHigh, entry.sourceLow, ipv4: entry.flags & 1 != 0),
                                    destination: Self.address(entry.destinationHigh, entry.destinationLow, ipv4: entry.flags & 2 != 0),
                                    sourcePort: entry.sourcePort, destinationPort: entry.destinationPort, ipProtocol: entry.ipProtocol,
                                    tcpFlags: entry.tcpFlags, start: entry.start, end: entry.end, packets: entry.packets,
                                    ipBytes: entry.ipBytes))
            }
        }
    }

    private func flush() throws {
        try file.write(UnsafeRawBufferPointer(start: buffer.baseAddress, count: buffered * MemoryLayout<Entry>.stride))
        buffered = 0
    }

    private static func address(_ high: UInt64, _ low: UInt64, ipv4: Bool) -> IPAddress {
        ipv4 ? IPAddress(ipv4: UInt32(truncatingIfNeeded: low)) : IPAddress(ipv6: high, low)
    }
}
