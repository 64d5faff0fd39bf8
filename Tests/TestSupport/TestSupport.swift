import Foundation
import Seeded

/// A fresh directory under the system's temporary directory, removed when the test ends.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init() throws {
        path = NSTemporaryDirectory() + "mimir-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    public func file(_ name: String) -> String { path + "/" + name }

    public var contents: [String] { (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] }
}

/// A deterministic pseudo-random generator for test data: Seeded's SplitMix64.
public typealias SplitMix64 = Seeded.SplitMix64

/// The cross-check tools: the Python of the tests' virtual environment (`make venv`; `make test` sets
/// MIMIR_PYTHON) running the scripts in Tests/interop, and command-line oracles such as tshark.
public enum CrossCheck {
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    public static let python: String? = {
        if let configured = ProcessInfo.processInfo.environment["MIMIR_PYTHON"] { return configured }
        let local = packageRoot + "/.venv/bin/python"
        return FileManager.default.isExecutableFile(atPath: local) ? local : nil
    }()

    /// Whether a command is on the PATH.
    public static func hasCommand(_ name: String) -> Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
    }

    /// Runs `Tests/interop/<script>` with the environment's Python.
    public static func runScript(_ script: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try run(python!, [packageRoot + "/Tests/interop/" + script] + arguments)
    }

    /// Runs a program (in `directory` and with only `environment`, if given) and returns its exit status
    /// and its combined output.
    public static func run(_ executable: String, _ arguments: [String], in directory: String? = nil,
                           environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { process.environment = environment }
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
