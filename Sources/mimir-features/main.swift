import ArgumentParser
import Cluster
import Graph
import StageSupport
import Table
import Contract

/// mimir-features: one row of graph features per window.
struct FeaturesCommand: StageCommand {
    static let version = "5"

    static let configuration = CommandConfiguration(
        commandName: "mimir-features",
        abstract: "Compute the Mimir graph features of every window.",
        discussion: """
        Reads a pod edge table (mimir-graph's, or mimir-inject's with attacks added) and writes \
        features.parquet into --out DIR: per window, the service-pair reciprocity and edge variation, \
        service harmonic centrality, current-flow betweenness from the sensitive service to outside, \
        the service-address invariant, DNS ratios, novelty (edges and peers never seen before, also in \
        --reference), the Ide-Kashima baseline score, and with --flows the destination ports, fan-out \
        and failed connections of every service. docs/features.md defines every column.

        Example: mimir-features --pod-edges artifacts/graph/pod_edges.parquet --sensitive my-release-pxc --out artifacts/features
        """,
        version: version)

    @Option(help: "The pod edge table.")
    var podEdges: String

    @Option(help: "The sensitive service (sources of the current-flow betweenness features).")
    var sensitive: String?

    @Option(help: "A flows table of mimir-flows (repeat for every shard); needs --entities.")
    var flows: [String] = []

    @Option(help: "The entity log, to name the flows' addresses as graph did (with --flows).")
    var entities: [String] = []

    @Option(help: "cluster.yaml (with --flows; default: inferred from the entity log).")
    var cluster: String?

    @Option(help: "A reference pod edge table (the training capture's graph before injection): its edges are not new.")
    var reference: String?

    @Option(help: "fixed (default): the method with its bugs fixed. mimir: the original's formulas.")
    var profile = FeatureProfile.fixed

    @Option(help: "Windows of history for the Ide-Kashima typical pattern.")
    var ideHistory = 10

    @OptionGroup var out: OutputDirectory

    func validate() throws {
        guard flows.isEmpty || !entities.isEmpty else { throw ValidationError("--flows needs --entities to name the flows' addresses") }
        guard (1...10_000).contains(ideHistory) else { throw ValidationError("--ide-history must be from 1 to 10000 windows") }
    }

    func run() throws {
        let out = try self.out.create()
        let progress = Progress("mimir-features")
        let options = FeatureOptions(profile: profile, sensitiveService: sensitive, ideHistory: ideHistory)
        let extraction = try FeatureExtraction(podEdges: podEdges, options: options)
        if let reference { try extraction.addReference(podEdges: reference) }
        if !flows.isEmpty {
            guard let originText = extraction.origin, let origin = EpochSeconds.parse(originText) else {
                throw ContractError.notTheTable(path: podEdges, expected: "a pod-edge table of mimir-graph",
                                                detail: "it has no \(WindowColumns.originKey) entry, so its windows cannot be matched with flows")
            }
            guard let naming = extraction.naming else {
                throw ContractError.notTheTable(path: podEdges, expected: "a pod-edge table of mimir-graph 2 or later",
                                                detail: "it does not record how graph named addresses (\(AddressNaming.key)); run mimir-graph again")
            }
            let setup = try NamingSetup(naming: naming, entities: entities, cluster: cluster, origin: origin)
            try extraction.addFlows(paths: flows, namer: setup.namer, origin: origin)
        }
        let params = JSONValue.object([
            "profile": .string(profile.rawValue), "sensitive": sensitive.map { .string($0) } ?? .null, "ide_history": .int(Int64(ideHistory)),
            "flows": .bool(!flows.isEmpty), "reference": .bool(reference != nil),
        ])
        let counts = try extraction.write(path: out + "/features.parquet", provenance: params, version: Self.version) { done, total in
            progress.update("\(done) of \(total) windows")
        }
        if !extraction.observation.showsBothCopies {
            let why = extraction.observation.source == .records
                ? "comes from flow records, which show each packet once (docs/records.md)"
                : "comes from one node's capture of a cluster of \(extraction.observation.clusterNodes.count) nodes, which shows one copy of the "
                    + "traffic between its pods and other nodes' pods; capture every node (docs/captures.md, \"Every node's capture\")"
            progress.warn("\(FeatureExtraction.needBothCopies.joined(separator: ", ")) cannot be computed (NaN): \(podEdges) \(why)")
        }
        progress.finish("\(counts.windows) windows, \(counts.features) features", outputs: "table in \(out)")
    }
}

extension FeatureProfile: ExpressibleByArgument {}

StageMain.run(FeaturesCommand.self)
