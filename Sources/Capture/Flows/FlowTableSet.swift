import Contract
import Table

/// The tables mimir-flows and mimir-records write into a directory: pairs.parquet and flows.parquet,
/// filled by a `FlowAggregator`, and summary.parquet, written last from the run's counters. All
/// three carry the same provenance: the stage, its parameters, the windows' origin and, where it is
/// not one whole capture, the observation.
struct FlowTableSet {
    let directory: String
    let metadata: [KeyValue]
    let pairs: WindowedRowWriter
    let flows: WindowedRowWriter

    init(directory: String, stage: String, version: String, parameters: JSONValue, origin: Int64, observation: Observation?) throws {
        var extra = [KeyValue(key: WindowColumns.originKey, value: EpochSeconds.format(origin))]
        if let observation { extra.append(try observation.keyValue()) }
        metadata = try Provenance(stage: stage, version: version, schemaVersion: FlowTables.schemaVersion, params: parameters, extra: extra).keyValues
        self.directory = directory
        pairs = try WindowedRowWriter(path: directory + "/pairs.parquet", schema: FlowTables.pairs, metadata: metadata)
        flows = try WindowedRowWriter(path: directory + "/flows.parquet", schema: FlowTables.flows, metadata: metadata)
    }

    /// Publishes pairs and flows, then the summary of `counters`.
    func close(summary counters: PacketCounters) throws {
        try pairs.close()
        try flows.close()
        let names = counters.entries.keys.sorted()
        let writer = try TableWriter(path: directory + "/summary.parquet", schema: FlowTables.summary, metadata: metadata)
        try writer.write(TableBatch(schema: FlowTables.summary, columns: [
            ColumnArray(names),
            ColumnArray(names.map { Int64(counters.entries[$0]!.count) }),
            ColumnArray(names.map { counters.entries[$0]!.firstPacket.map(Int64.init) }),
        ]))
        try writer.close()
    }
}
