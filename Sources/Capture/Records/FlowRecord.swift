import Contract

/// One flow record of an exporter or a log, as mimir-records counts it: one direction of a flow over
/// an interval, with the packets and IP bytes of that direction.
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
    /// The pods at either end, where the source names them (Antrea's elements).
    public var sourcePod: PodName?
    public var destinationPod: PodName?

    public init(source: IPAddress, destination: IPAddress, sourcePort: UInt16 = 0, destinationPort: UInt16 = 0, ipProtocol: UInt8,
                tcpFlags: UInt8 = 0, start: Int64, end: Int64, packets: Int64, ipBytes: Int64,
                sourcePod: PodName? = nil, destinationPod: PodName? = nil) {
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
        self.sourcePod = sourcePod
        self.destinationPod = destinationPod
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
