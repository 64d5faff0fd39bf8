#if canImport(Glibc)
import Glibc
#endif

/// A process's own peak resident memory, told to the process that started it.
///
/// Why not `wait4`'s `ru_maxrss` alone: Linux records, when a child execs its program, the peak of
/// the memory it had until then, and a child of `posix_spawn` (or of `fork`) had its parent's. So a
/// stage started by a runner holding 60 MB reports at least 60 MB however little it uses. The kernel's
/// `VmHWM` (/proc/self/status) is the peak of the program's own memory only; a stage writes it, as
/// decimal bytes, to the descriptor named by `descriptorVariable` when it ends.
public enum PeakMemory {
    /// The environment variable naming the descriptor a stage writes its peak to.
    public static let descriptorVariable = "MIMIR_PEAK_MEMORY_FD"

    /// This process's peak resident memory in bytes (`VmHWM`), nil where /proc does not say.
    public static func ofThisProcess() -> Int64? {
        guard let file = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix("VmHWM:") else { continue }
            // "VmHWM:\t   31620 kB\n"
            let fields = text.dropFirst("VmHWM:".count).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
            guard fields.count == 2, fields[1].hasPrefix("kB"), let kilobytes = Int64(fields[0]) else { return nil }
            return kilobytes * 1024
        }
        return nil
    }

    /// Writes this process's peak to the descriptor the environment names, if it names one.
    public static func report() {
        guard let value = getenv(descriptorVariable), let descriptor = Int32(String(cString: value)), descriptor > 2,
              let peak = ofThisProcess() else { return }
        let text = Array("\(peak)\n".utf8)
        _ = text.withUnsafeBytes { bytes in retryOnInterrupt { write(descriptor, bytes.baseAddress, bytes.count) } }
    }

    /// The peak a process wrote to the read end `descriptor` (which this closes), nil if it wrote none.
    public static func read(from descriptor: Int32) -> Int64? {
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { bytes in retryOnInterrupt { Glibc.read(descriptor, bytes.baseAddress, bytes.count) } }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self)
        guard text.hasSuffix("\n"), let bytes = Int64(text.dropLast()), bytes > 0 else { return nil }
        return bytes
    }
}
