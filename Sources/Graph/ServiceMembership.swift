import Cluster

/// Which service a pod belongs to.
public enum ServiceMembership: String, Sendable {
    /// The service whose selector the pod's labels match (Kubernetes' own rule); a pod-name pattern
    /// only where no selector matches.
    case selector
    /// The original's rule: a label of the service object itself (`name=`, `k8s-app=`, `app=`) found
    /// among the pod's labels (the shortest service name winning), then the name patterns.
    case originalLabels

    /// Service name per pod entity (nil: no service).
    func services(of book: AddressBook) -> [Int: String] {
        let services = book.entities.filter { $0.kind == .service }
        var result: [Int: String] = [:]
        for (index, pod) in book.entities.enumerated() where pod.kind == .pod {
            result[index] = match(pod, services) ?? Self.byName(pod.name, services)
        }
        return result
    }

    private func match(_ pod: Entity, _ services: [Entity]) -> String? {
        switch self {
        case .selector:
            // The most specific selector wins; among equals the first name in order, so the choice is stable.
            return services.filter { service in
                guard let selector = service.selector, !selector.isEmpty, service.namespace == pod.namespace else { return false }
                return selector.allSatisfy { pod.labels[$0.key] == $0.value }
            }.max { ($0.selector!.count, $1.name) < ($1.selector!.count, $0.name) }?.name
        case .originalLabels:
            let prefixes = ["name", "k8s-app", "app"]
            var byLabel: [String: String] = [:]
            for service in services.sorted(by: { ($0.name.count, $0.name) < ($1.name.count, $1.name) }) {
                for (key, value) in service.labels where prefixes.contains(key) && byLabel["\(key)=\(value)"] == nil {
                    byLabel["\(key)=\(value)"] = service.name
                }
            }
            return pod.labels.sorted { $0.key < $1.key }.lazy.compactMap { byLabel["\($0.key)=\($0.value)"] }.first
        }
    }

    /// The original's name patterns: `<service>-<9 or 10 characters>-...`, `<service>-<digits>`.
    static func byName(_ name: String, _ services: [Entity]) -> String? {
        services.map(\.name).sorted { ($0.count, $0) > ($1.count, $1) }.first { service in
            guard name.hasPrefix(service + "-") else { return false }
            let rest = name.dropFirst(service.count + 1)
            let token = rest.split(separator: "-", maxSplits: 1).first ?? ""
            return (token.count == 9 || token.count == 10) && token.allSatisfy { $0.isLowercase || $0.isNumber } && rest.contains("-")
                || (!token.isEmpty && token.allSatisfy(\.isNumber))
        }
    }
}
