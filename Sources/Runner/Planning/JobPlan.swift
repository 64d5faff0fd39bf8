import Table

/// A file handed to a stage: where it is and what it holds.
public struct InputFile: Sendable {
    public var path: String
    public var digest: String
}

/// Everything about one job that decides whether it must run, and the command that runs it.
public struct JobPlan: Sendable {
    public static let runnerSchema = "1"

    public var id: JobID
    public var stage: StageDeclaration
    /// Input name -> files, in the stable order the stage receives them.
    public var inputs: [(name: String, files: [InputFile])]
    /// The effective parameters: declared defaults, then the step's, the sweep value, the shard's.
    public var parameters: [String: ParameterValue]
    /// The executable's digest, with `--strict`.
    public var executableDigest: String?
    /// The shard's path and how many shards its cutting job made.
    public var shard: (path: [Int], count: Int)?

    /// The key's material, flat and readable: `params.rate` -> `1.0`, `inputs.capture` -> a digest.
    public var material: [String: String] {
        var material = ["runner": Self.runnerSchema, "stage": stage.name, "version": stage.version,
                        "outputs": stage.outputs.map(\.file).sorted().joined(separator: ",")]
        for (name, value) in parameters {
            material["params." + name] = (try? value.json.canonicalText()) ?? value.argument
        }
        for (name, files) in inputs {
            let declaredList = stage.input(name)?.list ?? false
            for (index, file) in files.enumerated() {
                material["inputs." + name + (declaredList ? "[\(index)]" : "")] = file.digest
            }
        }
        if let shard { material["shard"] = "\(JobID.shardText(shard.path))/\(shard.count)" }
        if let executableDigest { material["exe"] = executableDigest }
        return material
    }

    /// The run key: a digest of the material's canonical JSON.
    public var key: String {
        let text = (try? JSONValue.object(material.mapValues { .string($0) }).canonicalText()) ?? ""
        return ContentDigest.ofBytes(Array(text.utf8))
    }

    /// The command line: flagged inputs (a list input repeats its flag), the parameters in declaration
    /// order, `--out`, then `--` and the positional inputs, so that no file name is read as a flag.
    /// `path` rewrites every file and directory argument (runs record them relative to the artifacts).
    public func command(executable: String, outDir: String, path: (String) -> String = { $0 }) -> [String] {
        var arguments = [executable]
        let files = Dictionary(inputs, uniquingKeysWith: { first, _ in first })
        for input in stage.inputs {
            guard let flag = input.flag else { continue }
            for file in files[input.name] ?? [] { arguments += Self.option(flag, path(file.path)) }
        }
        for parameter in stage.parameters {
            guard let value = parameters[parameter.name] else { continue }
            if case let .bool(on) = value {
                if on { arguments.append(parameter.flag) }
            } else {
                arguments += Self.option(parameter.flag, value.argument)
            }
        }
        arguments += Self.option("--out", path(outDir))
        let positional = stage.inputs.filter { $0.flag == nil }.flatMap { files[$0.name] ?? [] }
        return positional.isEmpty ? arguments : arguments + ["--"] + positional.map { path($0.path) }
    }

    /// `--flag VALUE`, or `--flag=VALUE` when the value starts with `-` (else read as a flag).
    private static func option(_ flag: String, _ value: String) -> [String] {
        value.hasPrefix("-") ? [flag + "=" + value] : [flag, value]
    }
}

/// How two keys' materials differ, one line per component: `params.rate: 1.0 -> 10.0`.
public func describeDifferences(from old: [String: String], to new: [String: String]) -> [String] {
    func show(_ name: String, _ value: String?) -> String {
        guard let value else { return "(none)" }
        return name.hasPrefix("inputs.") || name == "exe" ? ContentDigest.short(value) : value
    }
    return Set(old.keys).union(new.keys).sorted().compactMap { name in
        old[name] == new[name] ? nil : "\(name): \(show(name, old[name])) -> \(show(name, new[name]))"
    }
}
