/// The flow records written beside the captures, of the same packets (docs/simulator.md, "Flow
/// records"): a flow exporter's IPFIX and Zeek's conn.log, either or both.
final class FlowExport {
    let ipfix: IPFIXExporter?
    let connLog: ConnLogWriter?

    /// `names`: where the exporter looks pods and services up (for `ipfixNames`).
    init(directory: String, options: FlowExportOptions, start: Int64, names: ExporterNames.Directory) throws {
        ipfix = options.ipfix ? try IPFIXExporter(directory: directory, options: options, names: options.ipfixNames ? names : nil) : nil
        connLog = options.connLog ? try ConnLogWriter(directory: directory, opened: start) : nil
    }

    func observe(_ packet: ObservedPacket) throws {
        try ipfix?.observe(packet)
        try connLog?.observe(packet)
    }

    /// Exports and logs what is due by each node's clock (once a simulated second).
    func sweep(clock: (Int32) -> Int64) throws {
        try ipfix?.sweep(clock: clock)
        try connLog?.sweep(clock: clock)
    }

    /// Exports and logs the rest and publishes the files; `end` is when the capture ends.
    func finish(clock: (Int32) -> Int64, end: Int64) throws {
        try ipfix?.finish(clock: clock)
        try connLog?.finish(closed: end)
    }
}
