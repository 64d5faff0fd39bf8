import ArgumentParser
import Cluster
import Graph
import StageSupport
import Table
import Contract

/// mimir-graph: per-window pod and service communication graphs from pairs tables and an entity log.
struct GraphCommand: StageCommand {
    static let version = "4"

    static let configuration = CommandConfiguration(
        commandName: "mimir-graph",
        abstract: "Name the addresses of a capture's traffic by pod and service, window by window.",
        discussion: """
        Reads mimir-flows' pairs tables (one per shard; windows spanning shards are summed) and an entity \
        log (ours, kubectl watch streams, or the original project's pickled creation log; recognised by \
        content), and writes into --out DIR: pod_edges.parquet (pods, <service>_VIP nodes and outside), \
        service_edges.parquet (services) and nodes.parquet. An address maps to the entity that owned it \
        at the window's end, or its last owner during the window; everything outside the cluster's \
        ranges becomes one outside node, and the nodes' gateways follow the original's rule. \
        docs/graph.md describes every rule.

        Example: mimir-graph --pairs artifacts/flows/pairs.parquet --entities entities.jsonl --cluster cluster.yaml --out artifacts/graph
        """,
        version: version)

    @Option(help: "A pairs table of mimir-flows (repeat for every shard).")
    var pairs: [String]

    @Option(help: "The entity log: ours (JSON lines), kubectl watch streams, or the original's pickle.")
    var entities: [String]

    @Option(help: "cluster.yaml: pod and service ranges, node and gateway addresses (default: inferred from the entity log).")
    var cluster: String?

    @Option(help: "A gateway address (repeatable); adds to cluster.yaml's, or replaces the inferred ones.")
    var gateway: [String] = []

    @Flag(help: "Keep the cluster's own machinery (kube-system, the kubernetes service, node addresses); DNS is always kept.")
    var keepInfrastructure = false

    @Option(help: "fixed (default): mappings expire, pods join services by selector. mimir: the original's rules, for comparison.")
    var profile = MethodProfile.fixed

    @Option(help: "Seconds from the capture's start to the original pickle log's second 0 (the original's logger started 3 s early).")
    var logOffset = OriginalCreationLog.defaultOffset

    @Option(help: "The bytes an edge counts: frame (link header included, as tshark's conversations) or ip (IP lengths, what flow records count; needed for mimir-records' tables).")
    var bytes = ByteUnit.frame

    func validate() throws {
        try validateNumber(logOffset, "--log-offset", in: -86_400...86_400, unit: "seconds")
        for text in gateway where IPAddress(text) == nil { throw ValidationError("--gateway '\(text)' is not an IPv4 or IPv6 address") }
    }

    func run() throws {
        let out = try self.out.create()
        let progress = Progress("mimir-graph")
        let merged = try MergedPairs(paths: pairs, bytes: bytes)
        let naming = AddressNaming(profile: profile.rawValue, dropInfrastructure: !keepInfrastructure, gateways: gateway, logOffsetSeconds: logOffset)
        let setup = try NamingSetup(naming: naming, entities: entities, cluster: cluster, origin: merged.origin)
        try checkEveryNode(merged.observation, layout: setup.layout)
        var observation = merged.observation
        observation.clusterNodes = setup.layout.nodeNames
        let origin = KeyValue(key: WindowColumns.originKey, value: EpochSeconds.format(merged.origin))
        let provenance = try Self.provenance(schemaVersion: GraphTables.schemaVersion, params: naming.json.adding("bytes", .string(bytes.rawValue)),
                                             extra: [origin, try naming.keyValue(), try observation.keyValue()])
        let builder = GraphBuilder(pairs: merged, book: setup.book, layout: setup.layout, options: setup.options)
        let counts = try builder.write(directory: out, provenance: provenance) { done, total in progress.update("\(done) of \(total) windows") }
        progress.finish("\(counts.windows) windows, \(counts.podEdges) pod edges, \(counts.serviceEdges) service edges "
                        + "from \(setup.eventCount) entity events", outputs: "tables in \(out)")
    }

    /// Node shares add up to the cluster's traffic only when every node's share is there, once.
    func checkEveryNode(_ observation: Observation, layout: ClusterLayout) throws {
        guard observation.source == .nodeShare, !layout.nodeNames.isEmpty else { return }
        let missing = layout.nodeNames.filter { !observation.nodes.contains($0) }
        let unknown = observation.nodes.filter { !layout.nodeNames.contains($0) }
        guard missing.isEmpty, unknown.isEmpty else {
            let told = (missing.isEmpty ? [] : ["no share of node \(missing.joined(separator: ", "))"])
                + (unknown.isEmpty ? [] : ["shares of \(unknown.joined(separator: ", ")), which the cluster does not have"])
            throw TableError.mismatch(path: pairs.first ?? "--pairs", detail: "the pairs tables hold node shares (mimir-flows --node) of "
                                      + "\(observation.nodes.joined(separator: ", ")), but \(told.joined(separator: " and ")) "
                                      + "(the cluster's nodes: \(layout.nodeNames.joined(separator: ", "))); every node's share is needed")
        }
    }

    @OptionGroup var out: OutputDirectory
}

StageMain.run(GraphCommand.self)
