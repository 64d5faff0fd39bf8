import Contract

/// Reads a file of IPFIX messages (RFC 7011) as collectors store them: RFC 5655's file format, or
/// messages written back to back, as received. Templates and options templates are kept per
/// observation domain; withdrawals remove them. Each data record of a flow template becomes one
/// `FlowRecord` per direction that carried traffic (RFC 5103's reverse counters give the second).
///
/// Damage is counted, never fatal (summary.parquet's `damaged.ipfix_*`): bytes that are no message
/// (skipped up to the next plausible header), a message cut short by the file's end, sets or records
/// that overrun what holds them, reserved set IDs, data sets whose template is unknown (before it,
/// or withdrawn), gaps in a domain's sequence numbers and the records they lost, and records that
/// cannot be placed: no addresses, no time, an end before the start, `*SysUpTime` without the
/// exporter's `systemInitTimeMilliseconds`, counters beyond 2^63.
final class IPFIXReader: RecordReader {
    /// The damage seen, by name; `firstPacket` holds the number of records delivered before it.
    private(set) var damage = PacketCounters()
    /// Messages read whole, and templates defined.
    private(set) var messages = 0
    private(set) var templatesDefined = 0

    private let input: BufferedInput
    // Read for every data set and record from one thread, never across a call that could re-enter:
    // dynamic exclusivity checks on them are off, as in the flow aggregator.
    @exclusivity(unchecked) private var templates: [IPFIXTemplateKey: IPFIXTemplate] = [:]
    /// Per domain: the sequence numbers so far.
    private var sequences: [UInt32: IPFIXSequence] = [:]
    /// Per domain: the exporter's system init time (nanoseconds since the epoch), from options records.
    @exclusivity(unchecked) private var systemInit: [UInt32: Int64] = [:]
    /// Total counters last seen per flow, for exporters that send only totals.
    private var lastTotals: [TotalsKey: (packets: UInt64, octets: UInt64)] = [:]
    @exclusivity(unchecked) private var delivered = 0

    private struct TotalsKey: Hashable {
        var domain: UInt32
        var source: IPAddress, destination: IPAddress
        var ports: UInt32
        var ipProtocol: UInt8
        var reverse: Bool
    }

    init(_ input: BufferedInput) {
        self.input = input
    }

    var compressionEndedEarly: Bool { input.endedEarly }
    var tallies: [(String, Int)] { [("ipfix_messages", messages), ("ipfix_templates", templatesDefined)] }
    /// Damage is counted; the names say enough.
    var warnings: [String] { [] }

    /// Calls `body` with every flow record, in file order.
    func read(_ body: (FlowRecord, RecordNames?) throws -> Void) throws {
        var skipped = 0
        while true {
            guard let header = try input.request(16) else {
                skipped += input.available
                break
            }
            let bytes = MessageBytes(base: header)
            let length = Int(bytes.u16(2))
            guard bytes.u16(0) == 10, length >= 16 else {
                // Not a message: look for the next header, one byte on.
                input.consume(1)
                skipped += 1
                continue
            }
            guard let message = try input.request(length) else {
                count("ipfix_truncated_message")
                input.consume(input.available)
                break
            }
            if skipped > 0 {
                count("ipfix_bytes_skipped", skipped)
                skipped = 0
            }
            try decode(MessageBytes(base: message), length: length, body)
            input.consume(length)
            messages += 1
        }
        if skipped > 0 { count("ipfix_bytes_skipped", skipped) }
    }

    private func count(_ name: String, _ amount: Int = 1) {
        damage.record(name, count: amount, packet: delivered)
    }

    // MARK: Messages and sets

    private func decode(_ message: MessageBytes, length: Int, _ body: (FlowRecord, RecordNames?) throws -> Void) throws {
        let exportTime = Int64(message.u32(4))
        let sequence = message.u32(8)
        let domain = message.u32(12)
        var dataRecords = 0, flowRecords = 0
        var sequenceKnown = true
        var offset = 16
        while length - offset >= 4 {
            let setID = message.u16(offset), setLength = Int(message.u16(offset + 2))
            guard setLength >= 4, setLength <= length - offset else {
                count("ipfix_short_set")
                sequenceKnown = false
                break
            }
            let contents = (offset + 4)..<(offset + setLength)
            switch setID {
            case 2, 3:
                readTemplates(message, contents, domain: domain, options: setID == 3)
            case 256...:
                if let template = templates[IPFIXTemplateKey(domain: domain, id: setID)] {
                    let records = try readData(message, contents, template, domain: domain, exportTime: exportTime, body)
                    dataRecords += records
                    if !template.isOptions { flowRecords += records }
                } else {
                    count("ipfix_data_without_template")
                    sequenceKnown = false
                }
            default:
                count("ipfix_reserved_set_id")
            }
            offset += setLength
        }
        if offset < length && length - offset < 4 { count("ipfix_short_set") }
        // A data set that could not be read has an unknown number of records: the next message's
        // sequence number cannot be checked.
        guard sequenceKnown else {
            sequences[domain, default: IPFIXSequence()].forget()
            return
        }
        if let lost = sequences[domain, default: IPFIXSequence()].check(sequence: sequence, records: dataRecords, flowRecords: flowRecords) {
            count("ipfix_sequence_gaps")
            if lost > 0 { count("ipfix_records_lost", lost) }
        }
    }

    private func readTemplates(_ message: MessageBytes, _ range: Range<Int>, domain: UInt32, options: Bool) {
        var offset = range.lowerBound
        let end = range.upperBound
        while end - offset >= 4 {
            let id = message.u16(offset), fieldCount = Int(message.u16(offset + 2))
            offset += 4
            if id == 0 && fieldCount == 0 { return }  // padding
            if fieldCount == 0 {
                withdraw(id, domain: domain, options: options)
                continue
            }
            guard id >= 256 else {
                count("ipfix_bad_template_id")
                return
            }
            if options {
                guard end - offset >= 2 else {
                    count("ipfix_short_set")
                    return
                }
                offset += 2  // the scope field count: scope fields are read like any other
            }
            var fields: [IPFIXTemplate.Field] = []
            for _ in 0..<fieldCount {
                guard end - offset >= 4 else {
                    count("ipfix_short_set")
                    return
                }
                let raw = message.u16(offset), length = Int(message.u16(offset + 2))
                offset += 4
                var pen: UInt32 = 0
                if raw & 0x8000 != 0 {
                    guard end - offset >= 4 else {
                        count("ipfix_short_set")
                        return
                    }
                    pen = message.u32(offset)
                    offset += 4
                }
                var role = IPFIXRole(id: raw & 0x7FFF, pen: pen)
                if length != IPFIXTemplate.variableLength && !role.accepts(length: length) {
                    count("ipfix_field_length_unusable")
                    role = .skipped
                }
                if length == IPFIXTemplate.variableLength, !role.acceptsVariableLength { role = .skipped }
                fields.append(IPFIXTemplate.Field(role: role, length: length))
            }
            let template = IPFIXTemplate(fields: fields, isOptions: options)
            guard template.minimumLength > 0 else {
                count("ipfix_empty_template")
                continue
            }
            templates[IPFIXTemplateKey(domain: domain, id: id)] = template
            templatesDefined += 1
        }
    }

    /// Removes template `id`, or with ID 2 (templates) or 3 (options templates) every one of the kind.
    private func withdraw(_ id: UInt16, domain: UInt32, options: Bool) {
        if id == (options ? 3 : 2) {
            templates = templates.filter { $0.key.domain != domain || $0.value.isOptions != options }
        } else {
            templates[IPFIXTemplateKey(domain: domain, id: id)] = nil
        }
    }

    // MARK: Data records

    /// Reads a data set's records; returns how many it held.
    private func readData(_ message: MessageBytes, _ range: Range<Int>, _ template: IPFIXTemplate, domain: UInt32, exportTime: Int64,
                          _ body: (FlowRecord, RecordNames?) throws -> Void) throws -> Int {
        var offset = range.lowerBound
        let end = range.upperBound
        var records = 0
        var initTime = systemInit[domain]
        if let placed = template.placedFields {
            let length = template.minimumLength
            while end - offset >= length {
                var fields = RecordFields()
                for field in placed { fields.take(field.role, message, offset + field.offset, field.length) }
                offset += length
                records += 1
                try use(fields, template, message, domain: domain, exportTime: exportTime, initTime: &initTime, body)
            }
            return records
        }
        while end - offset >= template.minimumLength {
            var fields = RecordFields()
            for field in template.fields {
                var length = field.length
                if length == IPFIXTemplate.variableLength {
                    guard end - offset >= 1 else { return shortRecord(records) }
                    length = Int(message.u8(offset))
                    offset += 1
                    if length == 255 {
                        guard end - offset >= 2 else { return shortRecord(records) }
                        length = Int(message.u16(offset))
                        offset += 2
                    }
                }
                guard end - offset >= length else { return shortRecord(records) }
                fields.take(field.role, message, offset, length)
                offset += length
            }
            records += 1
            try use(fields, template, message, domain: domain, exportTime: exportTime, initTime: &initTime, body)
        }
        return records
    }

    /// Uses a data record read whole: an options record's system init time is kept for the domain's
    /// later records; a flow record is delivered.
    private func use(_ fields: borrowing RecordFields, _ template: IPFIXTemplate, _ message: MessageBytes, domain: UInt32, exportTime: Int64,
                     initTime: inout Int64?, _ body: (FlowRecord, RecordNames?) throws -> Void) throws {
        if template.isOptions {
            if let time = fields.systemInit {
                systemInit[domain] = time
                initTime = time
            }
        } else {
            try deliver(fields, message, systemInit: fields.systemInit ?? initTime, domain: domain, exportTime: exportTime, body)
        }
    }

    private func shortRecord(_ records: Int) -> Int {
        count("ipfix_short_record")
        return records
    }

    private func deliver(_ fields: borrowing RecordFields, _ message: MessageBytes, systemInit initTime: Int64?, domain: UInt32, exportTime: Int64,
                         _ body: (FlowRecord, RecordNames?) throws -> Void) throws {
        guard let (source, destination) = fields.addresses else {
            count("record_without_addresses")
            return
        }
        let first: Int64, last: Int64
        switch fields.span(systemInit: initTime, exportTime: exportTime) {
        case let .success(span): (first, last) = span
        case let .failure(damage):
            count(damage.name)
            return
        }
        let ipProtocol = fields.ipProtocol ?? 0
        let (sourcePort, destinationPort) = fields.ports(ipProtocol: ipProtocol)
        // Names are rare: read only when a record has a name field that is not empty.
        let names = fields.names(in: message)
        let reverseNames = names.flatMap { names in
            RecordNames(sourcePod: names.destinationPod, destinationPod: names.sourcePod, destinationService: nil,
                        sourceNode: names.destinationNode, destinationNode: names.sourceNode)
        }
        for direction in 0..<2 {
            let reverse = direction == 1
            guard let (packets, octets) = counters(fields, reverse: reverse, domain: domain, source: source, destination: destination,
                                                   ports: UInt32(sourcePort) << 16 | UInt32(destinationPort), ipProtocol: ipProtocol) else {
                if !reverse { count("record_without_counters") }
                continue
            }
            guard packets <= UInt64(Int64.max), octets <= UInt64(Int64.max) else {
                count("record_counter_out_of_range")
                continue
            }
            guard packets > 0 || octets > 0 else { continue }
            let record = FlowRecord(source: reverse ? destination : source, destination: reverse ? source : destination,
                                    sourcePort: reverse ? destinationPort : sourcePort, destinationPort: reverse ? sourcePort : destinationPort,
                                    ipProtocol: ipProtocol, tcpFlags: UInt8(truncatingIfNeeded: reverse ? fields.reverseTCPFlags : fields.tcpFlags),
                                    start: first, end: last, packets: Int64(packets), ipBytes: Int64(octets))
            delivered += 1
            try body(record, reverse ? reverseNames : names)
        }
    }

    /// One direction's packets and octets: delta counters as sent, or the growth of total counters
    /// since the flow's last record (all of it after a restart, when the total fell); nil when the
    /// record has neither.
    private func counters(_ fields: borrowing RecordFields, reverse: Bool, domain: UInt32, source: IPAddress, destination: IPAddress, ports: UInt32,
                          ipProtocol: UInt8) -> (UInt64, UInt64)? {
        let side = reverse ? fields.reverse : fields.forward
        if side.packetDelta != nil || side.octetDelta != nil {
            return (side.packetDelta ?? 0, side.octetDelta ?? 0)
        }
        guard side.packetTotal != nil || side.octetTotal != nil else { return nil }
        let key = TotalsKey(domain: domain, source: source, destination: destination, ports: ports, ipProtocol: ipProtocol, reverse: reverse)
        let total = (packets: side.packetTotal ?? 0, octets: side.octetTotal ?? 0)
        let last = lastTotals[key] ?? (0, 0)
        lastTotals[key] = total
        let grew = total.packets >= last.packets && total.octets >= last.octets
        return grew ? (total.packets - last.packets, total.octets - last.octets) : total
    }
}

extension IPFIXRole {
    /// Whether the role's value can come in a variable-length field (strings only).
    var acceptsVariableLength: Bool {
        switch self {
        case .sourcePodNamespace, .sourcePodName, .destinationPodNamespace, .destinationPodName, .sourceNodeName, .destinationNodeName,
             .destinationServicePortName, .skipped: true
        default: false
        }
    }
}
