import ArgumentParser
import Cluster
import Dispatch
import Foundation
import StageSupport

/// mimir-record-entities: records a cluster's pods and services as an entity log, for mimir-graph.
struct RecordEntitiesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mimir-record-entities",
        abstract: "Record which pod or service owns which address, over time, from kubectl watches.",
        discussion: """
        Runs `kubectl get pods --all-namespaces --watch --output-watch-events -o json` and the same for \
        services, stamps every event with the time it was read, and writes the entity log mimir-graph \
        reads (JSON lines, docs/simulator.md "The entity log"). Start it before tcpdump and stop it \
        (Ctrl-C, or --duration) after; the log is published when recording ends.

        Example: mimir-record-entities --out entities.jsonl --duration 3600 -- --context prod
        """)

    @Option(help: "The entity log to write.")
    var out: String

    @Option(help: "Stop after this many seconds (default: until Ctrl-C or until kubectl ends).")
    var duration: Double?

    @Option(help: "The kubectl to run.")
    var kubectl = "kubectl"

    @Argument(help: "Arguments for both kubectl watches (after --), e.g. --context NAME.")
    var kubectlArguments: [String] = []

    func validate() throws {
        if let duration { try validateNumber(duration, "--duration", in: 0.001...(365 * 86_400), unit: "seconds") }
    }

    func run() throws {
        let recorder = try EntityRecorder(output: out, kubectl: kubectl, extraArguments: kubectlArguments)
        // Used by the recorder's reader threads one call at a time (under its lock), then here.
        nonisolated(unsafe) let progress = Progress("mimir-record-entities")
        try recorder.start { event in
            progress.update("\(event.change.rawValue) \(event.kind.rawValue) \(event.namespace)/\(event.name)")
        }
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let sources = [SIGINT, SIGTERM].map { DispatchSource.makeSignalSource(signal: $0, queue: .global()) }
        for source in sources {
            source.setEventHandler { recorder.stop() }
            source.resume()
        }
        if let duration {
            DispatchQueue.global().asyncAfter(deadline: .now() + duration) { recorder.stop() }
        }
        try recorder.finish()
        progress.finish("\(recorder.eventCount) events", outputs: "entity log in \(out)")
    }
}

StageMain.run(RecordEntitiesCommand.self)
