/// One run of a step: for a swept step, one sweep value; for a sharded step, one shard. A step
/// fanned out from a step that is itself sharded (split per node, then flows per node and shard) has a
/// shard path, one index per level. Written `step`, `step@value`, `step#shard`, `step#node.shard`, or
/// with both, `step@value#shard`.
public struct JobID: Hashable, Sendable, CustomStringConvertible {
    public var step: String
    public var sweepValue: String?
    /// The shard path, outermost level first; empty for an unsharded job.
    public var shards: [Int]

    public init(step: String, sweepValue: String? = nil, shards: [Int] = []) {
        self.step = step
        self.sweepValue = sweepValue
        self.shards = shards
    }

    /// Parses `step[@value][#shard[.shard...]]`.
    public init?(parsing text: String) {
        var rest = Substring(text)
        shards = []
        if let hash = rest.lastIndex(of: "#") {
            guard let path = Self.shardPath(rest[rest.index(after: hash)...]) else { return nil }
            shards = path
            rest = rest[..<hash]
        }
        if let at = rest.firstIndex(of: "@") {
            sweepValue = String(rest[rest.index(after: at)...])
            rest = rest[..<at]
        }
        guard !rest.isEmpty else { return nil }
        step = String(rest)
    }

    /// `3` or `1.3`: shard indices, outermost first; nil unless every part is a whole number >= 0.
    public static func shardPath<Text: StringProtocol>(_ text: Text) -> [Int]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? -1) >= 0 }) else { return nil }
        return parts.map { $0! }
    }

    /// The shard path as written: `1.3`.
    public static func shardText(_ path: [Int]) -> String { path.map(String.init).joined(separator: ".") }

    public var description: String {
        step + (sweepValue.map { "@" + $0 } ?? "") + (shards.isEmpty ? "" : "#" + Self.shardText(shards))
    }

    /// The output directory under the pipeline's: `step[/value][/shard...]`.
    public var directory: String {
        step + (sweepValue.map { "/" + $0 } ?? "") + shards.map { "/" + Self.shardName($0) }.joined()
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
