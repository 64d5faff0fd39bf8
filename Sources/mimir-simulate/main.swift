import ArgumentParser
import Capture
import Contract
import Cluster
import Foundation
import Sim
import StageSupport

/// mimir-simulate: a node capture of a Kubernetes microservice application, with its entity log and
/// ground truth.
struct SimulateCommand: StageCommand {
    static let configuration = CommandConfiguration(
        commandName: "mimir-simulate",
        abstract: "Simulate what tcpdump -i any records on a Kubernetes node running a microservice application.",
        discussion: """
        Writes into --out DIR: capture.pcap (or capture.pcapng), entities.jsonl (which pod or service \
        owned which address, when), truth.parquet (the attacks played in, with their paths and bytes) \
        and cluster.yaml (the cluster's address ranges). With --every-node, one capture per node \
        (capture-NODE.pcap) listed in captures.parquet, and single-node-pairs.parquet: the address \
        pairs one capture of the whole cluster would count, which the nodes' shares add up to. With \
        --ipfix and --conn-log, the same traffic's flow records: records.ipfix (a flow exporter's, \
        with --active-timeout and --idle-timeout) and conn.log (Zeek's), each packet once. Users arrive from outside along a daily load \
        curve compressed into the capture; services call each other as the application model says; \
        autoscaling adds and removes pods; attacks come from --events. The same models, options and \
        seed give byte-identical files. Models: pipelines/apps/*.yaml, pipelines/clusters/*.yaml; \
        docs/simulator.md describes them.

        Example: mimir-simulate --app pipelines/apps/wordpress.yaml --cluster pipelines/clusters/minikube.yaml \
        --events pipelines/events/wordpress-attacks.yaml --duration 3600 --out artifacts/sim
        """,
        version: SimulationVersion.current)

    static var version: String { SimulationVersion.current }

    @Option(help: "The application model (YAML).")
    var app: String

    @Option(help: "The cluster model (YAML): nodes, address ranges, network plugin, outside hosts.")
    var cluster: String

    @Option(help: "Attacks to play in (YAML: events one by one, and ranges to draw a seeded plan from); none by default.")
    var events: String?

    @OptionGroup var out: OutputDirectory

    @Option(help: "Length of the capture in seconds.")
    var duration: Double = 600

    @Option(help: "Time of the capture's start (RFC 3339).")
    var start = "2026-11-28T10:00:00Z"

    @Option(help: "Seed of every random draw.")
    var seed: UInt64 = 1

    @Option(help: "Peak concurrent users (default: the model's).")
    var users: Int?

    @Option(help: "Daily load curve compressed into the capture: \(LoadCurve.allCases.map(\.rawValue).joined(separator: ", ")).")
    var curve = LoadCurve.normal

    @Option(help: "The users' request mix: TASK=SHARE,... (e.g. browse=0.2,buy=0.3,register=0.5); tasks not named keep the model's weight.")
    var mix: String?

    @Option(help: "Capture format: pcap or pcapng.")
    var format = CaptureFileFormat.pcap

    @Option(help: "Link-layer header: sll2 (what tcpdump -i any writes today), sll or ethernet.")
    var link = LinkChoice.sll2

    @Option(help: "Timestamp resolution: ns or us.")
    var timestamps = TimestampResolution.ns

    @Option(help: "Bytes kept of each packet (tcpdump -s); the original experiments used 1024.")
    var snaplen = 262_144

    @Flag(help: "Write every node's capture (capture-NODE.pcap, listed in captures.parquet) and single-node-pairs.parquet, not only the capture node's capture.pcap.")
    var everyNode = false

    @Option(help: "Set the nodes' clocks off by -MS on the first node to +MS on the last, spread evenly (default: the cluster model's clock_skew_ms).")
    var clockSkew: Double?

    @Option(help: "Window lengths of single-node-pairs.parquet, whole seconds, comma-separated.")
    var truthWindows = "10,60"

    @Flag(help: "Write records.ipfix: the IPFIX a flow exporter on the recorded nodes sends of the same traffic.")
    var ipfix = false

    @Flag(help: "With --ipfix: name pods and services in the records with Antrea's elements, as Antrea's flow exporter does.")
    var ipfixNames = false

    @Flag(help: "Write conn.log: what Zeek logs of the same traffic (TSV).")
    var connLog = false

    @Option(help: "The flow exporter's active timeout, seconds: a longer flow is exported in parts.")
    var activeTimeout = 60.0

    @Option(help: "The flow exporter's idle timeout, seconds: a flow quiet this long is exported.")
    var idleTimeout = 15.0

    var truthWindowLengths: [Int] { truthWindows.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    static func parseMix(_ text: String) throws -> [(task: String, share: Double)] {
        try text.split(separator: ",").map { part in
            let pieces = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pieces.count == 2, !pieces[0].isEmpty, let share = Double(pieces[1]) else {
                throw ValidationError("--mix takes TASK=SHARE,... (e.g. browse=0.2,buy=0.3,register=0.5), not '\(text)'")
            }
            return (pieces[0], share)
        }
    }

    func validate() throws {
        if let mix { _ = try Self.parseMix(mix) }
        try validateNumber(duration, "--duration", in: 1...(30 * 86_400), unit: "seconds")
        guard Timestamp.parse(start) != nil else { throw ValidationError("--start '\(start)' is not an RFC 3339 time such as 2026-11-28T10:00:00Z") }
        guard (64...262_144).contains(snaplen) else { throw ValidationError("--snaplen must be between 64 and 262144") }
        if let users, !(0...100_000).contains(users) { throw ValidationError("--users must be from 0 to 100000") }
        if let clockSkew { try validateNumber(clockSkew, "--clock-skew", in: 0...60_000, unit: "milliseconds") }
        try validateNumber(activeTimeout, "--active-timeout", in: 1...86_400, unit: "seconds")
        try validateNumber(idleTimeout, "--idle-timeout", in: 1...86_400, unit: "seconds")
        guard ipfix || !ipfixNames else { throw ValidationError("--ipfix-names names pods in records.ipfix: give --ipfix too") }
        let lengths = truthWindowLengths
        guard !lengths.isEmpty, lengths.count == truthWindows.split(separator: ",").count, lengths.allSatisfy({ (1...86_400).contains($0) }) else {
            throw ValidationError("--truth-windows takes whole seconds from 1 to 86400, comma-separated, not '\(truthWindows)'")
        }
    }

    func run() throws {
        let appModel = try mix.map { try AppModel.read(path: app).withTaskMix(try Self.parseMix($0)) } ?? AppModel.read(path: app)
        let clusterModel = try ClusterModel.read(path: cluster)
        let plan = (try events.map(AttackPlan.read) ?? AttackPlan(events: [])).expanded(duration: duration, seed: seed)
        try plan.validate(app: appModel, duration: duration, path: events ?? "")
        guard let startTime = Timestamp.parse(start) else { throw ValidationError("--start '\(start)' is not an RFC 3339 time") }
        let out = try self.out.create()
        var options = SimulationOptions(durationS: duration, start: startTime, seed: seed, users: users, curve: curve, format: format,
                                        linkType: link.linkType, nanosecondTimestamps: timestamps == .ns,
                                        snapLength: snaplen)
        options.mix = mix
        options.everyNode = everyNode
        options.clockSkewMs = clockSkew
        options.truthWindows = truthWindowLengths
        options.flowExport.ipfix = ipfix
        options.flowExport.ipfixNames = ipfixNames
        options.flowExport.connLog = connLog
        options.flowExport.activeTimeoutS = activeTimeout
        options.flowExport.idleTimeoutS = idleTimeout
        let progress = Progress("mimir-simulate")
        let simulation = try Simulation(app: appModel, cluster: clusterModel, plan: plan, options: options, directory: out)
        let report = try simulation.run { seconds, packets in
            progress.update("\(Int(seconds)) of \(Int(duration)) s simulated, \(humanCount(packets)) packets")
        }
        let rate = Double(report.packets) / max(progress.elapsed, 1e-9)
        progress.finish("\(humanCount(report.packets)) packets (\(humanCount(report.captureBytes)) bytes), \(report.podsCreated) pods, "
                        + "\(report.truth.count) attacks, \(humanCount(Int(rate))) packets/s", outputs: "files in \(out)")
    }
}

/// The link-layer headers the simulator writes.
enum LinkChoice: String, CaseIterable, ExpressibleByArgument {
    case sll2, sll, ethernet

    var linkType: LinkType {
        switch self {
        case .sll2: .linuxSLL2
        case .sll: .linuxSLL
        case .ethernet: .ethernet
        }
    }
}

enum TimestampResolution: String, CaseIterable, ExpressibleByArgument {
    case ns, us
}

extension LoadCurve: ExpressibleByArgument {}
extension CaptureFileFormat: ExpressibleByArgument {}

StageMain.run(SimulateCommand.self)
