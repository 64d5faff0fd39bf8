import Foundation
import Testing
import TestSupport
@testable import SystemSupport

/// `RelativePath.of`: a file's path from a directory, worked out by hand; and `ScratchFile`: what is
/// written is read back in order, and the file has no name.
@Suite struct RelativePathTests {
    @Test func pathsFromADirectory_climbWhereTheyLeaveIt() throws {
        let root = try TemporaryDirectory()
        for folder in ["a/b", "c"] { try FileManager.default.createDirectory(atPath: root.file(folder), withIntermediateDirectories: true) }
        FileManager.default.createFile(atPath: root.file("c/capture.pcap"), contents: Data())
        FileManager.default.createFile(atPath: root.file("a/b/here.pcap"), contents: Data())
        #expect(RelativePath.of(root.file("c/capture.pcap"), from: root.file("a/b")) == "../../c/capture.pcap")
        #expect(RelativePath.of(root.file("a/b/here.pcap"), from: root.file("a/b")) == "here.pcap")
        #expect(RelativePath.of(root.file("a/b/here.pcap"), from: root.file("a")) == "b/here.pcap")
        // Links are resolved: the path holds where the file is.
        try FileManager.default.createSymbolicLink(atPath: root.file("link"), withDestinationPath: root.file("c"))
        #expect(RelativePath.of(root.file("link/capture.pcap"), from: root.file("a")) == "../c/capture.pcap")
        #expect(RelativePath.of(root.file("missing"), from: root.file("a")) == nil)
    }

    @Test func scratchFile_readsBackWhatWasWritten_andHasNoName() throws {
        let directory = try TemporaryDirectory()
        let scratch = try ScratchFile(directory: directory.path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try bytes.withUnsafeBytes { try scratch.write(UnsafeRawBufferPointer(rebasing: $0[..<60_000])) }
        try bytes.withUnsafeBytes { try scratch.write(UnsafeRawBufferPointer(rebasing: $0[60_000...])) }
        var read: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 7_000, alignment: 1)
        defer { buffer.deallocate() }
        while case let got = try scratch.read(into: buffer.baseAddress!, count: buffer.count), got > 0 { read += buffer.prefix(got) }
        #expect(read == bytes && scratch.size == 100_000)
    }
}
