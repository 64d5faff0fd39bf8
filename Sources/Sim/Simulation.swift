import Seeded
import Capture
import Cluster
import Foundation
import Table
import SystemSupport
import Contract

/// What to simulate besides the models: length, start, seed, load, capture format.
public struct SimulationOptions: Sendable {
    public var durationS: Double
    /// Nanoseconds since the Unix epoch of the capture's first moment.
    public var start: Int64
    public var seed: UInt64
    /// Peak concurrent users; nil takes the model's.
    public var users: Int?
    public var curve: LoadCurve
    public var format: CaptureFileFormat
    public var linkType: LinkType
    public var nanosecondTimestamps: Bool
    public var snapLength: Int
    /// The request mix as given (`--mix`), recorded in the truth table's provenance.
    public var mix: String?
    /// Write every node's capture (and the single-node truth), not only the capture node's.
    public var everyNode = false
    /// Every node's clock off by a share of this many milliseconds, from -skew on the first node to
    /// +skew on the last; nil keeps the cluster model's `clock_skew_ms`.
    public var clockSkewMs: Double?
    /// Window lengths of the single-node truth table, seconds.
    public var truthWindows = [10, 60]
    /// Flow records to write beside the captures.
    public var flowExport = FlowExportOptions()

    public init(durationS: Double, start: Int64, seed: UInt64, users: Int?, curve: LoadCurve, format: CaptureFileFormat,
                linkType: LinkType, nanosecondTimestamps: Bool, snapLength: Int) {
        self.durationS = durationS
        self.start = start
        self.seed = seed
        self.users = users
        self.curve = curve
        self.format = format
        self.linkType = linkType
        self.nanosecondTimestamps = nanosecondTimestamps
        self.snapLength = snapLength
    }
}

/// What a simulation produced.
public struct SimulationReport: Sendable {
    public var packets: Int
    public var captureBytes: Int
    public var entityEvents: Int
    public var podsCreated: Int
    public var truth: [TruthEvent]
}

/// The simulator: a discrete-event simulation of users, services, the cluster's own components and
/// attacks, whose packets are written in time order as a node capture shows them. Its files
/// (ARCHITECTURE.md, "The stages"): the capture, `entities.jsonl`, `truth.parquet`, `cluster.yaml`.
/// Memory depends on the number of connections and requests in flight, not on the capture's length.
public final class Simulation {
    public static let stage = "simulate"

    let app: AppModel
    let cluster: ClusterModel
    let plan: AttackPlan
    let options: SimulationOptions
    let startTime: Int64
    let duration: Int64
    let captureNode: Int
    /// Which nodes' captures are written: every node's with `everyNode`, else the capture node's.
    let recorded: [Bool]
    /// How far each node's clock is off the entity log's, nanoseconds.
    let clockSkews: [Int64]
    let assembler: PacketAssembler
    /// Each recorded node's capture writer.
    let writers: [CaptureWriter?]
    @exclusivity(unchecked) var singleNodePairs: SingleNodePairs?
    // Read for every packet written: set once in init, so no dynamic exclusivity checks.
    @exclusivity(unchecked) private(set) var flowExport: FlowExport?
    let entityLog: EntityLogWriter

    // Touched for every packet: no dynamic exclusivity checks (each access is a plain read or write
    // of the simulation's own state on one thread; the checks cost a tenth of the run).
    @exclusivity(unchecked) var random: SeededRandom
    @exclusivity(unchecked) var queue = EventQueue<SimEvent>()
    @exclusivity(unchecked) var messages = MessageStore()
    @exclusivity(unchecked) var connections: [Connection] = []
    var freeConnections: [Int32] = []
    @exclusivity(unchecked) var pools: [PoolKey: [Int32]] = [:]
    var peerConnections: [PoolKey: Int32] = [:]
    @exclusivity(unchecked) var dnsCache: [PoolKey: Int64] = [:]
    let payloadScratch = UnsafeMutableRawPointer.allocate(byteCount: 1 << 17, alignment: 16)

    @exclusivity(unchecked) var services: [ServiceState] = []
    @exclusivity(unchecked) var pods: [PodState] = []
    var hostPods: [PodState] = []
    var appServiceIndex: [Int] = []
    /// The model's call graph by index: `[model service][operation]`.
    let calls: [[[AppModel.ResolvedCall]]]
    var dnsService = 0
    var metricsService = 0
    var podAddresses: [AddressPool]
    var serviceAddresses: AddressPool
    /// The next veth's interface index on each node.
    var nextInterface: [UInt32]

    var users: [UserState] = []
    var activeUsers = 0
    let peakUsers: Int
    let curve: [Double]
    let stepLength: Int64
    let taskWeightTotal: Double
    var attacks: [RunningAttack]

    let probePeriod = 10.0
    let terminationGrace: Int64 = 30_000_000_000
    /// Scale-down waits this long (Kubernetes' default of 5 minutes, compressed like the load curve).
    let scaleDownDelay: Int64

    let directory: String

    public init(app: AppModel, cluster: ClusterModel, plan: AttackPlan, options: SimulationOptions, directory: String) throws {
        self.app = app
        self.cluster = cluster
        self.plan = plan
        self.options = options
        self.directory = directory
        startTime = options.start
        duration = Nanoseconds.from(seconds: options.durationS)
        let captureNode = cluster.settings.nodes.firstIndex { $0.name == cluster.settings.captureNode } ?? 0
        self.captureNode = captureNode
        let nodes = cluster.settings.nodes
        recorded = nodes.indices.map { options.everyNode || $0 == captureNode }
        clockSkews = cluster.clockSkews(overriddenBy: options.clockSkewMs, seed: options.seed)
        nextInterface = Array(repeating: InterfaceIndex.firstVeth, count: nodes.count)
        assembler = PacketAssembler(linkType: options.linkType, vxlanPort: UInt16(cluster.settings.vxlanPort))
        random = SeededRandom(seed: options.seed)
        podAddresses = cluster.settings.nodes.map { node in
            let gateway = Int(truncatingIfNeeded: node.gateway.low &- node.podCIDR.network.low)
            return AddressPool(prefix: node.podCIDR, reserved: [gateway])
        }
        serviceAddresses = AddressPool(prefix: cluster.settings.serviceCIDR, reserved: [])
        peakUsers = options.users ?? app.load.users
        curve = options.curve.steps
        stepLength = max(1, duration / Int64(curve.count))
        taskWeightTotal = app.tasks.reduce(0) { $0 + $1.weight }
        calls = app.resolvedCalls()
        scaleDownDelay = max(15_000_000_000, duration / 288)
        attacks = plan.events.enumerated().map { index, event in
            RunningAttack(event: event, truth: TruthEvent(eventID: Int32(index + 1), kind: event.kind, start: 0, end: 0, source: "",
                                                          path: [], bytes: 0))
        }
        writers = try nodes.indices.map { node in
            guard options.everyNode || node == captureNode else { return nil }
            let name = options.everyNode ? NodeCaptures.fileName(node: nodes[node].name, format: options.format)
                : "capture." + options.format.fileExtension
            return try CaptureWriter(path: directory + "/" + name, format: options.format, linkType: options.linkType,
                                     nanosecondTimestamps: options.nanosecondTimestamps, snapLength: options.snapLength)
        }
        if options.everyNode {
            // Whole seconds at or before the earliest clock's start, aligned as split --align aligns shards.
            let earliest = options.start + (clockSkews.min() ?? 0)
            let longest = options.truthWindows.max() ?? 60
            singleNodePairs = SingleNodePairs(clock: WindowClock(origin: WindowClock.origin(firstPacket: earliest, alignedTo: longest),
                                                                 lengths: options.truthWindows))
        }
        entityLog = try EntityLogWriter(path: directory + "/entities.jsonl")
        flowExport = options.flowExport.any ? try FlowExport(directory: directory, options: options.flowExport, start: options.start,
                                                             names: exporterDirectory) : nil
    }

    /// The pods and services as an exporter that names them looks them up.
    private var exporterDirectory: ExporterNames.Directory {
        ExporterNames.Directory(pod: { [unowned self] index in
            let pod = pods[Int(index)]
            guard !pod.hostNetwork else { return nil }
            return (ExporterNames.Pod(name: PodName(namespace: services[pod.service].namespace, name: pod.name),
                                      node: cluster.settings.nodes[pod.node].name), pod.address)
        }, service: { [unowned self] index in
            let service = services[Int(index)]
            return ServiceName(namespace: service.namespace, name: service.name, address: service.address)
        })
    }

    /// Node `node`'s clock at simulation time `time`.
    func nodeClock(_ node: Int32, at time: Int64) -> Int64 { startTime + time + clockSkews[Int(node)] }

    deinit { payloadScratch.deallocate() }

    /// Runs the simulation and publishes its four files. `progress` is called now and then with the
    /// simulated seconds done.
    public func run(progress: (Double, Int) -> Void = { _, _ in }) throws -> SimulationReport {
        try createInitialCluster()
        queue.schedule(.loadStep(0), at: 0)
        queue.schedule(.autoscale, at: 15_000_000_000)
        queue.schedule(.sweep, at: Nanoseconds.perSecond)
        queue.schedule(.metrics, at: random.nanoseconds(0...60))
        for index in attacks.indices { queue.schedule(.attack(Int32(index)), at: Nanoseconds.from(seconds: attacks[index].event.startS)) }
        var nextProgress: Int64 = 0
        while let (time, event) = queue.popFirst(), time < duration {
            switch event {
            case let .segment(segment): try emit(segment, at: time)
            case let .userWake(user): userWake(Int(user), at: time)
            case let .loadStep(step): loadStep(Int(step), at: time)
            case .autoscale:
                try autoscale(at: time)
                queue.schedule(.autoscale, at: time + 15_000_000_000)
            case let .podReady(pod): try makeReady(Int(pod), at: time)
            case let .deletePod(pod): try delete(Int(pod), at: time)
            case let .probe(pod): probe(Int(pod), at: time)
            case let .peers(pod): peerTraffic(Int(pod), at: time)
            case let .background(pod): backgroundCalls(Int(pod), at: time)
            case .metrics: scrapeMetrics(at: time)
            case .sweep:
                sweepIdleConnections(at: time)
                try flowExport?.sweep { self.nodeClock($0, at: time) }
            case let .attack(index): attackStep(Int(index), at: time)
            }
            if time >= nextProgress {
                progress(Nanoseconds.seconds(time), packetCount)
                nextProgress = time + Nanoseconds.perSecond
            }
        }
        for index in attacks.indices where attacks[index].started && !attacks[index].finished {
            attacks[index].finished = true
            attacks[index].truth.end = startTime + duration
        }
        let truth = attacks.map(\.truth).filter { $0.end > 0 }
        let captureBytes = writers.reduce(0) { $0 + ($1?.bytesWritten ?? 0) }
        let packets = packetCount
        if let singleNodePairs {
            // Every node's share, summed: what the tables of every node's mimir-flows add up to.
            let observation = Observation(source: .nodeShare, nodes: cluster.settings.nodes.map(\.name))
            try singleNodePairs.write(to: directory + "/" + SingleNodePairs.fileName,
                                      provenance: provenance(schemaVersion: FlowTables.schemaVersion, extra: [try observation.keyValue()]))
            try NodeCaptures.write(nodes: cluster.settings.nodes.map(\.name), clockSkews: clockSkews, format: options.format,
                                   directory: directory, provenance: provenance())
        }
        for writer in writers { try writer?.finish(durable: false) }
        try flowExport?.finish(clock: { self.nodeClock($0, at: duration) }, end: startTime + duration)
        try entityLog.finish(durable: false)
        try TruthTable.write(truth, path: directory + "/truth.parquet", provenance: provenance())
        let settings = AtomicOutputFileWriter(path: directory + "/cluster.yaml")
        let yaml = try cluster.settings.yaml()
        try settings.write(yaml.hasSuffix("\n") ? yaml : yaml + "\n")
        return SimulationReport(packets: packets, captureBytes: captureBytes, entityEvents: entityLog.count, podsCreated: pods.count,
                                truth: truth)
    }

    /// Packets written so far, over every node's capture.
    var packetCount: Int { writers.reduce(0) { $0 + ($1?.packetCount ?? 0) } }

    func provenance(schemaVersion: Int = TruthTable.schemaVersion, extra: [KeyValue] = []) throws -> Provenance {
        try Provenance(stage: Self.stage, version: SimulationVersion.current, schemaVersion: schemaVersion, params: .object([
            "app": .string(app.name),
            "duration_s": .double(options.durationS),
            "start": .string(Timestamp.format(nanoseconds: options.start)),
            "seed": .int(Int64(bitPattern: options.seed)),
            "users": .int(Int64(peakUsers)),
            "curve": .string(options.curve.rawValue),
            "events": .int(Int64(plan.events.count)),
            "every_node": .bool(options.everyNode),
            "ipfix": .bool(options.flowExport.ipfix),
            "ipfix_names": .bool(options.flowExport.ipfixNames),
            "conn_log": .bool(options.flowExport.connLog),
            "active_timeout_s": .double(options.flowExport.activeTimeoutS),
            "idle_timeout_s": .double(options.flowExport.idleTimeoutS),
            "clock_skew_ns": .object(Dictionary(uniqueKeysWithValues: zip(cluster.settings.nodes.map(\.name), clockSkews.map { JSONValue.int($0) }))),
        ].merging(options.mix.map { ["mix": JSONValue.string($0)] } ?? [:]) { first, _ in first }), extra: extra)
    }
}

/// The simulator's implementation version (`stages/simulate.yaml`, `--version`).
public enum SimulationVersion {
    public static let current = "4"
}

/// A small text file published atomically.
struct AtomicOutputFileWriter {
    let path: String

    func write(_ text: String) throws {
        let file = try AtomicOutputFile(path: path)
        try file.write(Array(text.utf8))
        try file.publish(durable: false)
    }
}
