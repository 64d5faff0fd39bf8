import Contract

/// One flow record of an exporter or a log, as mimir-records counts it: one direction of a flow over
/// an interval, with the packets and IP bytes of that direction. Numbers only, so that it copies as
/// plain bytes (readers hand millions of them on); what a source says of the endpoints comes beside
/// it, as `RecordNames`.
public struct FlowRecord: Sendable, Equatable {
    public var source: IPAddress
    public var destination: IPAddress
    /// Ports for TCP, UDP and SCTP; for ICMP and ICMPv6 the type and the code, as in flows' tables.
    public var sourcePort: UInt16
    public var destinationPort: UInt16
    public var ipProtocol: UInt8
    /// TCP flags seen, OR-ed (0 where the source does not say).
    public var tcpFlags: UInt8
    /// The first and last packet's time, nanoseconds since the epoch (`start <= end`).
    public var start: Int64
    public var end: Int64
    public var packets: Int64
    /// IP bytes, IP headers included (IPFIX's octet counters, Zeek's `*_ip_bytes`, VPC's `bytes`).
    public var ipBytes: Int64

    public init(source: IPAddress, destination: IPAddress, sourcePort: UInt16 = 0, destinationPort: UInt16 = 0, ipProtocol: UInt8,
                tcpFlags: UInt8 = 0, start: Int64, end: Int64, packets: Int64, ipBytes: Int64) {
        self.source = source
        self.destination = destination
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.ipProtocol = ipProtocol
        self.tcpFlags = tcpFlags
        self.start = start
        self.end = end
        self.packets = packets
        self.ipBytes = ipBytes
    }
}

/// The pods, their nodes and the service a flow record names (Antrea's elements).
public final class RecordNames: Sendable, Equatable {
    public let sourcePod: PodName?
    public let destinationPod: PodName?
    public let destinationService: ServiceName?
    public let sourceNode: String?
    public let destinationNode: String?

    /// Nil when the record names no pod and no service.
    init?(sourcePod: PodName?, destinationPod: PodName?, destinationService: ServiceName?, sourceNode: String?, destinationNode: String?) {
        guard sourcePod != nil || destinationPod != nil || destinationService != nil else { return nil }
        (self.sourcePod, self.destinationPod, self.destinationService) = (sourcePod, destinationPod, destinationService)
        (self.sourceNode, self.destinationNode) = (sourceNode, destinationNode)
    }

    public static func == (a: RecordNames, b: RecordNames) -> Bool {
        a.sourcePod == b.sourcePod && a.destinationPod == b.destinationPod && a.destinationService == b.destinationService
            && a.sourceNode == b.sourceNode && a.destinationNode == b.destinationNode
    }
}

/// A pod's namespace and name as a record gives them.
public struct PodName: Sendable, Hashable {
    public var namespace: String
    public var name: String

    public init(namespace: String, name: String) {
        (self.namespace, self.name) = (namespace, name)
    }
}

/// A service as a record names it: namespace, name, and its cluster address where given.
public struct ServiceName: Sendable, Hashable {
    public var namespace: String
    public var name: String
    public var address: IPAddress?

    public init(namespace: String, name: String, address: IPAddress? = nil) {
        (self.namespace, self.name, self.address) = (namespace, name, address)
    }

    /// Antrea's `destinationServicePortName`, `NAMESPACE/NAME:PORT` (the port's name may be empty),
    /// with the cluster address; nil for other text.
    init?(antreaPortName text: String, address: IPAddress?) {
        guard let slash = text.firstIndex(of: "/") else { return nil }
        let namespace = String(text[..<slash]), rest = text[text.index(after: slash)...]
        let name = String(rest[..<(rest.lastIndex(of: ":") ?? rest.endIndex)])
        guard !namespace.isEmpty, !name.isEmpty else { return nil }
        self.init(namespace: namespace, name: name, address: address)
    }
}
