import Table

/// The service an exfiltration would take data from must be one the capture's graph has pods of: a
/// name that matches none (a typo, another namespace's name) would give no attack path and no
/// feature, silently. The error lists the services found.
public enum SensitiveService {
    public static func check(_ name: String, among services: some Sequence<String>, path: String) throws {
        let found = Set(services).subtracting(["", "outside"]).sorted()
        guard !found.contains(name) else { return }
        throw TableError.mismatch(path: path, detail: "--sensitive '\(name)' matches no service with pods in this graph; "
                                  + "services found: \(found.isEmpty ? "none" : found.joined(separator: ", "))")
    }
}
