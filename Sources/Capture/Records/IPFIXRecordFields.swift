import Contract
import SystemSupport

/// The values one IPFIX data record gave, gathered field by field before they are turned into a
/// `FlowRecord` (a time may need a system init time given later in the same record).
struct RecordFields {
    struct Counters {
        var packetDelta: UInt64?
        var octetDelta: UInt64?
        var packetTotal: UInt64?
        var octetTotal: UInt64?
    }

    /// What a start or end field gave: the raw value and its unit.
    struct RawTime {
        var value: UInt64
        var unit: IPFIXRole.TimeUnit
    }

    enum Time {
        case value(Int64)
        case absent
        case needsSystemInit
        case outOfRange
    }

    /// Seconds from the NTP epoch (1900) to the Unix epoch.
    private static let ntpToUnixSeconds: UInt64 = 2_208_988_800

    var sourceIPv4: UInt32?, destinationIPv4: UInt32?
    var sourceIPv6: IPAddress?, destinationIPv6: IPAddress?
    var sourcePort: UInt16 = 0, destinationPort: UInt16 = 0
    var ipProtocol: UInt8?
    var tcpFlags: UInt16 = 0, reverseTCPFlags: UInt16 = 0
    var icmpTypeCode: UInt16?, icmpType: UInt8?, icmpCode: UInt8?
    var forward = Counters(), reverse = Counters()
    var start: RawTime?, end: RawTime?
    var duration: RawTime?
    /// Nanoseconds since the epoch.
    var systemInit: Int64?
    /// Where the pods' names lie in the message: turned into text only for a record that has them.
    var sourcePodNamespace = TextSpan(), sourcePodName = TextSpan(), destinationPodNamespace = TextSpan(), destinationPodName = TextSpan()
    var sourceNodeName = TextSpan(), destinationNodeName = TextSpan()
    var destinationServicePortName = TextSpan()
    var destinationClusterIP: IPAddress?

    /// Takes field `role` of `length` bytes at `offset`; lengths were checked against the role when the
    /// template was read.
    @inline(__always)
    mutating func take(_ role: IPFIXRole, _ bytes: MessageBytes, _ offset: Int, _ length: Int) {
        switch role {
        case .sourceIPv4: sourceIPv4 = bytes.u32(offset)
        case .destinationIPv4: destinationIPv4 = bytes.u32(offset)
        case .sourceIPv6: sourceIPv6 = IPAddress(ipv6: bytes.unsigned(offset, 8), bytes.unsigned(offset + 8, 8))
        case .destinationIPv6: destinationIPv6 = IPAddress(ipv6: bytes.unsigned(offset, 8), bytes.unsigned(offset + 8, 8))
        case .sourcePort: sourcePort = UInt16(bytes.unsigned(offset, length))
        case .destinationPort: destinationPort = UInt16(bytes.unsigned(offset, length))
        case .ipProtocol: ipProtocol = bytes.u8(offset)
        case .tcpFlags: tcpFlags = UInt16(bytes.unsigned(offset, length))
        case .reverseTCPFlags: reverseTCPFlags = UInt16(bytes.unsigned(offset, length))
        case .icmpTypeCode: icmpTypeCode = UInt16(bytes.unsigned(offset, length))
        case .icmpType: icmpType = bytes.u8(offset)
        case .icmpCode: icmpCode = bytes.u8(offset)
        case .packetDelta: forward.packetDelta = bytes.unsigned(offset, length)
        case .octetDelta: forward.octetDelta = bytes.unsigned(offset, length)
        case .packetTotal: forward.packetTotal = bytes.unsigned(offset, length)
        case .octetTotal: forward.octetTotal = bytes.unsigned(offset, length)
        case .reversePacketDelta: reverse.packetDelta = bytes.unsigned(offset, length)
        case .reverseOctetDelta: reverse.octetDelta = bytes.unsigned(offset, length)
        case .reversePacketTotal: reverse.packetTotal = bytes.unsigned(offset, length)
        case .reverseOctetTotal: reverse.octetTotal = bytes.unsigned(offset, length)
        case .startSeconds: start = RawTime(value: bytes.unsigned(offset, length), unit: .seconds)
        case .endSeconds: end = RawTime(value: bytes.unsigned(offset, length), unit: .seconds)
        case .startMilliseconds: start = RawTime(value: bytes.unsigned(offset, length), unit: .milliseconds)
        case .endMilliseconds: end = RawTime(value: bytes.unsigned(offset, length), unit: .milliseconds)
        case .startNTPMicroseconds: start = RawTime(value: bytes.unsigned(offset, length), unit: .ntpMicroseconds)
        case .endNTPMicroseconds: end = RawTime(value: bytes.unsigned(offset, length), unit: .ntpMicroseconds)
        case .startNTPNanoseconds: start = RawTime(value: bytes.unsigned(offset, length), unit: .ntpNanoseconds)
        case .endNTPNanoseconds: end = RawTime(value: bytes.unsigned(offset, length), unit: .ntpNanoseconds)
        case .startSinceSystemInit: start = RawTime(value: bytes.unsigned(offset, length), unit: .sinceSystemInit)
        case .endSinceSystemInit: end = RawTime(value: bytes.unsigned(offset, length), unit: .sinceSystemInit)
        case .startBeforeExport: start = RawTime(value: bytes.unsigned(offset, length), unit: .beforeExport)
        case .endBeforeExport: end = RawTime(value: bytes.unsigned(offset, length), unit: .beforeExport)
        case .durationMilliseconds: duration = RawTime(value: bytes.unsigned(offset, length), unit: .durationMilliseconds)
        case .durationMicroseconds: duration = RawTime(value: bytes.unsigned(offset, length), unit: .durationMicroseconds)
        case .systemInit:
            let milliseconds = bytes.unsigned(offset, length)
            systemInit = milliseconds <= UInt64(Int64.max / 1_000_000) ? Int64(milliseconds) * 1_000_000 : nil
        case .sourcePodNamespace: sourcePodNamespace = TextSpan(offset, length)
        case .sourcePodName: sourcePodName = TextSpan(offset, length)
        case .destinationPodNamespace: destinationPodNamespace = TextSpan(offset, length)
        case .destinationPodName: destinationPodName = TextSpan(offset, length)
        case .sourceNodeName: sourceNodeName = TextSpan(offset, length)
        case .destinationNodeName: destinationNodeName = TextSpan(offset, length)
        case .destinationServicePortName: destinationServicePortName = TextSpan(offset, length)
        case .destinationClusterIPv4: destinationClusterIP = IPAddress(ipv4: bytes.u32(offset))
        case .destinationClusterIPv6: destinationClusterIP = IPAddress(ipv6: bytes.unsigned(offset, 8), bytes.unsigned(offset + 8, 8))
        case .skipped: break
        }
    }

    /// Source and destination of one family, or nil.
    var addresses: (IPAddress, IPAddress)? {
        if let source = sourceIPv4, let destination = destinationIPv4 { return (IPAddress(ipv4: source), IPAddress(ipv4: destination)) }
        if let source = sourceIPv6, let destination = destinationIPv6 { return (source, destination) }
        return nil
    }

    /// The ports as flows' tables hold them: for ICMP and ICMPv6 the type and the code, from the
    /// type-and-code elements or, where an exporter put them there as NetFlow did, the destination port.
    func ports(ipProtocol: UInt8) -> (UInt16, UInt16) {
        guard ipProtocol == 1 || ipProtocol == 58 else { return (sourcePort, destinationPort) }
        if let icmpTypeCode { return (icmpTypeCode >> 8, icmpTypeCode & 0xFF) }
        if icmpType != nil || icmpCode != nil { return (UInt16(icmpType ?? 0), UInt16(icmpCode ?? 0)) }
        if sourcePort == 0 && destinationPort != 0 { return (destinationPort >> 8, destinationPort & 0xFF) }
        return (sourcePort, destinationPort)
    }

    /// What the record names, read from `message`: the pods (both texts present, non-empty, UTF-8), the
    /// nodes they run on and the service; nil when it names no pod and no service.
    func names(in message: MessageBytes) -> RecordNames? {
        guard !sourcePodName.isEmpty || !destinationPodName.isEmpty || !destinationServicePortName.isEmpty else { return nil }
        return RecordNames(sourcePod: Self.pod(sourcePodNamespace, sourcePodName, message),
                           destinationPod: Self.pod(destinationPodNamespace, destinationPodName, message),
                           destinationService: destinationService(in: message),
                           sourceNode: Self.text(sourceNodeName, message), destinationNode: Self.text(destinationNodeName, message))
    }

    private static func text(_ span: TextSpan, _ message: MessageBytes) -> String? {
        span.isEmpty ? nil : message.text(Int(span.offset), Int(span.length))
    }

    /// The service the record's packets were sent to (Antrea's port name and cluster address).
    private func destinationService(in message: MessageBytes) -> ServiceName? {
        guard let text = Self.text(destinationServicePortName, message) else { return nil }
        // An unspecified cluster address (0.0.0.0) is no address.
        let address = destinationClusterIP.flatMap { $0.high == 0 && $0.low == 0 ? nil : $0 }
        return ServiceName(antreaPortName: text, address: address)
    }

    private static func pod(_ namespace: TextSpan, _ name: TextSpan, _ message: MessageBytes) -> PodName? {
        guard let namespaceText = text(namespace, message), let nameText = text(name, message) else { return nil }
        return PodName(namespace: namespaceText, name: nameText)
    }

    /// Why a record's times cannot place it, under its damage name.
    struct SpanDamage: Error {
        var name: String
    }

    /// The record's first and last packet: its start and end (either standing for both when only one
    /// is given), or its start and duration.
    func span(systemInit initTime: Int64?, exportTime: Int64) -> Result<(start: Int64, end: Int64), SpanDamage> {
        var (first, last): (Int64, Int64)
        switch (time(start: true, systemInit: initTime, exportTime: exportTime), time(start: false, systemInit: initTime, exportTime: exportTime)) {
        case let (.value(start), .value(end)): (first, last) = (start, end)
        case let (.value(start), .absent): (first, last) = (start, start)
        case let (.absent, .value(end)): (first, last) = (end, end)
        case (.needsSystemInit, _), (_, .needsSystemInit): return .failure(SpanDamage(name: "record_without_system_init_time"))
        case (.outOfRange, _), (_, .outOfRange): return .failure(SpanDamage(name: "record_time_out_of_range"))
        default: return .failure(SpanDamage(name: "record_without_time"))
        }
        if let duration {
            guard start != nil else { return .failure(SpanDamage(name: "record_without_time")) }
            let scale: UInt64 = duration.unit == .durationMilliseconds ? 1_000_000 : 1_000
            guard duration.value <= UInt64(Int64.max) / scale else { return .failure(SpanDamage(name: "record_time_out_of_range")) }
            let (sum, overflow) = first.addingReportingOverflow(Int64(duration.value * scale))
            guard !overflow else { return .failure(SpanDamage(name: "record_time_out_of_range")) }
            last = sum
        }
        guard first <= last else { return .failure(SpanDamage(name: "record_end_before_start")) }
        return .success((first, last))
    }

    /// The start or end in nanoseconds since the epoch.
    private func time(start isStart: Bool, systemInit initTime: Int64?, exportTime: Int64) -> Time {
        guard let raw = isStart ? start : end else { return .absent }
        let value = raw.value
        switch raw.unit {
        case .seconds:
            return .value(Int64(value) * 1_000_000_000)  // at most 32 bits
        case .milliseconds:
            guard value <= UInt64(Int64.max / 1_000_000) else { return .outOfRange }
            return .value(Int64(value) * 1_000_000)
        case .ntpMicroseconds, .ntpNanoseconds:
            let seconds = value >> 32
            var fraction = value & 0xFFFF_FFFF
            if raw.unit == .ntpMicroseconds { fraction &= ~0x7FF }
            guard seconds >= Self.ntpToUnixSeconds else { return .outOfRange }
            return .value(Int64(seconds - Self.ntpToUnixSeconds) * 1_000_000_000 + Int64((fraction * 1_000_000_000) >> 32))
        case .sinceSystemInit:
            // A 32-bit millisecond uptime wraps every 49.7 days (and an exporter reading an old capture
            // sends times before its own start, wrapped): of the times it can stand for, the one
            // nearest the message's export time.
            guard let initTime else { return .needsSystemInit }
            let period: Int64 = (1 << 32) * 1_000_000
            let (sum, overflow) = initTime.addingReportingOverflow(Int64(value) * 1_000_000)
            guard !overflow, exportTime <= Int64.max / 1_000_000_000 else { return .outOfRange }
            let turns = floorDivide(exportTime * 1_000_000_000 - sum + period / 2, period)
            let (time, wrapped) = sum.addingReportingOverflow(turns * period)
            return wrapped ? .outOfRange : .value(time)
        case .beforeExport:
            return .value(exportTime * 1_000_000_000 - Int64(value) * 1_000)
        case .durationMilliseconds, .durationMicroseconds:
            return .absent
        }
    }
}

/// Where a text lies in its message (a message is at most 65,535 bytes long). Empty: absent, or
/// present and empty, which a record's names treat alike.
struct TextSpan {
    var offset: UInt16 = 0
    var length: UInt16 = 0

    init() {}

    init(_ offset: Int, _ length: Int) {
        (self.offset, self.length) = (UInt16(offset), UInt16(length))
    }

    var isEmpty: Bool { length == 0 }
}
