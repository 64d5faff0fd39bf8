import ArgumentParser
import Capture
import Cluster
import Foundation
import StageSupport
import Contract

/// mimir-records: per-window traffic tables from flow records, for every window length in one pass.
struct RecordsCommand: StageCommand {
    static let version = "3"

    static let configuration = CommandConfiguration(
        commandName: "mimir-records",
        abstract: "Count flow records' traffic per time window: address pairs, 5-tuple flows and a summary.",
        discussion: """
        Reads flow records (IPFIX messages, as RFC 5655's file format or as a collector received \
        them; Zeek's conn.log, TSV or JSON lines; AWS VPC flow logs, default or custom format; plain, \
        .gz or .zst; recognised by content) and writes into --out DIR the tables \
        mimir-flows writes from a capture: pairs.parquet, flows.parquet and summary.parquet. Records \
        count IP bytes (the ip_bytes column; bytes stays null) and show each packet once (the records \
        observation). A record's packets are placed evenly over its span and its bytes follow them \
        into the windows it overlaps; a record inside one window counts whole. Damage (unknown templates, short \
        sets, sequence gaps, records without times) is counted in summary.parquet, not fatal. When \
        the records name pods and services (Antrea's IPFIX elements), entities.jsonl lists them for \
        mimir-graph. docs/records.md describes every rule.

        Several files of one kind (a collector's files, Zeek's hourly conn logs, a day of VPC flow \
        log objects) are read in the order given as one stream: windows start at the earliest record \
        of any, and summary.parquet counts each format's files.

        Example: mimir-records flows.ipfix --windows 10,60 --out artifacts/records
                 mimir-records conn.*.log.gz --out artifacts/records
        """,
        version: version)

    @Argument(help: "The flow records (IPFIX, Zeek conn.log or VPC flow logs; optionally gzip or zstd compressed): one file, or several of one kind read in order as one (rotated logs).")
    var records: [String] = []

    @OptionGroup var out: OutputDirectory

    @OptionGroup var windowing: WindowOptions

    func validate() throws {
        guard !records.isEmpty else { throw ValidationError("give the flow records file (or several of one kind)") }
    }

    func run() throws {
        let out = try self.out.create()
        let extraction = RecordExtraction(windowLengths: windowing.windows, origin: windowing.origin?.nanoseconds, align: windowing.align,
                                          version: Self.version)
        let progress = Progress("mimir-records")
        let report = try extraction.run(recordsPaths: records, directory: out) { done in progress.update("\(humanCount(done)) records") }
        for warning in report.warnings { progress.warn(warning) }
        try writeEntities(report.entities, to: out + "/" + Self.entitiesFile)
        let damaged = report.counters.filter { $0.key.hasPrefix("damaged.") }.reduce(Int64(0)) { $0 + $1.value.value }
        let rate = Double(report.records) / max(progress.elapsed, 1e-9)
        progress.finish("\(humanCount(report.records)) records (\(humanCount(Int(report.packets))) packets, \(damaged) damaged), "
                        + "\(humanCount(Int(rate))) records/s", outputs: "tables in \(out)")
    }
}

extension RecordsCommand {
    static let entitiesFile = "entities.jsonl"
    /// The label a pod carries, and its service selects, for each service it was reached through.
    static func membershipLabel(_ service: String) -> String { "mimir.records/service." + service }

    /// The entity log of the pods and services the records name, each added when first seen; nothing
    /// (and no stale file) when they name none.
    func writeEntities(_ entities: RecordEntities, to path: String) throws {
        guard !entities.isEmpty else {
            try? FileManager.default.removeItem(atPath: path)
            return
        }
        var events = entities.podList.map { pod in
            EntityEvent(time: pod.firstSeen, change: .added, kind: .pod, namespace: pod.name.namespace, name: pod.name.name, ips: pod.addresses,
                        labels: Dictionary(uniqueKeysWithValues: pod.services.map { (Self.membershipLabel($0), "true") }), node: pod.node,
                        phase: "Running")
        }
        events += entities.serviceList.map { service in
            EntityEvent(time: service.firstSeen, change: .added, kind: .service, namespace: service.namespace, name: service.name,
                        ips: service.addresses, labels: [:], selector: [Self.membershipLabel(service.name): "true"])
        }
        let writer = try EntityLogWriter(path: path)
        // Services first at equal times, so a pod's service exists when it is added.
        let ordered = events.enumerated().sorted {
            ($0.element.time, $0.element.kind == .service ? 0 : 1, $0.offset) < ($1.element.time, $1.element.kind == .service ? 0 : 1, $1.offset)
        }
        for (_, event) in ordered { try writer.append(event) }
        try writer.finish()
    }
}

StageMain.run(RecordsCommand.self)
