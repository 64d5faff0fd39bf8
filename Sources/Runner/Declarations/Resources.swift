import Yams

/// What one job of a stage asks of the machine (`resources:` in a stage declaration, overridden per
/// step in a pipeline): CPUs, memory, wall time. The local executor packs jobs by `cpus`; a batch
/// system would take all three. Never part of a run key: the same work with more CPUs is the same work.
public struct Resources: Sendable, Equatable {
    /// Cores the job uses (it takes this many of `-j`'s slots).
    public var cpus = 1
    /// Bytes of memory, if declared.
    public var memoryBytes: Int64?
    /// Seconds of wall time, if declared.
    public var seconds: Int?

    public init(cpus: Int = 1, memoryBytes: Int64? = nil, seconds: Int? = nil) {
        (self.cpus, self.memoryBytes, self.seconds) = (cpus, memoryBytes, seconds)
    }

    /// These resources with the fields `node` (a `{cpus, mem, time}` mapping) sets replaced.
    func overridden(by node: Node, source: YAMLSource, what: String) throws -> Resources {
        let fields = try source.fields(node, "resources of \(what)", allowed: ["cpus", "mem", "time"])
        var result = self
        if let node = fields["cpus"] {
            let text = try source.string(node, "cpus")
            guard let cpus = Int(text), (1...1024).contains(cpus) else { throw source.error(node, "\(what): cpus must be a whole number from 1 to 1024, not '\(text)'") }
            result.cpus = cpus
        }
        if let node = fields["mem"] {
            let text = try source.string(node, "mem")
            guard let bytes = Self.bytes(text) else { throw source.error(node, "\(what): mem must be a size such as 512M or 2G, not '\(text)'") }
            result.memoryBytes = bytes
        }
        if let node = fields["time"] {
            let text = try source.string(node, "time")
            guard let seconds = Self.seconds(text) else {
                throw source.error(node, "\(what): time must be a duration such as 90s, 10m, 2h, 1d or HH:MM:SS, not '\(text)'")
            }
            result.seconds = seconds
        }
        return result
    }

    /// `512M`, `2G`, `1.5G`, `4096K`, `1T` (binary units, as Slurm's) or a number of bytes.
    static func bytes(_ text: String) -> Int64? {
        let units: [Character: Double] = ["K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40]
        var number = Substring(text), scale = 1.0
        if let last = text.uppercased().last, let unit = units[last] { (number, scale) = (text.dropLast(), unit) }
        guard let value = Double(number), value.isFinite, value > 0, value * scale < 0x1p60 else { return nil }
        return Int64((value * scale).rounded(.up))
    }

    /// `90s`, `10m`, `2h`, `1d`, or `[D-]HH:MM:SS` / `MM:SS` as sbatch's `--time` takes it.
    static func seconds(_ text: String) -> Int? {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        if let last = text.last, let unit = units[last] {
            guard let value = Int(text.dropLast()), value > 0, value <= 365 * 86_400 / unit else { return nil }
            return value * unit
        }
        let dayParts = text.split(separator: "-", maxSplits: 1).map(String.init)
        let days = dayParts.count == 2 ? Int(dayParts[0]) : 0
        let clock = (dayParts.last ?? "").split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
        guard let days, days >= 0, days <= 365, (2...3).contains(clock.count), clock.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
        let values = clock.map { $0! }
        let (hours, minutes, secs) = values.count == 3 ? (values[0], values[1], values[2]) : (0, values[0], values[1])
        guard minutes < 60, secs < 60, hours < 24 || days == 0 else { return nil }
        let total = days * 86_400 + hours * 3600 + minutes * 60 + secs
        return total > 0 ? total : nil
    }
}
