import Foundation
import Runner
import Table
import Testing
import TestSupport

/// Every stage executable through the same faults, driven by its declaration (stages/*.yaml): its
/// inputs missing, empty, garbage or another table; its numbers not numbers, not finite or out of
/// range; its enum-like options unknown. Each must end with `mimir-STAGE: error: ...` and exit 3
/// (bad or missing input) or 2 (usage), never by a signal.
@Suite struct StageFaultMatrixTests {
    static let binaries = CrossCheck.packageRoot + "/.build/debug/"
    static let built = FileManager.default.isExecutableFile(atPath: binaries + "mimir-report")

    /// Options whose values come from a fixed set.
    static let enumLike: Set = ["profile", "curve", "link", "timestamps", "estimator", "exfiltration", "threshold", "format"]

    /// A valid value for each required parameter, and what split needs to choose a mode.
    static func requiredArguments(_ stage: StageDeclaration) -> [String] {
        var arguments: [String] = []
        for parameter in stage.parameters where parameter.required {
            arguments += [parameter.flag, parameter.type == .string ? "service" : "1"]
        }
        if stage.name == "split" { arguments += ["--interval", "10"] }
        return arguments
    }

    /// The command line with every input (required or not, so that every reader is tried) at `path(input)`.
    static func arguments(_ stage: StageDeclaration, out: String, inputs path: (StageDeclaration.Input) -> String) -> [String] {
        var flagged: [String] = [], positional: [String] = []
        for input in stage.inputs {
            if let flag = input.flag { flagged += [flag, path(input)] } else { positional.append(path(input)) }
        }
        return flagged + requiredArguments(stage) + ["--out", out] + positional
    }

    static func expect(_ stage: String, _ result: (status: Int32, output: String), exit code: Int32, naming text: String?,
                       _ what: String) {
        #expect(result.status == code, "\(stage) (\(what)): exit \(result.status), expected \(code): \(result.output)")
        #expect(result.output.contains("\(stage): error: "), "\(stage) (\(what)): no '\(stage): error:' prefix: \(result.output)")
        if let text { #expect(result.output.contains(text), "\(stage) (\(what)): the message does not name \(text): \(result.output)") }
    }

    @Test(.needs(built, "needs the executables (swift build)"))
    func everyStage_exits3OnBadInputFiles() throws {
        let stages = try StageDeclaration.loadAll(directory: CrossCheck.packageRoot + "/stages")
        let directory = try TemporaryDirectory()
        let empty = directory.file("empty"), garbage = directory.file("garbage"), table = directory.file("other.parquet")
        FileManager.default.createFile(atPath: empty, contents: Data())
        FileManager.default.createFile(atPath: garbage, contents: Data([0x50, 0x41, 0x52, 0x31, 0xFF, 0x00, 0x13, 0x37] + Array("garbage\n".utf8)))
        let writer = try TableWriter(path: table, schema: Schema([Field("a", .int64)]))
        try writer.write(TableBatch(schema: writer.schema, columns: [ColumnArray([Int64(1), 2])]))
        try writer.close()
        for stage in stages.values.sorted(by: { $0.name < $1.name }) {
            let executable = Self.binaries + stage.executable
            let missing = try CrossCheck.run(executable, Self.arguments(stage, out: directory.file("out-missing-\(stage.name)")) {
                directory.file("missing-\($0.name)")
            })
            Self.expect(stage.executable, missing, exit: 3, naming: directory.file("missing-"), "missing input files")
            for (name, path) in [("an empty file", empty), ("garbage", garbage), ("another table", table)] {
                let result = try CrossCheck.run(executable, Self.arguments(stage, out: directory.file("out-\(stage.name)")) { _ in path })
                Self.expect(stage.executable, result, exit: 3, naming: path, name)
            }
        }
    }

    @Test(.needs(built, "needs the executables (swift build)"))
    func everyStage_exits2OnBadOptionValues() throws {
        let stages = try StageDeclaration.loadAll(directory: CrossCheck.packageRoot + "/stages")
        let directory = try TemporaryDirectory()
        for stage in stages.values.sorted(by: { $0.name < $1.name }) {
            let base = Self.arguments(stage, out: directory.file("out")) { directory.file("missing-\($0.name)") }
            for parameter in stage.parameters {
                let values: [String] = switch parameter.type {
                case .int: ["abc", "1.5", "99999999999999999999"]
                case .number: ["abc", "nan", "inf", "-inf", "1e308"]
                case .string: Self.enumLike.contains(parameter.name) ? ["bogus"] : []
                case .bool: []
                }
                for value in values {
                    let arguments = base.replacingOption(parameter.flag, with: value)
                    let result = try CrossCheck.run(Self.binaries + stage.executable, arguments)
                    Self.expect(stage.executable, result, exit: 2, naming: parameter.flag, "\(parameter.flag) \(value)")
                }
            }
            let unknown = try CrossCheck.run(Self.binaries + stage.executable, base + ["--no-such-option"])
            Self.expect(stage.executable, unknown, exit: 2, naming: "--no-such-option", "an unknown option")
        }
    }

    @Test(.needs(built, "needs the executables (swift build)"))
    func toolsOutsideThePipelines_followTheSameCodes() throws {
        let directory = try TemporaryDirectory()
        let garbage = directory.file("incidents.csv")
        try "kind,start\nexfil,yesterday\n".write(toFile: garbage, atomically: true, encoding: .utf8)
        let truth = Self.binaries + "mimir-truth"
        Self.expect("mimir-truth", try CrossCheck.run(truth, [directory.file("none.csv"), "--out", directory.file("t.parquet")]),
                    exit: 3, naming: directory.file("none.csv"), "a missing file")
        Self.expect("mimir-truth", try CrossCheck.run(truth, [garbage, "--out", directory.file("t.parquet")]), exit: 3, naming: garbage, "garbage")
        Self.expect("mimir-truth", try CrossCheck.run(truth, [garbage, "--format", "xml", "--out", directory.file("t.parquet")]),
                    exit: 2, naming: "--format", "an unknown format")
        let merge = Self.binaries + "mimir-merge"
        Self.expect("mimir-merge", try CrossCheck.run(merge, [directory.file("none.pcap"), "--out", directory.file("m.pcapng")]),
                    exit: 3, naming: directory.file("none.pcap"), "a missing capture")
        Self.expect("mimir-merge", try CrossCheck.run(merge, [garbage, "--out", directory.file("m.pcapng")]), exit: 3, naming: garbage, "garbage")
        Self.expect("mimir-merge", try CrossCheck.run(merge, [garbage, "--out", directory.file("m.pcapng"), "--format", "erf"]),
                    exit: 2, naming: "--format", "an unknown format")
        #expect(!FileManager.default.fileExists(atPath: directory.file("m.pcapng")))
        let recorder = Self.binaries + "mimir-record-entities"
        for value in ["nan", "-1", "1e308"] {
            Self.expect("mimir-record-entities", try CrossCheck.run(recorder, ["--out", directory.file("e.jsonl"), "--duration", value]),
                        exit: 2, naming: "--duration", "--duration \(value)")
        }
    }
}

extension [String] {
    /// The arguments with `flag` given `value` (as `--flag=VALUE`, so a value such as `-inf` is not
    /// taken for an option), in place of any value it had.
    func replacingOption(_ flag: String, with value: String) -> [String] {
        var result = self
        if let index = result.firstIndex(of: flag), index + 1 < result.count { result.removeSubrange(index...index + 1) }
        result.insert("\(flag)=\(value)", at: result.firstIndex(of: "--out") ?? result.count)
        return result
    }
}
