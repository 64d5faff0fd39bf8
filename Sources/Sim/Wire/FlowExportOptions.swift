/// Which flow records the simulator writes beside its captures, of the same traffic
/// (docs/simulator.md, "Flow records").
public struct FlowExportOptions: Sendable, Equatable {
    /// Write `records.ipfix`: what a flow exporter on every recorded node sends.
    public var ipfix = false
    /// With `ipfix`: records name their pods and services with Antrea's elements, as Antrea's flow
    /// exporter does.
    public var ipfixNames = false
    /// Write `conn.log`: what Zeek logs of the same packets.
    public var connLog = false
    /// The exporter's active timeout: a flow still sending after this long is exported and goes on
    /// in a new record. Seconds.
    public var activeTimeoutS = 60.0
    /// The exporter's idle timeout: a flow quiet for this long is exported. Seconds.
    public var idleTimeoutS = 15.0

    public init() {}

    /// Whether any records are written.
    public var any: Bool { ipfix || connLog }
}
