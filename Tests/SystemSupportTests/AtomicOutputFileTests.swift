import Foundation
import Testing
import Synchronization
import TestSupport
@testable import SystemSupport

/// `AtomicOutputFile.append`: byte ranges of a mapped file written into another, exactly, whether the
/// source kept its size, grew or shrank after it was mapped.
@Suite struct MappedAppendTests {
    private static let source = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }

    private func mapped(_ bytes: [UInt8], in directory: TemporaryDirectory) throws -> (MappedSourceFile, Int32) {
        FileManager.default.createFile(atPath: directory.file("source"), contents: Data(bytes))
        let descriptor = open(directory.file("source"), O_RDWR)
        return (try MappedSourceFile(descriptor: descriptor, path: directory.file("source")), descriptor)
    }

    @Test func append_writesTheRangesBetweenBufferedWrites() throws {
        let directory = try TemporaryDirectory()
        let (source, descriptor) = try mapped(Self.source, in: directory)
        defer { close(descriptor) }
        let output = try AtomicOutputFile(path: directory.file("copy"))
        try output.write([1, 2, 3])
        try output.append(1000..<2_501_000, of: source)
        try output.write([4])
        try output.append(0..<0, of: source)
        try output.append(2_999_990..<3_000_000, of: source)
        try output.append(5..<6, of: source)
        try output.publish(durable: false)
        #expect(lseek(descriptor, 0, SEEK_CUR) == 0, "the source's own position is left alone")
        let expected = [1, 2, 3] + Self.source[1000..<2_501_000] + [4] + Self.source[2_999_990...] + [Self.source[5]]
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.file("copy"))) == Data(expected))
        #expect(output.bytesWritten == expected.count)
    }

    @Test func rangesTheFileGainedAfterItWasMapped_areCopiedToo() throws {
        let directory = try TemporaryDirectory()
        let (source, descriptor) = try mapped(Array(Self.source[..<1_000_000]), in: directory)
        defer { close(descriptor) }
        _ = Self.source[1_000_000...].withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 1_000_000) }
        let output = try AtomicOutputFile(path: directory.file("copy"))
        try output.append(999_000..<1_500_000, of: source)
        try output.append(2_000_000..<2_000_100, of: source)
        try output.publish(durable: false)
        let expected = Self.source[999_000..<1_500_000] + Self.source[2_000_000..<2_000_100]
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.file("copy"))) == Data(expected))
    }

    /// Resident memory stays small: pages are unmapped once every range in use has passed them.
    @Test func appendedRanges_leaveLittleOfTheSourceMapped() throws {
        let directory = try TemporaryDirectory()
        let size = 48 << 20
        let (source, descriptor) = try mapped((0..<size).map { UInt8(truncatingIfNeeded: $0 >> 9) }, in: directory)
        defer { close(descriptor) }
        let output = try AtomicOutputFile(path: directory.file("copy"))
        for start in stride(from: 0, to: size, by: 450_000) {
            try output.append(start..<min(size, start + 450_000), of: source)
        }
        try output.publish(durable: false)
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let pages = size / pageSize
        let pagemap = open("/proc/self/pagemap", O_RDONLY)
        defer { close(pagemap) }
        var entries = [UInt64](repeating: 0, count: pages)
        let read = entries.withUnsafeMutableBytes { pread(pagemap, $0.baseAddress, $0.count, off_t(Int(bitPattern: source.base) / pageSize * 8)) }
        #expect(read == pages * 8)
        let mappedBytes = entries.filter { $0 >> 63 == 1 }.count * pageSize
        #expect(mappedBytes <= 4 << 20, "\(mappedBytes) bytes of the source still mapped")
    }

    @Test func aRangePastTheFilesEnd_isAnError() throws {
        let directory = try TemporaryDirectory()
        let (source, descriptor) = try mapped([1, 2, 3], in: directory)
        defer { close(descriptor) }
        let output = try AtomicOutputFile(path: directory.file("copy"))
        #expect(throws: FileError.endsEarly(path: directory.file("source"), offset: 3)) { try output.append(2..<7, of: source) }
    }

    /// Pages of a mapping past the file's end raise SIGBUS when a process touches them; `write` from
    /// them fails instead, which is why only the kernel reads the mapping.
    @Test func aSourceThatShrankWhileMapped_isAnErrorNotACrash() throws {
        let directory = try TemporaryDirectory()
        let (source, descriptor) = try mapped(Self.source, in: directory)
        defer { close(descriptor) }
        #expect(ftruncate(descriptor, 4096) == 0)
        let output = try AtomicOutputFile(path: directory.file("copy"))
        #expect {
            try output.append(0..<2_000_000, of: source)
        } throws: { error in
            guard case let .endsEarly(path, offset)? = error as? FileError else { return false }
            return path == directory.file("source") && offset >= 4096
        }
    }
}

/// The mode of an atomic file: 0644 less the process's umask, as files are usually created, with the
/// umask read by the kernel, never set (setting it, even for a moment, changes it for every thread).
@Suite struct AtomicFileModeTests {
    /// The process's umask, read without setting it.
    private static func umaskNow() throws -> mode_t {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Umask:") })
        return try #require(mode_t(line.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces), radix: 8))
    }

    private static func mode(_ path: String) -> mode_t {
        var info = stat()
        _ = stat(path, &info)
        return info.st_mode & 0o7777
    }

    @Test func filesGet0644LessTheUmask_andFoldersMadeMeanwhileKeepIt() throws {
        let directory = try TemporaryDirectory()
        let mask = try Self.umaskNow()
        try AtomicOutputFile.publish([1], to: directory.file("published"), durable: false)
        #expect(Self.mode(directory.file("published")) == 0o644 & ~mask)
        // Folders made on another thread while files are created must never see another umask.
        let done = Mutex(false), wrongModes = Mutex<[mode_t]>([])
        let folders = Thread {
            var index = 0
            while !done.withLock({ $0 }) {
                let folder = directory.file("folder-\(index % 4)")
                if mkdir(folder, 0o777) == 0 {
                    let mode = Self.mode(folder)
                    if mode != 0o777 & ~mask { wrongModes.withLock { $0.append(mode) } }
                    rmdir(folder)
                }
                index += 1
            }
        }
        folders.start()
        for index in 0..<5_000 { _ = try AtomicOutputFile(path: directory.file("dropped-\(index % 8)")) }
        done.withLock { $0 = true }
        while !folders.isFinished { usleep(1_000) }
        #expect(wrongModes.withLock { $0 }.isEmpty, "folders made with another umask: \(wrongModes.withLock { $0.prefix(3) })")
    }
}
