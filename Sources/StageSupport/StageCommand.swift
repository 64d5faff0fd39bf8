import ArgumentParser
import Table

/// A stage executable: a command whose implementation version its declaration (stages/*.yaml) names.
/// What every stage shares (its name, its provenance, its output directory) comes from here.
public protocol StageCommand: ParsableCommand {
    /// The stage's implementation version; a change makes the runner rerun it.
    static var version: String { get }
}

extension StageCommand {
    /// The stage's name in provenance: the command's name without `mimir-`.
    public static var stageName: String {
        let command = configuration.commandName ?? "mimir"
        return command.hasPrefix("mimir-") ? String(command.dropFirst(6)) : command
    }

    /// The provenance of a table this stage writes: its name and version, the table's schema version,
    /// the parameters, and any `mimir.*` entries of its own.
    public static func provenance(schemaVersion: Int, params: JSONValue, extra: [KeyValue] = []) throws -> Provenance {
        try Provenance(stage: stageName, version: version, schemaVersion: schemaVersion, params: params, extra: extra)
    }
}

/// `--out DIR`, which every stage takes.
public struct OutputDirectory: ParsableArguments {
    /// The directory.
    @Option(name: .customLong("out"), help: "Directory for the stage's outputs (created if missing).")
    public var path: String

    /// An option group ArgumentParser fills.
    public init() {}

    /// Creates the directory (and its parents) and returns its path.
    @discardableResult
    public func create() throws -> String {
        try makeOutputDirectory(path)
        return path
    }
}

/// `fixed` (the method with the original's flaws fixed, the default) or `mimir` (the original's
/// rules, for comparison): the choice graph, features and inject offer.
public enum MethodProfile: String, CaseIterable, Sendable, ExpressibleByArgument {
    case fixed, mimir
}

/// Checks that a number given on the command line is finite and within `range`, naming the option.
public func validateNumber(_ value: Double, _ option: String, in range: ClosedRange<Double>, unit: String = "") throws {
    guard value.isFinite, range.contains(value) else {
        throw ValidationError("\(option) must be a number from \(plain(range.lowerBound)) to \(plain(range.upperBound))\(unit.isEmpty ? "" : " " + unit), not \(value)")
    }
}

/// `1000000` rather than `1e+06` for the bounds in messages.
private func plain(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
}
