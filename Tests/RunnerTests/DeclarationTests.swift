import Foundation
@testable import Runner
import Testing
import TestSupport

/// Wrong declarations get errors naming the file and the line; the shipped declarations agree with
/// their executables.
struct DeclarationTests {
    /// Loads `pipeline` against the fixture's tool stage and returns the error text.
    func error(in pipeline: String) throws -> String {
        let fixture = try RunnerFixture(pipeline: pipeline)
        let stages = try StageDeclaration.loadAll(directory: fixture.root + "/stages")
        do {
            _ = try PipelineDeclaration(file: fixture.root + "/chain.yaml", stages: stages)
            return "no error"
        } catch let error as RunnerError {
            return error.description.replacingOccurrences(of: fixture.root + "/", with: "")
        }
    }

    @Test func unknownStageNamesFileAndLine() throws {
        let text = try error(in: RunnerFixture.chain.replacingOccurrences(of: "    stage: tool\n    over: n", with: "    stage: tol\n    over: n"))
        #expect(text.hasPrefix("chain.yaml:12: step 'b': unknown stage 'tol'"), "\(text)")
    }

    @Test func missingInputNamesFileAndLine() throws {
        let text = try error(in: RunnerFixture.chain.replacingOccurrences(of: "inputs: {in: a.out}", with: "inputs: {in: a.result}"))
        #expect(text.hasPrefix("chain.yaml:14: step 'b' reads 'a.result', but stage 'tool' has no output 'result'"), "\(text)")
        let unknown = try error(in: RunnerFixture.chain.replacingOccurrences(of: "inputs: {in: source}\n    params: {n: 9}", with: "inputs: {in: sauce}\n    params: {n: 9}"))
        #expect(unknown.hasPrefix("chain.yaml:21: 'sauce' is neither a pipeline input (source) nor STEP.OUTPUT"), "\(unknown)")
    }

    @Test func transientMustNameOutputsOfTheStage() throws {
        let text = try error(in: RunnerFixture.chain.replacingOccurrences(of: "params: {n: 1}", with: "params: {n: 1}\n    transient: [result]"))
        #expect(text.hasPrefix("chain.yaml:11: step 'a': transient names 'result', which is not an output of stage 'tool' (outputs: out)"), "\(text)")
        let bad = try error(in: RunnerFixture.chain.replacingOccurrences(of: "params: {n: 1}", with: "params: {n: 1}\n    transient: maybe"))
        #expect(bad.contains("transient of 'a' must be true or false"), "\(bad)")
        #expect(try error(in: RunnerFixture.chain.replacingOccurrences(of: "params: {n: 1}", with: "params: {n: 1}\n    transient: [out]")) == "no error")
    }

    @Test func cycleIsRefused() throws {
        let text = try error(in: RunnerFixture.chain.replacingOccurrences(of: "inputs: {in: source}\n    params: {n: 1}", with: "inputs: {in: c.out}\n    params: {n: 1}"))
        #expect(text.contains("chain.yaml:7: the steps a, b, c read from each other in a cycle"), "\(text)")
    }

    @Test func parameterOfTheWrongTypeIsRefused() throws {
        let text = try error(in: RunnerFixture.chain.replacingOccurrences(of: "params: {n: 5}", with: "params: {n: five}"))
        #expect(text == "chain.yaml:18: step 'c': parameter 'n' must be an int, not 'five'", "\(text)")
        let unknown = try error(in: RunnerFixture.chain.replacingOccurrences(of: "params: {n: 5}", with: "params: {m: 5}"))
        #expect(unknown.hasPrefix("chain.yaml:18: step 'c': stage 'tool' has no parameter 'm'"), "\(unknown)")
    }

    @Test func manyRunsIntoOneFileInputIsRefused() throws {
        let fixture = try RunnerFixture()
        try fixture.write("stages/single.yaml", """
            stage: single
            executable: /bin/true
            version: "1"
            inputs:
              in: {help: "One file."}
            outputs:
              out: out.txt
            """)
        try fixture.write("chain.yaml", RunnerFixture.chain.replacingOccurrences(of: "    stage: tool\n    inputs: {in: b.out}", with: "    stage: single\n    inputs: {in: b.out}").replacingOccurrences(of: "params: {n: 5}", with: "params: {}"))
        let stages = try StageDeclaration.loadAll(directory: fixture.root + "/stages")
        #expect {
            _ = try PipelineDeclaration(file: fixture.root + "/chain.yaml", stages: stages)
        } throws: { error in
            "\(error)".contains("input 'in' takes one file, but 'b.out' gives one per value of n")
        }
    }

    @Test func badStageDeclarationNamesFileAndLine() throws {
        let fixture = try RunnerFixture()
        try fixture.write("stages/tool.yaml", """
            stage: tool
            executable: tool.sh
            version: "1"
            outputs:
              out: out.txt
            params:
              n: {type: integer}
            """)
        #expect {
            _ = try StageDeclaration.loadAll(directory: fixture.root + "/stages")
        } throws: { error in
            "\(error)".hasSuffix("stages/tool.yaml:7: parameter 'n': unknown type 'integer' (int, number, string, bool)")
        }
    }

    @Test func jobNamesRoundTrip() {
        for text in ["flows", "flows#3", "inject@0.1", "features@10#12"] {
            #expect(JobID(parsing: text)?.description == text)
        }
        #expect(JobID(parsing: "flows#x") == nil)
        #expect(JobID(parsing: "inject@0.1")?.directory == "inject/0.1")
        #expect(JobID(parsing: "flows#3")?.directory == "flows/00003")
    }

    @Test(.needs(CrossCheck.hasCommand("xxhsum"), "needs xxhsum (Debian's xxhash; make installs it)"))
    func digestIsXXH3_128AsXxhsumComputesIt() throws {
        let directory = try TemporaryDirectory()
        var generator = SplitMix64(state: 5)
        // Several read chunks and a ragged end.
        let words = (0..<(9 << 17)).map { _ in generator.next() }
        try (words.withUnsafeBytes { Data($0) } + Data([1, 2, 3])).write(to: URL(fileURLWithPath: directory.file("big")))
        try Data("mimir\n".utf8).write(to: URL(fileURLWithPath: directory.file("f")))
        for name in ["big", "f"] {
            let (status, output) = try CrossCheck.run("xxhsum", ["-H2", directory.file(name)])
            #expect(status == 0)
            // stdout and stderr arrive together; stderr carries a progress line.
            let expected = output.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" }).first { $0.count == 32 && $0.allSatisfy(\.isHexDigit) }
            #expect(try ContentDigest.ofFile(directory.file(name)) == ContentDigest.prefix + (expected.map { String($0) } ?? "none"), "\(output)")
        }
        #expect(ContentDigest.ofBytes(Array("mimir\n".utf8)) == (try ContentDigest.ofFile(directory.file("f"))))
    }

    static let binaries = CrossCheck.packageRoot + "/.build/debug/"

    @Test(.needs(FileManager.default.isExecutableFile(atPath: binaries + "mimir-score"), "needs the built stages"))
    func shippedStageDeclarationsMatchTheirExecutables() throws {
        let stages = try StageDeclaration.loadAll(directory: CrossCheck.packageRoot + "/stages")
        #expect(stages.count >= 8)
        for stage in stages.values {
            let version = try CrossCheck.run(Self.binaries + stage.executable, ["--version"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(version == stage.version, "\(stage.name): --version says \(version), stages/\(stage.name).yaml says \(stage.version)")
            let help = try CrossCheck.run(Self.binaries + stage.executable, ["--help"]).output
            for flag in stage.inputs.compactMap(\.flag) + stage.parameters.map(\.flag) + ["--out"] {
                #expect(help.contains(flag + " ") || help.contains(flag + "\n"), "\(stage.name): \(flag) is not in \(stage.executable) --help")
            }
        }
        for pipeline in try FileManager.default.contentsOfDirectory(atPath: CrossCheck.packageRoot + "/pipelines") where pipeline.hasSuffix(".yaml") {
            _ = try PipelineDeclaration(file: CrossCheck.packageRoot + "/pipelines/" + pipeline, stages: stages)
        }
    }
}

/// `resources:` in stage declarations and pipeline steps.
@Suite struct ResourceDeclarationTests {
    @Test func sizesAndDurations_parseAsSlurmWritesThem() {
        #expect(Resources.bytes("512M") == 512 << 20 && Resources.bytes("2G") == 2 << 30 && Resources.bytes("1.5G") == 3 << 29)
        #expect(Resources.bytes("4096") == 4096 && Resources.bytes("0") == nil && Resources.bytes("lots") == nil && Resources.bytes("-1G") == nil)
        #expect(Resources.seconds("90s") == 90 && Resources.seconds("10m") == 600 && Resources.seconds("2h") == 7200 && Resources.seconds("1d") == 86_400)
        #expect(Resources.seconds("1:30:00") == 5400 && Resources.seconds("05:00") == 300 && Resources.seconds("2-01:00:00") == 176_400)
        #expect(Resources.seconds("0s") == nil && Resources.seconds("1:75:00") == nil && Resources.seconds("soon") == nil && Resources.seconds("10y") == nil)
    }

    @Test func stageResources_areOverriddenPerStep_andBadOnesNameTheLine() throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.file("stages"), withIntermediateDirectories: true)
        try """
            stage: tool
            executable: tool.sh
            version: "1"
            outputs:
              out: out.txt
            resources: {cpus: 2, mem: 2G, time: 10m}
            """.write(toFile: directory.file("stages/tool.yaml"), atomically: true, encoding: .utf8)
        let stages = try StageDeclaration.loadAll(directory: directory.file("stages"))
        #expect(stages["tool"]?.resources == Resources(cpus: 2, memoryBytes: 2 << 30, seconds: 600))
        try "pipeline: p\nsteps:\n  a:\n    stage: tool\n    resources: {cpus: 4}\n  b:\n    stage: tool\n"
            .write(toFile: directory.file("p.yaml"), atomically: true, encoding: .utf8)
        let pipeline = try PipelineDeclaration(file: directory.file("p.yaml"), stages: stages)
        #expect(pipeline.step("a")?.resources == Resources(cpus: 4, memoryBytes: 2 << 30, seconds: 600))
        #expect(pipeline.step("b")?.resources == Resources(cpus: 2, memoryBytes: 2 << 30, seconds: 600))
        try "pipeline: p\nsteps:\n  a:\n    stage: tool\n    resources: {cpus: 0}\n".write(toFile: directory.file("q.yaml"), atomically: true, encoding: .utf8)
        #expect {
            try PipelineDeclaration(file: directory.file("q.yaml"), stages: stages)
        } throws: { error in
            "\(error)".contains("q.yaml:5") && "\(error)".contains("step 'a': cpus must be a whole number from 1 to 1024, not '0'")
        }
        try "pipeline: p\nsteps:\n  a:\n    stage: tool\n    resources: {gpus: 1}\n".write(toFile: directory.file("r.yaml"), atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try PipelineDeclaration(file: directory.file("r.yaml"), stages: stages) }
    }
}
