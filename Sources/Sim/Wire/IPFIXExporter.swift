import Contract
import SystemSupport

/// What a flow exporter on each recorded node sends, stored as a collector stores it: IPFIX messages
/// (RFC 7011) back to back, each node an observation domain (its index + 1) with its own sequence
/// numbers. A flow is one direction of a 5-tuple as the records' copy shows it; it is exported when
/// it has been quiet for the idle timeout, or has lasted the active timeout (then the next packet
/// starts a new record), checked at every packet and once a simulated second, and when the
/// simulation ends. Templates (IPv4 256, IPv6 257) open a domain's first message and every 20th.
final class IPFIXExporter {
    private typealias Key = NodeFlowKey

    fileprivate struct Flow {
        var first: Int64, last: Int64
        var packets: Int64 = 0, octets: Int64 = 0
        var flags: UInt8 = 0
    }

    /// The file's name in the simulation's directory.
    static let fileName = "records.ipfix"
    /// Template IDs.
    static let ipv4Template: UInt16 = 256, ipv6Template: UInt16 = 257
    /// Data records per message at most: messages stay under a 1,500-byte datagram.
    static let recordsPerMessage = 20

    private let output: AtomicOutputFile
    private let activeTimeout: Int64, idleTimeout: Int64
    private var flows: [Key: Flow] = [:]
    /// Per node: data records sent, and messages sent.
    private var sequence: [Int32: UInt32] = [:]
    private var messages: [Int32: Int] = [:]
    private(set) var recordsExported = 0

    init(directory: String, options: FlowExportOptions) throws {
        output = try AtomicOutputFile(path: directory + "/" + Self.fileName)
        activeTimeout = Nanoseconds.from(seconds: options.activeTimeoutS)
        idleTimeout = Nanoseconds.from(seconds: options.idleTimeoutS)
    }

    func observe(_ packet: ObservedPacket) throws {
        let key = packet.flowKey
        if let flow = flows[key], packet.timestamp - flow.first >= activeTimeout || packet.timestamp - flow.last >= idleTimeout {
            try export([(key, flow)], node: packet.node, at: packet.timestamp)
            flows[key] = nil
        }
        flows[key, default: Flow(first: packet.timestamp, last: packet.timestamp)].add(packet)
    }

    /// Exports the flows whose timeouts have passed by each node's clock.
    func sweep(clock: (Int32) -> Int64) throws {
        var due: [Int32: [(Key, Flow)]] = [:]
        for (key, flow) in flows {
            let now = clock(key.node)
            if now - flow.last >= idleTimeout || now - flow.first >= activeTimeout { due[key.node, default: []].append((key, flow)) }
        }
        for node in due.keys.sorted() {
            let flows = due[node]!.sorted { ($0.1.first, $0.0) < ($1.1.first, $1.0) }
            for (key, _) in flows { self.flows[key] = nil }
            try export(flows, node: node, at: clock(node))
        }
    }

    /// Exports every flow left (the exporter stops) and publishes the file.
    func finish(clock: (Int32) -> Int64) throws {
        var left: [Int32: [(Key, Flow)]] = [:]
        for (key, flow) in flows { left[key.node, default: []].append((key, flow)) }
        for node in left.keys.sorted() {
            try export(left[node]!.sorted { ($0.1.first, $0.0) < ($1.1.first, $1.0) }, node: node, at: clock(node))
        }
        flows = [:]
        try output.publish(durable: false)
    }

    private func export(_ records: [(Key, Flow)], node: Int32, at time: Int64) throws {
        var start = 0
        while start < records.count {
            let batch = records[start..<min(records.count, start + Self.recordsPerMessage)]
            try write(message(batch, node: node, at: time))
            start += batch.count
        }
    }

    private func message(_ records: ArraySlice<(Key, Flow)>, node: Int32, at time: Int64) -> [UInt8] {
        var sets: [UInt8] = []
        let sent = messages[node, default: 0]
        if sent % 20 == 0 { sets += Self.templateSet }
        for isIPv4 in [true, false] {
            let family = records.filter { $0.0.source.isIPv4 == isIPv4 }
            guard !family.isEmpty else { continue }
            var body: [UInt8] = []
            for (key, flow) in family {
                body += Self.address(key.source) + Self.address(key.destination) + Self.be16(key.sourcePort) + Self.be16(key.destinationPort)
                    + [key.ipProtocol, flow.flags] + Self.be64(UInt64(floorDivide(flow.first, 1_000_000)))
                    + Self.be64(UInt64(floorDivide(flow.last, 1_000_000))) + Self.be64(UInt64(flow.packets)) + Self.be64(UInt64(flow.octets))
            }
            sets += Self.set(isIPv4 ? Self.ipv4Template : Self.ipv6Template, body)
        }
        let sequenceNumber = sequence[node, default: 0]
        sequence[node] = sequenceNumber &+ UInt32(records.count)
        messages[node] = sent + 1
        recordsExported += records.count
        return Self.be16(10) + Self.be16(UInt16(16 + sets.count)) + Self.be32(UInt32(clamping: floorDivide(time, Nanoseconds.perSecond)))
            + Self.be32(sequenceNumber) + Self.be32(UInt32(node) + 1) + sets
    }

    private func write(_ bytes: [UInt8]) throws { try output.write(bytes) }

    /// Both templates: addresses, ports, protocol, TCP flags, flowStart/EndMilliseconds, packet and
    /// octet delta counts.
    private static let templateSet: [UInt8] = {
        func template(_ id: UInt16, source: UInt16, destination: UInt16, length: UInt16) -> [UInt8] {
            let fields: [(UInt16, UInt16)] = [(source, length), (destination, length), (7, 2), (11, 2), (4, 1), (6, 1), (152, 8), (153, 8),
                                              (2, 8), (1, 8)]
            return be16(id) + be16(UInt16(fields.count)) + fields.flatMap { be16($0.0) + be16($0.1) }
        }
        return set(2, template(ipv4Template, source: 8, destination: 12, length: 4) + template(ipv6Template, source: 27, destination: 28, length: 16))
    }()

    private static func set(_ id: UInt16, _ body: [UInt8]) -> [UInt8] { be16(id) + be16(UInt16(4 + body.count)) + body }
    private static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
    private static func be32(_ value: UInt32) -> [UInt8] { be16(UInt16(value >> 16)) + be16(UInt16(value & 0xFFFF)) }
    private static func be64(_ value: UInt64) -> [UInt8] { be32(UInt32(value >> 32)) + be32(UInt32(value & 0xFFFF_FFFF)) }

    private static func address(_ address: IPAddress) -> [UInt8] {
        address.isIPv4 ? be32(UInt32(truncatingIfNeeded: address.low)) : be64(address.high) + be64(address.low)
    }
}

extension IPFIXExporter.Flow {
    mutating func add(_ packet: ObservedPacket) {
        last = max(last, packet.timestamp)
        first = min(first, packet.timestamp)
        packets += 1
        octets += Int64(packet.ipLength)
        flags |= packet.tcpFlags
    }
}
