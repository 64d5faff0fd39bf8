import Contract
import SystemSupport

/// The records of a file's first pass, kept for the second once the windows' origin (the earliest
/// start, anywhere in the file) is known: the numbers that are counted, in a scratch file beside the
/// tables. Reading the file twice instead would parse every record twice; holding the records in
/// memory would make the stage's memory grow with them.
///
/// Writing the scratch file is much of what keeping a record costs (the kernel's page copies), so a
/// record is kept in as few bytes as its numbers need: each number as a LEB128 varint (7 bits a
/// byte), the start as the zigzagged difference from the record before (records come nearly in time
/// order), the end as the span from the start, the addresses as numbers in `addresses`. A typical
/// record takes 20 to 25 bytes (48 in a fixed layout).
final class RecordSpill {
    /// The most bytes one record takes: four 64-bit numbers, two 32-bit ones, two ports, protocol and
    /// flags.
    private static let longestRecord = 4 * 10 + 2 * 5 + 2 * 3 + 2

    /// Every address kept, by number (a file repeats a few addresses in many records).
    private var addresses: [IPAddress] = []
    private let numbers = AddressNumbers()
    private let file: ScratchFile
    private let buffer: UnsafeMutableRawBufferPointer
    private var buffered = 0
    /// The start of the last record appended.
    private var lastStart: Int64 = 0
    /// Records kept.
    private(set) var count = 0

    init(directory: String) throws {
        file = try ScratchFile(directory: directory)
        buffer = .allocate(byteCount: 1 << 20, alignment: 8)
    }

    deinit { buffer.deallocate() }

    func append(_ record: FlowRecord) throws {
        if buffer.count - buffered < Self.longestRecord { try flush() }
        let (source, destination) = numbers.numbers(record.source, record.destination) { addresses.append($0) }
        var writer = VarintWriter(base: buffer.baseAddress! + buffered)
        writer.put(zigzag(record.start &- lastStart))
        writer.put(UInt64(record.end - record.start))
        writer.put(UInt64(record.packets))
        writer.put(UInt64(record.ipBytes))
        writer.put(UInt64(source))
        writer.put(UInt64(destination))
        writer.put(UInt64(record.sourcePort))
        writer.put(UInt64(record.destinationPort))
        writer.byte(record.ipProtocol)
        writer.byte(record.tcpFlags)
        buffered += writer.written
        lastStart = record.start
        count += 1
    }

    /// Calls `body` with every record kept, in the order they came (without the names of pods and
    /// services: the first pass has taken those).
    func forEach(_ body: (FlowRecord) throws -> Void) throws {
        try flush()
        let base = buffer.baseAddress!
        var held = 0, start: Int64 = 0, atEnd = false
        while true {
            if !atEnd {
                let got = try file.read(into: base + held, count: buffer.count - held)
                held += got
                atEnd = got == 0
            }
            // Decode while a whole record surely lies in the buffer; at the file's end, to its last byte.
            var reader = VarintReader(base: UnsafeRawPointer(base))
            while held - reader.offset >= Self.longestRecord || (atEnd && reader.offset < held) {
                start = start &+ unzigzag(reader.next())
                let span = Int64(bitPattern: reader.next()), packets = Int64(bitPattern: reader.next())
                let ipBytes = Int64(bitPattern: reader.next())
                let source = addresses[Int(reader.next())], destination = addresses[Int(reader.next())]
                let sourcePort = UInt16(truncatingIfNeeded: reader.next()), destinationPort = UInt16(truncatingIfNeeded: reader.next())
                let ipProtocol = reader.byte(), tcpFlags = reader.byte()
                try body(FlowRecord(source: source, destination: destination, sourcePort: sourcePort, destinationPort: destinationPort,
                                    ipProtocol: ipProtocol, tcpFlags: tcpFlags, start: start, end: start + span, packets: packets,
                                    ipBytes: ipBytes))
            }
            if atEnd { return }
            held -= reader.offset
            base.copyMemory(from: base + reader.offset, byteCount: held)
        }
    }

    private func flush() throws {
        try file.write(UnsafeRawBufferPointer(start: buffer.baseAddress, count: buffered))
        buffered = 0
    }

    private func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }
    private func unzigzag(_ value: UInt64) -> Int64 { Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1) }
}

/// LEB128 varints written from `base`: 7 bits a byte, low bits first, the high bit set on every byte
/// but the last.
private struct VarintWriter {
    let base: UnsafeMutableRawPointer
    private(set) var written = 0

    init(base: UnsafeMutableRawPointer) { self.base = base }

    @inline(__always) mutating func put(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            byte(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest &>>= 7
        }
        byte(UInt8(rest))
    }

    // Offsets stay within the buffer, which the caller sized: no overflow checks.
    @inline(__always) mutating func byte(_ value: UInt8) {
        base.storeBytes(of: value, toByteOffset: written, as: UInt8.self)
        written &+= 1
    }
}

/// Reads what `VarintWriter` wrote, from `base`; the caller knows the bytes are there.
private struct VarintReader {
    let base: UnsafeRawPointer
    private(set) var offset = 0

    init(base: UnsafeRawPointer) { self.base = base }

    @inline(__always) mutating func next() -> UInt64 {
        var value: UInt64 = 0, shift: UInt64 = 0
        while true {
            let byte = self.byte()
            value |= UInt64(byte & 0x7F) &<< shift
            if byte < 0x80 { return value }
            shift &+= 7
        }
    }

    // Offsets stay within what was written: no overflow checks.
    @inline(__always) mutating func byte() -> UInt8 {
        defer { offset &+= 1 }
        return base.load(fromByteOffset: offset, as: UInt8.self)
    }
}
