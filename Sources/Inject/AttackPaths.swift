/// Attack-path templates (mimir-method.md, section 5.1): from the sensitive service's pods to the
/// internet, the shortest simple paths over the reachability graph, each expanded hop by hop with the
/// service-address variants. Nodes are `<service>_pod`, `<service>_vip` and `internet`.
public struct AttackPathTemplates {
    public let services: [String]
    public let policy: ReachabilityPolicy
    public let dnsService: String
    public var maxPathLength = 15
    public var maxPaths: Int

    public init(services: [String], policy: ReachabilityPolicy, dnsService: String = "kube-dns", maxPaths: Int) {
        self.services = services.sorted()
        self.policy = policy
        self.dnsService = dnsService
        self.maxPaths = maxPaths
    }

    /// Service-level simple paths from `sensitive` to the internet, shortest first; among equally
    /// long paths in name order (networkx's `shortest_simple_paths` leaves that order unspecified).
    func servicePaths(from sensitive: String) -> [[String]] {
        var found: [[String]] = []
        var frontier: [[String]] = [[sensitive]]
        while !frontier.isEmpty, found.count < maxPaths {
            var next: [[String]] = []
            for path in frontier {
                let last = path.last!
                if policy.allows(last, "internet", dnsService: dnsService) { found.append(path + ["internet"]) }
                guard path.count + 1 < maxPathLength else { continue }
                for service in services where !path.contains(service) && policy.allows(last, service, dnsService: dnsService) {
                    next.append(path + [service])
                }
            }
            frontier = next
        }
        return found
    }

    /// The templates: each service path with every hop's service-address variant, as the original
    /// expanded them (a declared address hop is taken; otherwise the source's address, the
    /// destination's, or none), until `maxPaths` paths or one longer than `maxPathLength` nodes.
    public func paths(from sensitive: String) -> [[String]] {
        var result: [[String]] = []
        for path in servicePaths(from: sensitive) {
            var variants: [[String]] = [[path[0] + "_pod"]]
            for (source, destination) in zip(path, path.dropFirst()) {
                if destination == "internet" {
                    variants = variants.map { $0 + ["internet"] }
                    continue
                }
                let destinationPod = destination + "_pod"
                if policy.addressHops.contains("ALL>\(destination)") || policy.addressHops.contains("\(source)>\(destination)") {
                    variants = variants.map { $0 + [destination + "_vip", destinationPod] }
                } else if policy.addressHops.contains("\(destination)>\(source)") {
                    variants = variants.map { $0 + [source + "_vip", destinationPod] }
                } else {
                    variants = variants.flatMap { [$0 + [source + "_vip", destinationPod], $0 + [destination + "_vip", destinationPod], $0 + [destinationPod]] }
                }
            }
            for variant in variants {
                if variant.count > maxPathLength || result.count >= maxPaths { return result }
                result.append(variant)
            }
        }
        return result
    }
}
