import SystemSupport

/// Which services may reach which (mimir-method.md, section 5.1), in the original's policy format:
/// lines `A ALLOWED B` (or `A ALLOWED all`; `internet` for outside), `#` comments, then after a line of
/// dashes, lines `<src>_pod <dst>_vip` (or `ALL <dst>_vip`) saying through which service address a
/// hop goes. Names are matched with dashes and underscores alike (the original's files mix them).
public struct ReachabilityPolicy: Sendable {
    /// Source service -> destinations (services, `internet`); nil means everyone reaches everyone.
    public var allowed: [String: Set<String>]?
    /// Sources allowed to reach every service.
    public var reachesAll: Set<String> = []
    /// (source service or `ALL`, service whose address a hop from the source goes through).
    public var addressHops: Set<String> = ["ALL>kube-dns"]

    public static let everyone = ReachabilityPolicy(allowed: nil)

    public init(allowed: [String: Set<String>]?) {
        self.allowed = allowed
    }

    /// Canonical service name: dashes for underscores.
    static func canonical(_ name: String) -> String { name.replacingOccurrences(of: "_", with: "-") }

    /// Reads the policy file at `path`.
    public static func read(path: String) throws -> ReachabilityPolicy {
        let bytes = try PositionedInputFile.contents(of: path)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw PolicyError(description: "\(path): not a reachability policy: the file is not UTF-8 text")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws -> ReachabilityPolicy {
        var policy = ReachabilityPolicy(allowed: [:])
        policy.addressHops = []
        var inHops = false
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)?
                .trimmingCharacters(in: .whitespaces) ?? ""
            if line.isEmpty { continue }
            if line.allSatisfy({ $0 == "-" }) { inHops = true; continue }
            let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if inHops {
                guard words.count == 2, words[0] == "ALL" || words[0].hasSuffix("_pod"), words[1].hasSuffix("_vip") else {
                    throw PolicyError(description: "\(path):\(number + 1): expected '<service>_pod <service>_vip' or 'ALL <service>_vip', found '\(line)'")
                }
                let source = words[0] == "ALL" ? "ALL" : canonical(String(words[0].dropLast(4)))
                policy.addressHops.insert("\(source)>\(canonical(String(words[1].dropLast(4))))")
            } else {
                guard words.count == 3, words[1] == "ALLOWED" else {
                    throw PolicyError(description: "\(path):\(number + 1): expected 'A ALLOWED B', found '\(line)'")
                }
                let (source, destination) = (canonical(words[0]), canonical(words[2]))
                if destination == "all" { policy.reachesAll.insert(source) } else { policy.allowed![source, default: []].insert(destination) }
            }
        }
        if policy.addressHops.isEmpty { policy.addressHops = ["ALL>kube-dns"] }
        return policy
    }

    /// Whether `source` may open connections to `destination` (a service or `internet`). Nothing
    /// reaches out of DNS except its queries to the internet (UDP 53), as the original's templates say.
    public func allows(_ source: String, _ destination: String, dnsService: String) -> Bool {
        if source == dnsService { return destination == "internet" }
        guard let allowed else { return true }
        return reachesAll.contains(source) || allowed[source]?.contains(destination) == true
    }
}

/// A policy file that is not in the original's format (exit 3), with the file and line.
public struct PolicyError: ClassifiedError {
    public let description: String
    public var errorClass: ErrorClass { .badInput }
}
