/// One run of a step: for a swept step, one sweep value; for a sharded step, one shard.
/// Written `step`, `step@value`, `step#shard` or `step@value#shard`.
public struct JobID: Hashable, Sendable, CustomStringConvertible {
    public var step: String
    public var sweepValue: String?
    public var shard: Int?

    public init(step: String, sweepValue: String? = nil, shard: Int? = nil) {
        self.step = step
        self.sweepValue = sweepValue
        self.shard = shard
    }

    /// Parses `step[@value][#shard]`.
    public init?(parsing text: String) {
        var rest = Substring(text)
        if let hash = rest.lastIndex(of: "#") {
            guard let shard = Int(rest[rest.index(after: hash)...]), shard >= 0 else { return nil }
            self.shard = shard
            rest = rest[..<hash]
        }
        if let at = rest.firstIndex(of: "@") {
            sweepValue = String(rest[rest.index(after: at)...])
            rest = rest[..<at]
        }
        guard !rest.isEmpty else { return nil }
        step = String(rest)
    }

    public var description: String {
        step + (sweepValue.map { "@" + $0 } ?? "") + (shard.map { "#\($0)" } ?? "")
    }

    /// The output directory under the pipeline's: `step[/value][/shard]`.
    public var directory: String {
        step + (sweepValue.map { "/" + $0 } ?? "") + (shard.map { "/" + Self.shardName($0) } ?? "")
    }

    static func shardName(_ shard: Int) -> String {
        let digits = String(shard)
        return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }
}

/// A job whose outputs are in place and counted: where they are and what they hold.
public struct CompletedJob: Sendable {
    public var outDir: String
    /// File name -> digest and size.
    public var outputs: [String: OutputFile]
    /// The ledger's run, and its transient outputs already deleted.
    public var run: Int64
    public var dropped: Set<String> = []

    init(outDir: String, outputs: [String: OutputFile], run: Int64, dropped: Set<String> = []) {
        (self.outDir, self.outputs, self.run, self.dropped) = (outDir, outputs, run, dropped)
    }

    init(_ record: RunRecord) {
        self.init(outDir: record.outDir, outputs: record.outputs, run: record.id, dropped: record.dropped)
    }
}
