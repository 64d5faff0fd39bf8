import Contract

/// One packet as a flow exporter or Zeek observes it: the copy a view marks as the records' copy
/// (docs/simulator.md, "Flow records"), with the addresses and ports of that view.
struct ObservedPacket {
    /// The node whose exporter sees it.
    var node: Int32
    var source: IPAddress
    var destination: IPAddress
    var sourcePort: UInt16
    var destinationPort: UInt16
    var ipProtocol: UInt8
    var tcpFlags: UInt8
    /// The IP packet's length, headers included, and its transport payload's.
    var ipLength: Int
    var payloadLength: Int
    /// The node's clock, nanoseconds since the epoch.
    var timestamp: Int64
    /// Client to server, as the view's client and server are.
    var forward: Bool
}
