/// What mimir-records takes from an IPFIX field: the information elements it reads (RFC 7012's IANA
/// registry; RFC 5103's reverse elements, enterprise 29305; Antrea's Kubernetes elements), each
/// with the lengths its type allows. Every other element is skipped by its length. Roles carry no
/// values, so that taking a record's field is one jump (a counter's or a time's kind is in its case).
enum IPFIXRole: Equatable {
    case sourceIPv4, destinationIPv4, sourceIPv6, destinationIPv6
    case sourcePort, destinationPort, ipProtocol, tcpFlags, reverseTCPFlags
    case icmpTypeCode, icmpType, icmpCode
    /// Counters: packets or octets, delta or total, forward or reverse (RFC 5103).
    case packetDelta, octetDelta, packetTotal, octetTotal
    case reversePacketDelta, reverseOctetDelta, reversePacketTotal, reverseOctetTotal
    /// A flow's start or end in the unit its element names (`TimeUnit`), or its duration.
    case startSeconds, endSeconds, startMilliseconds, endMilliseconds
    case startNTPMicroseconds, endNTPMicroseconds, startNTPNanoseconds, endNTPNanoseconds
    case startSinceSystemInit, endSinceSystemInit, startBeforeExport, endBeforeExport
    case durationMilliseconds, durationMicroseconds
    /// `systemInitTimeMilliseconds`: the epoch time `*SysUpTime` fields count from.
    case systemInit
    case sourcePodNamespace, sourcePodName, destinationPodNamespace, destinationPodName, sourceNodeName, destinationNodeName
    case destinationServicePortName, destinationClusterIPv4, destinationClusterIPv6
    case skipped

    /// The units of time fields.
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
            case 1: self = .reverseOctetDelta
            case 2: self = .reversePacketDelta
            case 85: self = .reverseOctetTotal
            case 86: self = .reversePacketTotal
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
        case 1: .octetDelta
        case 2: .packetDelta
        case 85: .octetTotal
        case 86: .packetTotal
        case 150: .startSeconds
        case 151: .endSeconds
        case 152: .startMilliseconds
        case 153: .endMilliseconds
        case 154: .startNTPMicroseconds
        case 155: .endNTPMicroseconds
        case 156: .startNTPNanoseconds
        case 157: .endNTPNanoseconds
        case 22: .startSinceSystemInit
        case 21: .endSinceSystemInit
        case 158: .startBeforeExport
        case 159: .endBeforeExport
        case 161: .durationMilliseconds
        case 162: .durationMicroseconds
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
        case .packetDelta, .octetDelta, .packetTotal, .octetTotal, .reversePacketDelta, .reverseOctetDelta, .reversePacketTotal,
             .reverseOctetTotal, .systemInit: (1...8).contains(length)
        case .startSeconds, .endSeconds, .startSinceSystemInit, .endSinceSystemInit, .startBeforeExport, .endBeforeExport:
            (1...4).contains(length)
        case .startMilliseconds, .endMilliseconds, .durationMilliseconds, .durationMicroseconds: (1...8).contains(length)
        case .startNTPMicroseconds, .endNTPMicroseconds, .startNTPNanoseconds, .endNTPNanoseconds: length == 8
        case .sourcePodNamespace, .sourcePodName, .destinationPodNamespace, .destinationPodName, .sourceNodeName, .destinationNodeName,
             .destinationServicePortName: true
        case .destinationClusterIPv4: length == 4
        case .destinationClusterIPv6: length == 16
        case .skipped: true
        }
    }
}
