import Contract
import SystemSupport

/// What a flow exporter on each recorded node sends, stored as a collector stores it: IPFIX messages
/// (RFC 7011) back to back, each node an observation domain (its index + 1) with its own sequence
/// numbers. A flow is one direction of a 5-tuple as the records' copy shows it; it is exported when
/// it has been quiet for the idle timeout, or has lasted the active timeout (then the next packet
/// starts a new record), checked at every packet and once a simulated second, and when the
/// simulation ends. Templates (IPv4 256, IPv6 257) open a domain's first message and every 20th.
/// Naming pods and services (`ipfixNames`), the templates (258, 259) add Antrea's elements, and a
/// message holds as many records as fit 1,400 bytes.
final class IPFIXExporter {
    private typealias Key = NodeFlowKey

    fileprivate struct Flow {
        var first: Int64, last: Int64
        var packets: Int64 = 0, octets: Int64 = 0
        var flags: UInt8 = 0
        /// What the exporter says of the endpoints, when it names them.
        var names: ExporterNames?
    }

    /// The file's name in the simulation's directory.
    static let fileName = "records.ipfix"
    /// Template IDs, without and with Antrea's elements.
    static let ipv4Template: UInt16 = 256, ipv6Template: UInt16 = 257
    static let namedIPv4Template: UInt16 = 258, namedIPv6Template: UInt16 = 259
    /// Bytes of sets a message with names holds at most (a record's names make its length vary).
    static let namedMessageBudget = 1400
    /// Data records per message at most: messages stay under a 1,500-byte datagram.
    static let recordsPerMessage = 20

    private let output: AtomicOutputFile
    private let activeTimeout: Int64, idleTimeout: Int64
    private let names: ExporterNames.Directory?
    private var flows: [Key: Flow] = [:]
    /// Per node: data records sent, and messages sent.
    private var sequence: [Int32: UInt32] = [:]
    private var messages: [Int32: Int] = [:]
    private(set) var recordsExported = 0

    init(directory: String, options: FlowExportOptions, names: ExporterNames.Directory?) throws {
        output = try AtomicOutputFile(path: directory + "/" + Self.fileName)
        self.names = names
        activeTimeout = Nanoseconds.from(seconds: options.activeTimeoutS)
        idleTimeout = Nanoseconds.from(seconds: options.idleTimeoutS)
    }

    func observe(_ packet: ObservedPacket) throws {
        let key = packet.flowKey
        if let flow = flows[key], packet.timestamp - flow.first >= activeTimeout || packet.timestamp - flow.last >= idleTimeout {
            try export([(key, flow)], node: packet.node, at: packet.timestamp)
            flows[key] = nil
        }
        flows[key, default: Flow(first: packet.timestamp, last: packet.timestamp, names: names.map { ExporterNames(of: packet, in: $0) })]
            .add(packet)
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
        let encoded = records.map { (isIPv4: $0.0.source.isIPv4, bytes: Self.record($0)) }
        var start = 0
        while start < encoded.count {
            var end = min(encoded.count, start + Self.recordsPerMessage)
            if names != nil {
                // As many records as fit the budget, at least one.
                var bytes = 0
                end = start
                while end < encoded.count {
                    bytes += encoded[end].bytes.count
                    if end > start && bytes > Self.namedMessageBudget { break }
                    end += 1
                }
            }
            try write(message(encoded[start..<end], node: node, at: time))
            start = end
        }
    }

    private func message(_ records: ArraySlice<(isIPv4: Bool, bytes: [UInt8])>, node: Int32, at time: Int64) -> [UInt8] {
        var sets: [UInt8] = []
        let sent = messages[node, default: 0]
        if sent % 20 == 0 { sets += names == nil ? Self.templateSet : Self.namedTemplateSet }
        for isIPv4 in [true, false] {
            let family = records.filter { $0.isIPv4 == isIPv4 }
            guard !family.isEmpty else { continue }
            let template = names == nil ? (isIPv4 ? Self.ipv4Template : Self.ipv6Template) : (isIPv4 ? Self.namedIPv4Template : Self.namedIPv6Template)
            sets += Self.set(template, family.flatMap(\.bytes))
        }
        let sequenceNumber = sequence[node, default: 0]
        sequence[node] = sequenceNumber &+ UInt32(records.count)
        messages[node] = sent + 1
        recordsExported += records.count
        return Self.be16(10) + Self.be16(UInt16(16 + sets.count)) + Self.be32(UInt32(clamping: floorDivide(time, Nanoseconds.perSecond)))
            + Self.be32(sequenceNumber) + Self.be32(UInt32(node) + 1) + sets
    }

    private func write(_ bytes: [UInt8]) throws { try output.write(bytes) }

    /// A record's fields: addresses, ports, protocol, TCP flags, flowStart/EndMilliseconds, packet and
    /// octet delta counts; with names, Antrea's (enterprise 56506): source and destination pod
    /// namespace and name, destination service port name, source and destination node (variable
    /// length), and the service's cluster address.
    private static func record(_ entry: (key: Key, flow: Flow)) -> [UInt8] {
        let (key, flow) = entry
        var bytes = address(key.source) + address(key.destination) + be16(key.sourcePort) + be16(key.destinationPort)
            + [key.ipProtocol, flow.flags] + be64(UInt64(floorDivide(flow.first, 1_000_000)))
            + be64(UInt64(floorDivide(flow.last, 1_000_000))) + be64(UInt64(flow.packets)) + be64(UInt64(flow.octets))
        if let names = flow.names {
            let service = names.service.map { "\($0.namespace)/\($0.name):" } ?? ""
            for text in [names.source?.name.namespace, names.source?.name.name, names.destination?.name.namespace, names.destination?.name.name,
                         service, names.source?.node, names.destination?.node] {
                bytes += variableLength(Array((text ?? "").utf8))
            }
            // No service: the unspecified address, as Antrea sends it.
            bytes += address(names.service?.address ?? (key.source.isIPv4 ? IPAddress(ipv4: 0) : IPAddress(ipv6: 0, 0)))
        }
        return bytes
    }

    /// The fields of both families' templates.
    private static func fields(source: UInt16, destination: UInt16, length: UInt16) -> [(UInt16, UInt16)] {
        [(source, length), (destination, length), (7, 2), (11, 2), (4, 1), (6, 1), (152, 8), (153, 8), (2, 8), (1, 8)]
    }

    private static func template(_ id: UInt16, _ fields: [(UInt16, UInt16)], antrea: [(UInt16, UInt16)] = []) -> [UInt8] {
        be16(id) + be16(UInt16(fields.count + antrea.count)) + fields.flatMap { be16($0.0) + be16($0.1) }
            + antrea.flatMap { be16($0.0 | 0x8000) + be16($0.1) + be32(antreaPEN) }
    }

    private static let templateSet = set(2, template(ipv4Template, fields(source: 8, destination: 12, length: 4))
                                            + template(ipv6Template, fields(source: 27, destination: 28, length: 16)))

    /// Antrea's enterprise number, and its elements' IDs as its registry numbers them.
    private static let antreaPEN: UInt32 = 56506
    private static let namedTemplateSet: [UInt8] = {
        let strings: [(UInt16, UInt16)] = [100, 101, 102, 103, 109, 104, 105].map { ($0, 65535) }
        return set(2, template(namedIPv4Template, fields(source: 8, destination: 12, length: 4), antrea: strings + [(106, 4)])
                      + template(namedIPv6Template, fields(source: 27, destination: 28, length: 16), antrea: strings + [(107, 16)]))
    }()

    /// A variable-length field's value (RFC 7011, 7): a one-byte length, or 255 and two bytes.
    private static func variableLength(_ value: [UInt8]) -> [UInt8] {
        (value.count < 255 ? [UInt8(value.count)] : [255] + be16(UInt16(value.count))) + value
    }

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
