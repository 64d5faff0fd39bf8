import Foundation

/// A mebibyte set aside on the artifacts' disk while a runner works (`artifacts/.mimir-reserve`) and
/// given back when the disk fills: the ledger then has room to record that the runs stopped, instead
/// of leaving them `running`.
final class DiskReserve {
    static let fileName = ".mimir-reserve"
    static let size: off_t = 1 << 20
    private let path: String
    private var held: Bool

    /// Sets the space aside; on a disk already too full for it, holds nothing.
    init(artifacts: String) {
        path = artifacts + "/" + Self.fileName
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        held = descriptor >= 0 && posix_fallocate(descriptor, 0, Self.size) == 0
        if descriptor >= 0 { close(descriptor) }
        if !held { unlink(path) }
    }

    deinit { release() }

    /// Gives the space back (once).
    func release() {
        guard held else { return }
        unlink(path)
        held = false
    }
}
