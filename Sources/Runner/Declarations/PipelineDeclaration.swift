import Foundation
import Yams

/// Where a step input comes from.
public enum Reference: Sendable, Equatable, CustomStringConvertible {
    /// A file named in the pipeline's `inputs:`.
    case file(name: String, path: String)
    /// An output of another step of this pipeline.
    case output(step: String, output: String)
    /// An output of a step of another pipeline (its newest successful run), e.g. the trained model.
    case external(pipeline: String, step: String, output: String)

    public var description: String {
        switch self {
        case let .file(name, _): name
        case let .output(step, output): "\(step).\(output)"
        case let .external(pipeline, step, output): "\(pipeline):\(step).\(output)"
        }
    }
}

/// One step of a pipeline: a stage with its parameters and where its inputs come from.
public struct Step: Sendable {
    public var name: String
    public var stage: StageDeclaration
    public var parameters: [String: ParameterValue]
    /// Input name -> references, in the order given (a list input may take several).
    public var inputs: [String: [Reference]]
    /// The sweep this step runs over (one run per value), if any.
    public var sweep: String?
    /// The step whose shard table fans this step out (one run per shard), if any.
    public var shardsFrom: String?
    /// Files of this step's runs deleted once every job reading them succeeded (`transient:`).
    public var transient: TransientOutputs?
    /// What each job asks of the machine: the stage's, with the step's `resources:` over it.
    public var resources: Resources
    public var line: Int?
    /// Input name -> the line that sets it (for errors).
    var inputLines: [String: Int] = [:]

    /// The steps of this pipeline this one reads from.
    public var upstream: Set<String> {
        Set(inputs.values.flatMap { $0 }.compactMap { if case let .output(step, _) = $0 { step } else { nil } } + (shardsFrom.map { [$0] } ?? []))
    }
}

/// Which files of a step's runs are transient: deleted once every job that reads them has succeeded,
/// their digests kept in the ledger so the readers stay fresh, and made again only when a reader must
/// rerun. For large intermediate files (a capture, its shards) that nothing needs once read.
public enum TransientOutputs: Sendable, Equatable {
    /// Every file of the run but a cutting stage's shard table (which the fan-out needs).
    case all
    /// These output files.
    case files(Set<String>)

    /// Whether the file `name` of a run of `stage` is transient.
    func contains(_ name: String, of stage: StageDeclaration) -> Bool {
        switch self {
        case .all: name != stage.shardTable.flatMap(stage.output)
        case let .files(files): files.contains(name)
        }
    }
}

/// `pipelines/<name>.yaml`: an experiment. Its inputs, its steps in a valid order, its sweeps.
public struct PipelineDeclaration: Sendable {
    public var name: String
    public var file: String
    public var help: String
    /// Sweep name -> values in the order given, as written (they name directories).
    public var sweeps: [String: [String]]
    /// In an order where every step comes after the steps it reads from.
    public var steps: [Step]

    public func step(_ name: String) -> Step? { steps.first { $0.name == name } }

    /// The cutting steps a step's fan-out descends from, outermost first: `[simulate, split]` for flows
    /// run per shard of split run per node of simulate.
    public func fanOut(of step: Step) -> [String] { Self.fanOut(of: step) { self.step($0) } }

    static func fanOut(of step: Step, _ lookup: (String) -> Step?) -> [String] {
        guard let source = step.shardsFrom else { return [] }
        return (lookup(source).map { fanOut(of: $0, lookup) } ?? []) + [source]
    }

    public init(file: String, stages: [String: StageDeclaration]) throws {
        let source = try YAMLSource(file: file)
        let fields = try source.fields(source.root, "a pipeline", allowed: ["pipeline", "help", "inputs", "sweeps", "steps"])
        self.file = file
        name = try source.string(try source.required(fields, "pipeline", in: "a pipeline", at: source.root), "pipeline")
        guard SafeName.isName(name) else {
            throw source.error(fields["pipeline"], "pipeline '\(name)': \(SafeName.nameRule)")
        }
        help = try fields["help"].map { try source.string($0, "help") } ?? ""
        let directory = URL(fileURLWithPath: file).deletingLastPathComponent().path
        var files: [String: String] = [:]
        for (inputName, _, value) in try source.mapping(fields["inputs"], "inputs") {
            let path = try source.string(value, "input '\(inputName)'")
            // Relative to the project root (where mimir runs), as users type them; else next to the pipeline.
            files[inputName] = FileManager.default.fileExists(atPath: path) || path.hasPrefix("/") ? path : directory + "/" + path
        }
        var sweeps: [String: [String]] = [:]
        for (sweepName, keyNode, value) in try source.mapping(fields["sweeps"], "sweeps") {
            let values = try source.strings(value, "sweep '\(sweepName)'")
            guard !values.isEmpty, Set(values).count == values.count else { throw source.error(keyNode, "sweep '\(sweepName)' needs distinct values") }
            for text in values where !SafeName.isSweepValue(text) {
                throw source.error(value, "sweep '\(sweepName)': value '\(text)': \(SafeName.sweepValueRule)")
            }
            sweeps[sweepName] = values
        }
        self.sweeps = sweeps

        var declared: [Step] = []
        for (stepName, keyNode, value) in try source.mapping(try source.required(fields, "steps", in: "a pipeline", at: source.root), "steps") {
            declared.append(try Self.step(stepName, keyNode: keyNode, value: value, source: source, stages: stages, files: files, sweeps: sweeps))
        }
        steps = try Self.ordered(declared, source: source)
        try Self.checkFanIn(steps, source: source)
    }

    private static func step(_ name: String, keyNode: Node, value: Node, source: YAMLSource, stages: [String: StageDeclaration],
                             files: [String: String], sweeps: [String: [String]]) throws -> Step {
        let fields = try source.fields(value, "step '\(name)'", allowed: ["stage", "params", "inputs", "over", "shards", "transient", "resources"])
        let stageName = try fields["stage"].map { try source.string($0, "stage") } ?? name
        guard let stage = stages[stageName] else {
            throw source.error(fields["stage"] ?? keyNode, "step '\(name)': unknown stage '\(stageName)' (declared: \(stages.keys.sorted().joined(separator: ", ")))")
        }
        guard SafeName.isName(name) else {
            throw source.error(keyNode, "step '\(name)': \(SafeName.nameRule)")
        }
        let sweep = try fields["over"].map { node -> String in
            let sweep = try source.string(node, "over")
            guard sweeps[sweep] != nil else { throw source.error(node, "step '\(name)' runs over '\(sweep)', which is not a sweep of this pipeline") }
            return sweep
        }
        var parameters: [String: ParameterValue] = [:]
        for (parameterName, parameterKey, parameterValue) in try source.mapping(fields["params"], "params of '\(name)'") {
            guard let declaration = stage.parameter(parameterName) else {
                throw source.error(parameterKey, "step '\(name)': stage '\(stage.name)' has no parameter '\(parameterName)' "
                                   + "(it has: \(stage.parameters.map(\.name).joined(separator: ", ")))")
            }
            let text = try source.string(parameterValue, "parameter '\(parameterName)'")
            guard let typed = ParameterValue(text: text, type: declaration.type) else {
                throw source.error(parameterValue, "step '\(name)': parameter '\(parameterName)' must be \(declaration.type.article) \(declaration.type.rawValue), not '\(text)'")
            }
            parameters[parameterName] = typed
        }
        if let sweep, let declaration = stage.parameter(sweep) {
            for text in sweeps[sweep] ?? [] where ParameterValue(text: text, type: declaration.type) == nil {
                throw source.error(fields["over"], "step '\(name)': sweep '\(sweep)' value '\(text)' is not a \(declaration.type.rawValue)")
            }
        }
        let sharded = fields["shards"] != nil
        for declaration in stage.parameters where declaration.required && parameters[declaration.name] == nil
            && !(declaration.name == sweep) && !(sharded && stage.perShard?.parameters.contains { $0.name == declaration.name } ?? false) {
            throw source.error(keyNode, "step '\(name)': stage '\(stage.name)' needs the parameter '\(declaration.name)' (\(declaration.help))")
        }

        var inputs: [String: [Reference]] = [:]
        var inputLines: [String: Int] = [:]
        for (inputName, inputKey, inputValue) in try source.mapping(fields["inputs"], "inputs of '\(name)'") {
            guard stage.input(inputName) != nil else {
                throw source.error(inputKey, "step '\(name)': stage '\(stage.name)' has no input '\(inputName)' "
                                   + "(it has: \(stage.inputs.map(\.name).joined(separator: ", ")))")
            }
            inputLines[inputName] = inputValue.mark?.line
            inputs[inputName] = try source.strings(inputValue, "input '\(inputName)'").map { text in
                try reference(text, node: inputValue, source: source, files: files)
            }
        }
        // A stage that can run per shard may also run on one file the pipeline gives it (split on a capture).
        let shardsFrom = try fields["shards"].map { try source.string($0, "shards") }
        if let perShard = stage.perShard, shardsFrom != nil, inputs[perShard.input] != nil {
            throw source.error(keyNode, "step '\(name)': input '\(perShard.input)' receives each shard; it cannot be set")
        } else if stage.perShard == nil && shardsFrom != nil {
            throw source.error(fields["shards"], "step '\(name)': stage '\(stage.name)' does not run per shard")
        }
        for input in stage.inputs where input.required && inputs[input.name] == nil && !(shardsFrom != nil && input.name == stage.perShard?.input) {
            throw source.error(keyNode, "step '\(name)': missing input '\(input.name)' of stage '\(stage.name)' (\(input.help))")
        }
        let transient = try fields["transient"].map { node -> TransientOutputs in
            if node.scalar != nil { return try source.bool(node, "transient of '\(name)'") ? .all : .files([]) }
            return .files(Set(try source.strings(node, "transient of '\(name)'").map { output in
                guard let file = stage.output(output) else {
                    throw source.error(node, "step '\(name)': transient names '\(output)', which is not an output of stage '\(stage.name)' "
                                       + "(outputs: \(stage.outputs.map(\.name).joined(separator: ", ")))")
                }
                return file
            }))
        }
        let resources = try fields["resources"].map { try stage.resources.overridden(by: $0, source: source, what: "step '\(name)'") } ?? stage.resources
        return Step(name: name, stage: stage, parameters: parameters, inputs: inputs, sweep: sweep, shardsFrom: shardsFrom,
                    transient: transient == .files([]) ? nil : transient, resources: resources, line: keyNode.mark?.line, inputLines: inputLines)
    }

    private static func reference(_ text: String, node: Node, source: YAMLSource, files: [String: String]) throws -> Reference {
        if let colon = text.firstIndex(of: ":") {
            let pipeline = String(text[..<colon])
            let rest = text[text.index(after: colon)...].split(separator: ".", maxSplits: 1).map(String.init)
            guard rest.count == 2 else { throw source.error(node, "'\(text)' must read PIPELINE:STEP.OUTPUT") }
            return .external(pipeline: pipeline, step: rest[0], output: rest[1])
        }
        let parts = text.split(separator: ".", maxSplits: 1).map(String.init)
        if parts.count == 2, files[text] == nil { return .output(step: parts[0], output: parts[1]) }
        guard let path = files[text] else {
            throw source.error(node, "'\(text)' is neither a pipeline input (\(files.keys.sorted().joined(separator: ", "))) nor STEP.OUTPUT")
        }
        return .file(name: text, path: path)
    }

    /// Orders the steps so each comes after what it reads (file order among equals), refusing unknown
    /// references and cycles.
    private static func ordered(_ steps: [Step], source: YAMLSource) throws -> [Step] {
        let byName = Dictionary(steps.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for step in steps {
            for (inputName, references) in step.inputs {
                let line = step.inputLines[inputName] ?? step.line
                for case let .output(upstream, output) in references {
                    guard let producer = byName[upstream] else {
                        throw RunnerError.declaration(file: source.file, line: line, message: "step '\(step.name)' reads '\(upstream).\(output)', but there is no step '\(upstream)'")
                    }
                    guard producer.stage.output(output) != nil else {
                        throw RunnerError.declaration(file: source.file, line: line, message: "step '\(step.name)' reads '\(upstream).\(output)', but stage '\(producer.stage.name)' has no output '\(output)' (it has: \(producer.stage.outputs.map(\.name).joined(separator: ", ")))")
                    }
                }
            }
            if let shardsFrom = step.shardsFrom {
                guard let producer = byName[shardsFrom], producer.stage.shardTable != nil else {
                    throw RunnerError.declaration(file: source.file, line: step.line, message: "step '\(step.name)' takes shards from '\(shardsFrom)', which is not a step whose stage cuts shards")
                }
                guard producer.sweep == nil else {
                    throw RunnerError.declaration(file: source.file, line: step.line, message: "step '\(step.name)' takes shards from '\(shardsFrom)', which runs over '\(producer.sweep!)'; a cutting step must run once (or once per shard)")
                }
            }
        }
        var result: [Step] = []
        var placed = Set<String>()
        var remaining = steps
        while !remaining.isEmpty {
            guard let next = remaining.firstIndex(where: { $0.upstream.isSubset(of: placed) }) else {
                let cycle = remaining.map(\.name).joined(separator: ", ")
                throw RunnerError.declaration(file: source.file, line: remaining.first?.line, message: "the steps \(cycle) read from each other in a cycle")
            }
            placed.insert(remaining[next].name)
            result.append(remaining.remove(at: next))
        }
        return result
    }

    /// A step that reads many runs (every rate, every shard) into one input needs a list input.
    private static func checkFanIn(_ steps: [Step], source: YAMLSource) throws {
        let byName = Dictionary(uniqueKeysWithValues: steps.map { ($0.name, $0) })
        func fanOut(_ step: Step) -> [String] { Self.fanOut(of: step) { byName[$0] } }
        for step in steps {
            for (inputName, references) in step.inputs {
                guard let input = step.stage.input(inputName) else { continue }
                let line = step.inputLines[inputName] ?? step.line
                for case let .output(upstream, output) in references {
                    guard let producer = byName[upstream] else { continue }
                    if let sweep = producer.sweep, step.sweep != nil, step.sweep != sweep {
                        throw RunnerError.declaration(file: source.file, line: line, message: "step '\(step.name)' runs over '\(step.sweep!)' but reads '\(upstream).\(output)', which runs over '\(sweep)'")
                    }
                    let many = (producer.sweep != nil && step.sweep == nil) || !fanOut(step).starts(with: fanOut(producer))
                    if (many || references.count > 1) && !input.list {
                        throw RunnerError.declaration(file: source.file, line: line, message: "step '\(step.name)': input '\(inputName)' takes one file, but '\(upstream).\(output)' gives one per \(producer.sweep.map { "value of \($0)" } ?? "shard")")
                    }
                }
            }
        }
    }
}
