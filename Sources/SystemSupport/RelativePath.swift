#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Paths of existing files as seen from a directory.
public enum RelativePath {
    /// The path of `file` from `directory` (both existing; symbolic links resolved), `../` where it
    /// leaves the directory; nil if either cannot be resolved.
    public static func of(_ file: String, from directory: String) -> String? {
        guard let target = resolved(file), let base = resolved(directory) else { return nil }
        let targetParts = target.split(separator: "/"), baseParts = base.split(separator: "/")
        let shared = zip(targetParts, baseParts).prefix { $0 == $1 }.count
        let parts = Array(repeating: "..", count: baseParts.count - shared) + targetParts.dropFirst(shared).map(String.init)
        return parts.joined(separator: "/")
    }

    private static func resolved(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}
