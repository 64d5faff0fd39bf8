/// What mimir-records takes from an IPFIX field: the information elements it reads (RFC 7012's IANA
/// registry; RFC 5103's reverse elements, enterprise 29305; Antrea's Kubernetes elements), each
/// with the lengths its type allows. Every other element is skipped by its length.
enum IPFIXRole: Equatable {
    case sourceIPv4, destinationIPv4, sourceIPv6, destinationIPv6
    case sourcePort, destinationPort, ipProtocol, tcpFlags
    case icmpTypeCode, icmpType, icmpCode
    /// A counter: packets or octets, delta or total, forward or reverse (RFC 5103).
    case counter(Counter)
    case reverseTCPFlags
    /// A flow's start or end in a unit.
    case time(TimeField)
    /// `systemInitTimeMilliseconds`: the epoch time `*SysUpTime` fields count from.
    case systemInit
    case sourcePodNamespace, sourcePodName, destinationPodNamespace, destinationPodName, sourceNodeName, destinationNodeName
    case destinationServicePortName, destinationClusterIPv4, destinationClusterIPv6
    case skipped

    struct Counter: Equatable {
        var octets: Bool
        var total: Bool
        var reverse: Bool
    }

    enum TimeUnit: Equatable {
        /// dateTimeSeconds: seconds since the epoch.
        case seconds
        /// dateTimeMilliseconds: milliseconds since the epoch.
        case milliseconds
        /// dateTimeMicroseconds: an NTP timestamp (seconds since 1900, fraction) whose fraction's low
        /// 11 bits are ignored (RFC 7011, 6.1.9).
        case ntpMicroseconds
        /// dateTimeNanoseconds: an NTP timestamp with its whole fraction.
        case ntpNanoseconds
        /// Milliseconds since the exporter's system init (`systemInitTimeMilliseconds`).
        case sinceSystemInit
        /// Microseconds before the message's export time.
        case beforeExport
        /// A duration after the start, milliseconds or microseconds.
        case durationMilliseconds, durationMicroseconds
    }

    struct TimeField: Equatable {
        var isStart: Bool
        var unit: TimeUnit
    }

    /// RFC 5103's enterprise number for reverse elements.
    static let reversePEN: UInt32 = 29305
    /// Antrea's enterprise number (go-ipfix's `AntreaEnterpriseID`), and the one its earlier releases
    /// used (whose registry numbered the service elements differently).
    static let antreaPEN: UInt32 = 56506, earlyAntreaPEN: UInt32 = 55829

    /// The role of element `id` of enterprise `pen` (0 for IANA's).
    init(id: UInt16, pen: UInt32) {
        switch pen {
        case 0: self = Self.iana(id)
        case Self.reversePEN:
            switch id {
            case 1: self = .counter(Counter(octets: true, total: false, reverse: true))
            case 2: self = .counter(Counter(octets: false, total: false, reverse: true))
            case 85: self = .counter(Counter(octets: true, total: true, reverse: true))
            case 86: self = .counter(Counter(octets: false, total: true, reverse: true))
            case 6: self = .reverseTCPFlags
            default: self = .skipped
            }
        case Self.antreaPEN, Self.earlyAntreaPEN:
            let early = pen == Self.earlyAntreaPEN
            switch id {
            case 100: self = .sourcePodNamespace
            case 101: self = .sourcePodName
            case 102: self = .destinationPodNamespace
            case 103: self = .destinationPodName
            case 104: self = .sourceNodeName
            case 105: self = .destinationNodeName
            case 106: self = .destinationClusterIPv4
            case 107: self = early ? .skipped : .destinationClusterIPv6
            case 108: self = early ? .destinationServicePortName : .skipped
            case 109: self = early ? .skipped : .destinationServicePortName
            default: self = .skipped
            }
        default: self = .skipped
        }
    }

    private static func iana(_ id: UInt16) -> IPFIXRole {
        switch id {
        case 8: .sourceIPv4
        case 12: .destinationIPv4
        case 27: .sourceIPv6
        case 28: .destinationIPv6
        case 7: .sourcePort
        case 11: .destinationPort
        case 4: .ipProtocol
        case 6: .tcpFlags
        case 32, 139: .icmpTypeCode
        case 176, 178: .icmpType
        case 177, 179: .icmpCode
        case 1: .counter(Counter(octets: true, total: false, reverse: false))
        case 2: .counter(Counter(octets: false, total: false, reverse: false))
        case 85: .counter(Counter(octets: true, total: true, reverse: false))
        case 86: .counter(Counter(octets: false, total: true, reverse: false))
        case 150, 151: .time(TimeField(isStart: id == 150, unit: .seconds))
        case 152, 153: .time(TimeField(isStart: id == 152, unit: .milliseconds))
        case 154, 155: .time(TimeField(isStart: id == 154, unit: .ntpMicroseconds))
        case 156, 157: .time(TimeField(isStart: id == 156, unit: .ntpNanoseconds))
        case 22, 21: .time(TimeField(isStart: id == 22, unit: .sinceSystemInit))
        case 158, 159: .time(TimeField(isStart: id == 158, unit: .beforeExport))
        case 161: .time(TimeField(isStart: false, unit: .durationMilliseconds))
        case 162: .time(TimeField(isStart: false, unit: .durationMicroseconds))
        case 160: .systemInit
        default: .skipped
        }
    }

    /// Whether a field of `length` bytes (65535: variable) can hold this role's value. Unsigned
    /// integers may be sent in fewer bytes (RFC 7011's reduced-size encoding).
    func accepts(length: Int) -> Bool {
        switch self {
        case .sourceIPv4, .destinationIPv4: length == 4
        case .sourceIPv6, .destinationIPv6: length == 16
        case .sourcePort, .destinationPort, .icmpTypeCode: (1...2).contains(length)
        case .ipProtocol, .icmpType, .icmpCode: length == 1
        case .tcpFlags, .reverseTCPFlags: (1...2).contains(length)
        case .counter, .systemInit: (1...8).contains(length)
        case let .time(field):
            switch field.unit {
            case .seconds, .sinceSystemInit, .beforeExport: (1...4).contains(length)
            case .milliseconds, .durationMilliseconds, .durationMicroseconds: (1...8).contains(length)
            case .ntpMicroseconds, .ntpNanoseconds: length == 8
            }
        case .sourcePodNamespace, .sourcePodName, .destinationPodNamespace, .destinationPodName, .sourceNodeName, .destinationNodeName,
             .destinationServicePortName: true
        case .destinationClusterIPv4: length == 4
        case .destinationClusterIPv6: length == 16
        case .skipped: true
        }
    }
}
