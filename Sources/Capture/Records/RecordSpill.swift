import Contract
import SystemSupport

/// The records of a file's first pass, kept for the second once the windows' origin (the earliest
/// start, anywhere in the file) is known: the numbers that are counted, in a fixed binary layout, in a
/// scratch file beside the tables. Reading the file twice instead would parse every record twice;
/// holding the records in memory would make the stage's memory grow with them.
final class RecordSpill {
    /// A record as it is kept: 48 bytes, its addresses numbered in `addresses`.
    private struct Entry {
        var start: Int64, end: Int64, packets: Int64, ipBytes: Int64
        var source: UInt32, destination: UInt32
        var sourcePort: UInt16, destinationPort: UInt16
        var ipProtocol: UInt8, tcpFlags: UInt8
    }

    /// Every address kept, by number (a file repeats a few addresses in many records).
    private var addresses: [IPAddress] = []
    private let numbers = AddressNumbers()
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
        let (source, destination) = numbers.numbers(record.source, record.destination) { addresses.append($0) }
        buffer[buffered] = Entry(start: record.start, end: record.end, packets: record.packets, ipBytes: record.ipBytes,
                                 source: source, destination: destination,
                                 sourcePort: record.sourcePort, destinationPort: record.destinationPort,
                                 ipProtocol: record.ipProtocol, tcpFlags: record.tcpFlags)
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
                try body(FlowRecord(source: addresses[Int(entry.source)], destination: addresses[Int(entry.destination)],
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
}
