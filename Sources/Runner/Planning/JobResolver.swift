import Foundation

/// Turns a pipeline's steps into jobs: expands sweeps and (once the cutting step is done) shards,
/// finds each job's upstream jobs, and resolves its inputs, parameters and key.
final class JobResolver {
    let workspace: Workspace
    let pipeline: PipelineDeclaration
    let strict: Bool
    /// Jobs whose outputs are in place and counted.
    var completed: [JobID: CompletedJob] = [:]
    /// Cutting job -> the shards its table lists.
    private var shardLists: [JobID: ShardList] = [:]

    init(workspace: Workspace, pipeline: PipelineDeclaration, strict: Bool) {
        self.workspace = workspace
        self.pipeline = pipeline
        self.strict = strict
    }

    func step(_ name: String) -> Step { pipeline.step(name)! }

    /// A step's jobs in their stable order (sweep values as declared, then each cutting job's shards
    /// in its order); nil while a sharded step's shards are not known, that is until every job of the
    /// step it takes shards from has completed.
    func jobs(of step: Step) throws -> [JobID]? {
        let values: [String?] = step.sweep.map { pipeline.sweeps[$0] ?? [] } ?? [nil]
        guard let source = step.shardsFrom else { return values.map { JobID(step: step.name, sweepValue: $0) } }
        guard let cutters = try jobs(of: self.step(source)) else { return nil }
        var shards: [[Int]] = []
        for cutter in cutters {
            guard let list = try shardList(of: cutter) else { return nil }
            shards += list.shards.map { cutter.shards + [$0.index] }
        }
        return values.flatMap { value in shards.map { JobID(step: step.name, sweepValue: value, shards: $0) } }
    }

    /// The shard table a completed cutting job wrote; nil while it has not completed.
    private func shardList(of cutter: JobID) throws -> ShardList? {
        if let known = shardLists[cutter] { return known }
        let stage = step(cutter.step).stage
        guard let done = completed[cutter], let table = stage.shardTable.flatMap(stage.output) else { return nil }
        let list = try ShardList(table: done.outDir + "/" + table)
        shardLists[cutter] = list
        return list
    }

    /// The jobs `job` reads from; nil while some are not known yet. A producer's job is read when it
    /// has the same sweep value (if both run over the sweep) and agrees with `job` on the levels of
    /// fan-out the two steps share: the same shard of the same cutting, or every shard otherwise.
    func dependencies(of job: JobID) throws -> [JobID]? {
        let consumer = step(job.step)
        let consumerFanOut = pipeline.fanOut(of: consumer)
        var result: [JobID] = []
        for name in consumer.upstream.sorted() {
            let producer = step(name)
            guard let jobs = try jobs(of: producer) else { return nil }
            let shared = zip(pipeline.fanOut(of: producer), consumerFanOut).prefix { $0 == $1 }.count
            result += jobs.filter { candidate in
                (producer.sweep == nil || producer.sweep != consumer.sweep || candidate.sweepValue == job.sweepValue)
                    && candidate.shards.prefix(shared) == job.shards.prefix(shared)
            }
        }
        return result
    }

    /// The job's plan; every dependency must be completed.
    func plan(for job: JobID) throws -> JobPlan {
        let step = self.step(job.step)
        var parameters: [String: ParameterValue] = [:]
        for declaration in step.stage.parameters {
            if let value = declaration.defaultValue { parameters[declaration.name] = value }
        }
        parameters.merge(step.parameters) { _, new in new }
        if let sweep = step.sweep, let value = job.sweepValue, let declaration = step.stage.parameter(sweep) {
            parameters[sweep] = ParameterValue(text: value, type: declaration.type)
        }
        var inputs: [(name: String, files: [InputFile])] = []
        var shard: (path: [Int], count: Int)?
        let upstream = try dependencies(of: job) ?? []
        for input in step.stage.inputs {
            var files: [InputFile] = []
            if let perShard = step.stage.perShard, input.name == perShard.input, let source = step.shardsFrom, let index = job.shards.last {
                let cutter = JobID(step: source, shards: Array(job.shards.dropLast()))
                guard let list = try shardList(of: cutter), let entry = list.shard(index), let done = completed[cutter] else {
                    throw RunnerError.io("\(cutter) lists no shard \(index)")
                }
                if entry.file.isEmpty {
                    files.append(try rangedInput(of: cutter, shard: index))
                } else {
                    guard let digest = done.outputs[entry.file]?.digest else {
                        throw RunnerError.io("\(cutter) lists the shard \(entry.file), which it did not write")
                    }
                    files.append(InputFile(path: done.outDir + "/" + entry.file, digest: digest))
                }
                shard = (job.shards, list.shards.count)
                for (name, origin) in perShard.parameters {
                    guard let text = try shardValue(origin, for: job, from: step) else { continue }
                    guard let declaration = step.stage.parameter(name), let value = ParameterValue(text: text, type: declaration.type) else {
                        throw RunnerError.io("shard \(index) of \(cutter): '\(text)' is not a valid \(name)")
                    }
                    parameters[name] = value
                }
            }
            for reference in step.inputs[input.name] ?? [] {
                files += try resolve(reference, for: job, upstream: upstream)
            }
            if !files.isEmpty { inputs.append((input.name, files)) }
        }
        let executableDigest = strict ? try workspace.digests.digest(of: try workspace.executable(for: step.stage))?.digest : nil
        return JobPlan(id: job, stage: step.stage, inputs: inputs, parameters: parameters, executableDigest: executableDigest, shard: shard)
    }

    /// The file a shard without a file of its own (a row of an index) is bytes of: the cutter's input
    /// that its stage's `shard_ranges_of` names. The reader's key covers it by that file's digest, so a
    /// changed capture makes both the index and its readers stale.
    private func rangedInput(of cutter: JobID, shard index: Int) throws -> InputFile {
        let stage = self.step(cutter.step).stage
        guard let name = stage.shardRangesOf else {
            throw RunnerError.io("\(cutter) lists shard \(index) without a file, and stages/\(stage.name).yaml names no input its ranges are of")
        }
        guard let file = try plan(for: cutter).inputs.first(where: { $0.name == name })?.files.first else {
            throw RunnerError.io("\(cutter) lists shard \(index) as a range of its input '\(name)', which it was not given")
        }
        return file
    }

    /// A per-shard parameter's text for `job` of `step` (a step that takes shards); nil for an optional
    /// column no table of the fan-out has.
    private func shardValue(_ origin: StageDeclaration.ShardValue, for job: JobID, from step: Step) throws -> String? {
        let cutting = step.shardsFrom!
        let table = try shardList(of: JobID(step: cutting, shards: Array(job.shards.dropLast())))!
        switch origin {
        case let .metadata(key):
            guard let value = table.metadata[key] else { throw RunnerError.io("the shard table \(table.path) has no metadata '\(key)'") }
            return value
        case let .earliestMetadata(key):
            let cutters = try jobs(of: self.step(cutting)) ?? []
            return try ShardList.earliest(key, of: cutters.compactMap { try shardList(of: $0) })
        case let .column(column, optional):
            // The shard's own row, then the row each enclosing level of the fan-out came from.
            var level = self.step(cutting)
            var path = job.shards
            var list = table
            while true {
                if let value = list.shard(path.last!)?.columns[column] { return value }
                guard let outer = level.shardsFrom, path.count > 1 else { break }
                path.removeLast()
                level = self.step(outer)
                guard let outerList = try shardList(of: JobID(step: outer, shards: Array(path.dropLast()))) else { break }
                list = outerList
            }
            if optional { return nil }
            throw RunnerError.io("the shard table \(table.path) has no column '\(column)'")
        }
    }

    /// The files a reference names for `job`, whose upstream jobs are `upstream` (in their stable order).
    private func resolve(_ reference: Reference, for job: JobID, upstream: [JobID]) throws -> [InputFile] {
        switch reference {
        case let .file(name, path):
            guard let file = try workspace.digests.digest(of: path) else {
                throw RunnerError.usage("\(pipeline.file): input '\(name)' is \(path), which does not exist")
            }
            return [InputFile(path: path, digest: file.digest)]
        case let .output(stepName, output):
            let producer = step(stepName)
            let fileName = producer.stage.output(output)!
            return try upstream.filter { $0.step == stepName }.map { producerJob in
                guard let done = completed[producerJob], let digest = done.outputs[fileName]?.digest else {
                    throw RunnerError.usage("\(job) reads \(fileName) of \(producerJob), which did not write it (an optional output: see stages/\(producer.stage.name).yaml)")
                }
                return InputFile(path: done.outDir + "/" + fileName, digest: digest)
            }
        case let .external(otherPipeline, stepName, output):
            guard let record = try workspace.ledger.latestSuccessful(pipeline: otherPipeline, job: stepName) else {
                throw RunnerError.usage("\(job) reads \(reference), but \(otherPipeline) has no successful run of \(stepName); run pipeline \(otherPipeline) first")
            }
            guard let fileName = workspace.stages[record.material["stage"] ?? ""]?.output(output), let recorded = record.outputs[fileName] else {
                throw RunnerError.usage("\(job) reads \(reference), but that run has no output '\(output)'")
            }
            let path = record.outDir + "/" + fileName
            guard try workspace.digests.digest(of: path)?.digest == recorded.digest else {
                throw RunnerError.usage("\(job) reads \(reference), but \(path) changed since \(otherPipeline) wrote it; rerun pipeline \(otherPipeline)")
            }
            return [InputFile(path: path, digest: recorded.digest)]
        }
    }

    /// Whether a recorded run's outputs are all still on disk with their recorded digests (those it
    /// dropped as transient excepted).
    func intact(_ record: RunRecord) throws -> Bool {
        for (name, output) in record.outputs where !record.dropped.contains(name) {
            if try workspace.digests.digest(of: record.outDir + "/" + name)?.digest != output.digest { return false }
        }
        return true
    }

    /// The completed jobs whose dropped outputs `plan` reads: they must be made again first.
    func producersOfDroppedInputs(_ plan: JobPlan) -> [JobID] {
        let paths = Set(plan.inputs.flatMap { $0.files.map(\.path) })
        return completed.filter { _, done in done.dropped.contains { paths.contains(done.outDir + "/" + $0) } }.map(\.key)
            .sorted { $0.description < $1.description }
    }

    /// The jobs of this pipeline that read the file `name` of `producer`'s run; nil while some are not known.
    func readers(of name: String, from producer: JobID) throws -> [JobID]? {
        let source = step(producer.step)
        let declared = source.stage.outputs.first { $0.file == name }
        var readers: [JobID] = []
        for consumer in pipeline.steps where consumer.upstream.contains(producer.step) {
            let reads = declared.map { output in
                consumer.inputs.values.joined().contains { if case let .output(step, used) = $0 { step == producer.step && used == output.name } else { false } }
            } ?? (consumer.shardsFrom == producer.step)  // an undeclared file of a cutting stage is a shard
            guard reads else { continue }
            guard let jobs = try jobs(of: consumer) else { return nil }
            for job in jobs {
                guard let dependencies = try dependencies(of: job) else { return nil }
                if dependencies.contains(producer) { readers.append(job) }
            }
        }
        return readers
    }

    /// Why a job must run: what changed since its last successful run.
    func staleness(of job: JobID, plan: JobPlan) throws -> String {
        guard let last = try workspace.ledger.latestSuccessful(pipeline: pipeline.name, job: job.description) else { return "never ran" }
        if last.key == plan.key { return "its outputs changed or disappeared since it ran" }
        return describeDifferences(from: last.material, to: plan.material).joined(separator: "; ")
    }
}
