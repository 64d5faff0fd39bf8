import Foundation

/// The readers under test take paths, as the stages give them: each input is written to a file in
/// a scratch directory of this process (on tmpfs when there is one), overwritten input after input.
public enum ScratchFile {
    /// The scratch directory, also where a target may write a stage's outputs.
    public static let directory: String = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let path = "\(base)/mimir-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    /// Writes the input to `directory/name` and returns the path.
    public static func write(_ bytes: UnsafeBufferPointer<UInt8>, name: String) -> String {
        let path = directory + "/" + name
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(descriptor >= 0, "cannot write the scratch file \(path)")
        var written = 0
        while written < bytes.count {
            let count = Foundation.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            precondition(count > 0 || errno == EINTR, "cannot write the scratch file \(path)")
            written += max(count, 0)
        }
        close(descriptor)
        return path
    }
}
