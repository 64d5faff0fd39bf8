import Foundation
import SystemSupport

/// What the stat cache compares: a file is taken as unchanged while all of these are.
struct FileStat: Equatable {
    var device: Int64
    var inode: Int64
    var size: Int64
    var modified: Int64  // nanoseconds
    var changed: Int64   // nanoseconds

    /// The file's stat, or nil when it does not exist or is not a regular file.
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        device = Int64(bitPattern: UInt64(info.st_dev))
        inode = Int64(bitPattern: UInt64(info.st_ino))
        size = Int64(info.st_size)
        modified = Int64(info.st_mtim.tv_sec) * Nanoseconds.perSecond + Int64(info.st_mtim.tv_nsec)
        changed = Int64(info.st_ctim.tv_sec) * Nanoseconds.perSecond + Int64(info.st_ctim.tv_nsec)
    }
}

/// Content digests through the ledger's stat cache: a file is hashed again only when its device,
/// inode, size, modification or change time moved, and at most once per runner process.
public final class DigestCache {
    private let ledger: Ledger
    private var memo: [String: (FileStat, String)] = [:]
    /// Bytes hashed by this process (for the summary and the tests).
    public private(set) var bytesHashed: Int64 = 0

    public init(ledger: Ledger) {
        self.ledger = ledger
    }

    /// The digest of the file at `path`, or nil when there is no such regular file.
    public func digest(of path: String) throws -> OutputFile? {
        let absolute = Self.absolute(path)
        guard let stat = FileStat(path: absolute) else { return nil }
        if let (known, digest) = memo[absolute], known == stat { return OutputFile(digest: digest, size: stat.size) }
        let digest: String
        if let cached = try ledger.cachedDigest(path: absolute, stat: stat) {
            digest = cached
        } else {
            digest = try ContentDigest.ofFile(absolute)
            bytesHashed += stat.size
            // A file that changed while it was hashed keeps no cache entry (the next run hashes it again).
            if FileStat(path: absolute) == stat { try ledger.storeDigest(path: absolute, stat: stat, digest: digest) }
        }
        memo[absolute] = (stat, digest)
        return OutputFile(digest: digest, size: stat.size)
    }

    /// Records a digest the runner computed itself (a published output) under the file's current stat.
    public func remember(path: String, digest: String) throws {
        let absolute = Self.absolute(path)
        guard let stat = FileStat(path: absolute) else { return }
        try ledger.storeDigest(path: absolute, stat: stat, digest: digest)
        memo[absolute] = (stat, digest)
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
