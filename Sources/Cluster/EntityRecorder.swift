import Foundation
import Table
import SystemSupport

/// Records a cluster's pods and services as an entity log in our format: runs the two kubectl watches
/// (kubectl refuses to watch two resource types in one call), stamps every event with the time it was
/// read, and writes the events in that order.
public final class EntityRecorder: @unchecked Sendable {  // mutable state is guarded by `lock`
    public let kubectl: String
    public let extraArguments: [String]
    private let writer: EntityLogWriter
    private let lock = NSLock()
    private var processes: [Process] = []
    /// One member per watch whose output is still being read.
    private let readers = DispatchGroup()
    private var failure: Error?
    public private(set) var eventCount = 0

    /// - Parameters:
    ///   - kubectl: the kubectl executable (a path, or a name looked up on the PATH).
    ///   - extraArguments: passed to both watches (`--context`, `--kubeconfig`, ...).
    public init(output: String, kubectl: String = "kubectl", extraArguments: [String] = []) throws {
        self.kubectl = kubectl
        self.extraArguments = extraArguments
        writer = try EntityLogWriter(path: output)
    }

    /// Starts both watches; returns at once. `onEvent` is called after each event, from a reader thread
    /// but one call at a time (under the recorder's lock).
    public func start(onEvent: @escaping @Sendable (EntityEvent) -> Void = { _ in }) throws {
        for resource in ["pods", "services"] {
            let process = Process()
            if kubectl.contains("/") {
                process.executableURL = URL(fileURLWithPath: kubectl)
                process.arguments = watchArguments(resource)
            } else {
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = [kubectl] + watchArguments(resource)
            }
            let pipe = Pipe()
            process.standardOutput = pipe
            do {
                try process.run()
            } catch {
                throw RecorderError(detail: "cannot run \(kubectl): \(error.localizedDescription)")
            }
            processes.append(process)
            let handle = pipe.fileHandleForReading
            let source = "\(kubectl) get \(resource) --watch"
            readers.enter()
            Thread.detachNewThread { [self] in
                defer { readers.leave() }
                var splitter = JSONObjectSplitter()
                while true {
                    let data = handle.availableData
                    if data.isEmpty { break }
                    do {
                        for object in try splitter.feed(data) { try record(object, source: source, onEvent: onEvent) }
                    } catch {
                        lock.withLock { if failure == nil { failure = error } }
                        break
                    }
                }
            }
        }
    }

    private func watchArguments(_ resource: String) -> [String] {
        ["get", resource, "--all-namespaces", "--watch", "--output-watch-events", "--output", "json"] + extraArguments
    }

    private func record(_ object: [UInt8], source: String, onEvent: (EntityEvent) -> Void) throws {
        // The clock is read under the lock, so the log's times never go backwards.
        try lock.withLock {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            let time = Int64(now.tv_sec) * Nanoseconds.perSecond + Int64(now.tv_nsec)
            guard let event = try KubectlWatch.event(from: object, observedAt: time, source: source) else { return }
            try writer.append(event)
            eventCount += 1
            onEvent(event)
        }
    }

    /// Waits until both watches end (kubectl exits, or `stop` ended them) and their output is read.
    public func waitUntilWatchesEnd() {
        for process in processes { process.waitUntilExit() }
        readers.wait()
    }

    private var stopped = false

    /// Ends the watches.
    public func stop() {
        lock.withLock { stopped = true }
        for process in processes where process.isRunning { process.terminate() }
    }

    /// Publishes the log; throws if a watch failed or printed something that is not a watch event.
    public func finish() throws {
        waitUntilWatchesEnd()
        try lock.withLock {
            if let failure { throw failure }
            if !stopped, let failed = processes.first(where: { $0.terminationStatus != 0 }) {
                throw RecorderError(detail: "\(kubectl) \(failed.arguments?.suffix(7).joined(separator: " ") ?? "") exited with status \(failed.terminationStatus); nothing was recorded")
            }
            try writer.finish()
        }
    }
}

public struct RecorderError: Error, ClassifiedError, CustomStringConvertible {
    public let detail: String
    public var errorClass: ErrorClass { .failure }
    public var description: String { detail }
}
