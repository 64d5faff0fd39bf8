import CXXHash
import Foundation
import SystemSupport

/// Content digests: XXH3-128 over a file's bytes, written `xxh3-128:<32 hex digits>`.
///
/// Why XXH3 and not SHA-256: freshness needs change detection, not resistance to a forger (the
/// artifacts directory is the user's own), and XXH3 is fast without special instructions.
/// `make bench` measures it against md5sum (DVC's choice), sha256sum and xxhsum on the same file.
public enum ContentDigest {
    public static let prefix = "xxh3-128:"
    private static let chunkSize = 4 << 20

    /// The digest of a file's content.
    public static func ofFile(_ path: String) throws -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw RunnerError.io("cannot open \(path) to hash it: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard let state = XXH3_createState() else { throw RunnerError.io("cannot allocate a hash state") }
        defer { XXH3_freeState(state) }
        XXH3_128bits_reset(state)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunkSize, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count = retryOnInterrupt { read(descriptor, buffer, chunkSize) }
            if count < 0 {
                throw RunnerError.io("cannot read \(path) to hash it: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            XXH3_128bits_update(state, buffer, count)
        }
        return format(XXH3_128bits_digest(state))
    }

    /// The digest of bytes in memory (run keys).
    public static func ofBytes(_ bytes: some Collection<UInt8>) -> String {
        let hash = Array(bytes).withUnsafeBytes { XXH3_128bits($0.baseAddress, $0.count) }
        return format(hash)
    }

    private static func format(_ hash: XXH128_hash_t) -> String {
        prefix + hex(hash.high64) + hex(hash.low64)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// A digest shortened for people: `xxh3-128:ab12cd34…`.
    public static func short(_ digest: String) -> String {
        digest.hasPrefix(prefix) ? String(digest.prefix(prefix.count + 8)) + "…" : digest
    }
}
