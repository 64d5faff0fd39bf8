import Table

/// The service an exfiltration would take data from must be one the capture's graph has pods of: a
/// name that matches none (a typo, another namespace's name) would give no attack path and no
/// feature, silently. The error lists the services found.
public enum SensitiveService {
    /// `rate`: the exfiltration rate in MB per minute the pod-edge table was injected at (nil for
    /// graph's own tables), which inject records as `mimir.rate` and features passes on.
    public static let rateKey = "mimir.rate"

    public static func check(_ name: String, among services: some Sequence<String>, path: String) throws {
        let found = Set(services).subtracting(["", "outside"]).sorted()
        guard !found.contains(name) else { return }
        throw TableError.mismatch(path: path, detail: "--sensitive '\(name)' matches no service with pods in this graph; "
                                  + "services found: \(found.isEmpty ? "none" : found.joined(separator: ", "))")
    }
}
