import Foundation
import Yams

/// `stages/<stage>.yaml`: how the runner knows a stage executable. The runner never links a stage's
/// code; this file is the whole of what it knows.
public struct StageDeclaration: Sendable {
    public struct Input: Sendable {
        public var name: String
        /// The flag that passes it; nil for a positional argument.
        public var flag: String?
        /// A list input takes several files, passed as a repeated flag in a stable order.
        public var list: Bool
        public var required: Bool
        public var help: String
    }

    public struct Parameter: Sendable {
        public var name: String
        public var type: ParameterType
        public var defaultValue: ParameterValue?
        /// A parameter without a default that a pipeline must set.
        public var required: Bool
        public var flag: String
        public var help: String
    }

    /// Where a per-shard run's values come from.
    public enum ShardValue: Sendable, Equatable {
        /// `column NAME`: the shard's row of its table, or, for a shard of a sharded cutting step, the
        /// row its cutting job came from (the nearest table that has the column). `optional column
        /// NAME` leaves the parameter unset when no table of the fan-out has the column.
        case column(String, optional: Bool)
        /// `metadata KEY`: an entry of the shard's table's metadata.
        case metadata(String)
        /// `earliest metadata KEY`: the earliest (smallest) value of the entry over every table of the
        /// cutting step's jobs, so that every node's shards share one origin.
        case earliestMetadata(String)
    }

    /// A stage that runs once per shard: which input receives the shard's file and which parameters
    /// come from the shard table.
    public struct PerShard: Sendable {
        public var input: String
        public var parameters: [(name: String, source: ShardValue)]
    }

    public var name: String
    public var file: String
    public var executable: String
    /// The implementation version: the same string as the stage's `--version` and its tables' `mimir.version`.
    public var version: String
    public var help: String
    public var inputs: [Input]
    /// Output name -> file name in the output directory, in declaration order; an optional output
    /// (written only with some inputs, as score's evaluation tables with labels) need not exist.
    public var outputs: [(name: String, file: String, required: Bool)]
    public var parameters: [Parameter]
    /// What each job asks of the machine (`resources:`; one CPU by default).
    public var resources: Resources
    public var perShard: PerShard?
    /// For a stage that cuts its input into shards: the output that lists them (columns `shard` and `file_name`).
    public var shardTable: String?
    /// For such a stage that may list its shards as byte ranges of an input rather than as files (a
    /// row without `file_name`): that input (`shard_ranges_of:`), which a shard's reader then reads.
    public var shardRangesOf: String?

    public func input(_ name: String) -> Input? { inputs.first { $0.name == name } }
    public func parameter(_ name: String) -> Parameter? { parameters.first { $0.name == name } }
    public func output(_ name: String) -> String? { outputs.first { $0.name == name }?.file }

    /// Reads and checks one declaration.
    public init(file: String) throws {
        let source = try YAMLSource(file: file)
        let fields = try source.fields(source.root, "a stage declaration", allowed: [
            "stage", "executable", "version", "help", "inputs", "outputs", "params", "per_shard", "shard_table", "shard_ranges_of", "resources",
        ])
        let at = source.root
        self.file = file
        name = try source.string(try source.required(fields, "stage", in: "a stage declaration", at: at), "stage")
        executable = try source.string(try source.required(fields, "executable", in: "a stage declaration", at: at), "executable")
        version = try source.string(try source.required(fields, "version", in: "a stage declaration", at: at), "version")
        help = try fields["help"].map { try source.string($0, "help") } ?? ""
        let fileStem = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
        guard name == fileStem else { throw source.error(fields["stage"], "the stage '\(name)' must be declared in \(name).yaml") }

        inputs = try fields["inputs"].map { node in
            try source.mapping(node, "inputs").map { name, _, value in
                let input = try source.fields(value, "input '\(name)'", allowed: ["flag", "positional", "list", "required", "help"])
                let positional = try input["positional"].map { try source.bool($0, "positional") } ?? false
                return Input(name: name,
                             flag: positional ? nil : try input["flag"].map { try source.string($0, "flag") } ?? Self.flag(for: name),
                             list: try input["list"].map { try source.bool($0, "list") } ?? false,
                             required: try input["required"].map { try source.bool($0, "required") } ?? true,
                             help: try input["help"].map { try source.string($0, "help") } ?? "")
            }
        } ?? []
        outputs = try source.mapping(try source.required(fields, "outputs", in: "a stage declaration", at: at), "outputs").map { name, _, value in
            if value.scalar != nil { return (name, try source.string(value, "output '\(name)'"), true) }
            let output = try source.fields(value, "output '\(name)'", allowed: ["file", "required"])
            return (name, try source.string(try source.required(output, "file", in: "output '\(name)'", at: value), "file"),
                    try output["required"].map { try source.bool($0, "required") } ?? true)
        }
        parameters = try fields["params"].map { node in
            try source.mapping(node, "params").map { name, keyNode, value in
                let parameter = try source.fields(value, "parameter '\(name)'", allowed: ["type", "default", "required", "flag", "help"])
                let typeText = try source.string(try source.required(parameter, "type", in: "parameter '\(name)'", at: keyNode), "type")
                guard let type = ParameterType(rawValue: typeText) else {
                    throw source.error(parameter["type"], "parameter '\(name)': unknown type '\(typeText)' (int, number, string, bool)")
                }
                let defaultValue = try parameter["default"].map { node -> ParameterValue in
                    let text = try source.string(node, "default")
                    guard let value = ParameterValue(text: text, type: type) else {
                        throw source.error(node, "parameter '\(name)': the default '\(text)' is not a \(type.rawValue)")
                    }
                    return value
                }
                return Parameter(name: name, type: type, defaultValue: defaultValue,
                                 required: try parameter["required"].map { try source.bool($0, "required") } ?? false,
                                 flag: try parameter["flag"].map { try source.string($0, "flag") } ?? Self.flag(for: name),
                                 help: try parameter["help"].map { try source.string($0, "help") } ?? "")
            }
        } ?? []
        let stageName = name
        resources = try fields["resources"].map { try Resources().overridden(by: $0, source: source, what: "stage '\(stageName)'") } ?? Resources()
        shardTable = try fields["shard_table"].map { node in
            let table = try source.string(node, "shard_table")
            guard outputs.contains(where: { $0.name == table }) else { throw source.error(node, "shard_table '\(table)' is not an output") }
            return table
        }
        shardRangesOf = try fields["shard_ranges_of"].map { node in
            let input = try source.string(node, "shard_ranges_of")
            guard inputs.contains(where: { $0.name == input }) else { throw source.error(node, "shard_ranges_of '\(input)' is not an input") }
            guard shardTable != nil else { throw source.error(node, "shard_ranges_of goes with shard_table") }
            return input
        }
        perShard = try fields["per_shard"].map { node in
            let perShard = try source.fields(node, "per_shard", allowed: ["input", "params"])
            let input = try source.string(try source.required(perShard, "input", in: "per_shard", at: node), "input")
            guard inputs.contains(where: { $0.name == input }) else { throw source.error(perShard["input"], "per_shard input '\(input)' is not an input") }
            let parameters = try perShard["params"].map { params in
                try source.mapping(params, "per_shard params").map { name, keyNode, value -> (name: String, source: ShardValue) in
                    guard self.parameters.contains(where: { $0.name == name }) else {
                        throw source.error(keyNode, "per_shard parameter '\(name)' is not a parameter")
                    }
                    let words = try source.string(value, "per_shard parameter").split(separator: " ").map(String.init)
                    switch (words.count, words.first, words.count > 1 ? words[1] : "") {
                    case (2, "column", _): return (name, ShardValue.column(words[1], optional: false))
                    case (3, "optional", "column"): return (name, ShardValue.column(words[2], optional: true))
                    case (2, "metadata", _): return (name, ShardValue.metadata(words[1]))
                    case (3, "earliest", "metadata"): return (name, ShardValue.earliestMetadata(words[2]))
                    default:
                        throw source.error(value, "per_shard parameter '\(name)' must be 'column NAME', 'optional column NAME', "
                                           + "'metadata KEY' or 'earliest metadata KEY'")
                    }
                }
            } ?? []
            return PerShard(input: input, parameters: parameters)
        }
    }

    static func flag(for name: String) -> String { "--" + name.replacingOccurrences(of: "_", with: "-") }

    /// Every declaration in a directory, by stage name.
    public static func loadAll(directory: String) throws -> [String: StageDeclaration] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw RunnerError.usage("cannot read the stage declarations in \(directory)/")
        }
        var stages: [String: StageDeclaration] = [:]
        for name in names.sorted() where name.hasSuffix(".yaml") {
            let stage = try StageDeclaration(file: directory + "/" + name)
            stages[stage.name] = stage
        }
        return stages
    }
}
