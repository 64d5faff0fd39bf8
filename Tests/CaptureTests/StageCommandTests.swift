import Foundation
import Testing
@testable import Capture
@testable import Table

/// The stage executables as users run them: exit codes (2 usage, 3 bad input), messages naming the
/// file, and no output table that looks complete after a failure.
@Suite struct StageCommandTests {
    typealias K = PacketKit
    static let binaries = CrossCheck.packageRoot + "/.build/debug/"
    static let available = FileManager.default.isExecutableFile(atPath: binaries + "mimir-flows")
        && FileManager.default.isExecutableFile(atPath: binaries + "mimir-split")

    @Test(.needs(available, "the executables are built by swift build"))
    func badInput_exitsWith3AndNamesTheFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("notes.txt")
        try K.write(Array("not a capture at all".utf8), to: path)
        for stage in ["mimir-flows", "mimir-split"] {
            let extra = stage == "mimir-split" ? ["--interval", "10"] : []
            let (status, output) = try CrossCheck.run(Self.binaries + stage, [path, "--out", directory.file("out-\(stage)")] + extra)
            #expect(status == 3, "\(stage): \(output)")
            #expect(output.contains("\(stage): error: \(path): not a pcap or pcapng capture (it starts with 6e 6f 74 20)"), "\(output)")
            let written = (try? FileManager.default.contentsOfDirectory(atPath: directory.file("out-\(stage)"))) ?? []
            #expect(written.filter { !$0.hasPrefix(".") }.isEmpty, "\(stage) left \(written)")
        }
    }

    @Test(.needs(available, "the executables are built by swift build"))
    func usageErrors_exitWith2() throws {
        let directory = try TemporaryDirectory()
        try K.write(K.pcap([[1, 2, 3]]), to: directory.file("c.pcap"))
        let cases: [(String, [String], String)] = [
            ("mimir-flows", ["--windows", "ten"], "--windows takes whole seconds"),
            ("mimir-flows", ["--origin", "yesterday"], "mimir-flows: error: The value 'yesterday' is invalid for '--origin <origin>'"),
            ("mimir-flows", ["--filter", "tcp prot 80"], "filter 'tcp prot 80' does not compile"),
            ("mimir-split", [], "give exactly one of --interval SECONDS and --count PACKETS"),
            ("mimir-split", ["--interval", "0"], "mimir-split: error: The value '0' is invalid for '--interval <interval>'"),
        ]
        for (stage, arguments, message) in cases {
            let (status, output) = try CrossCheck.run(Self.binaries + stage, [directory.file("c.pcap"), "--out", directory.file("out")] + arguments)
            #expect(status == 2, "\(stage) \(arguments): \(output)")
            #expect(output.contains(message), "\(stage) \(arguments): \(output)")
        }
    }

    @Test(.needs(available, "the executables are built by swift build"))
    func truncatedCapture_warnsAndSucceeds() throws {
        let directory = try TemporaryDirectory()
        let web = K.ethernet(type: 0x0800, K.ipv4("10.1.0.2", "10.1.0.3", protocol: 6, K.tcp(1, 80, flags: 2)))
        let whole = K.pcap([web, web, web])
        try K.write(Array(whole.prefix(whole.count - 7)), to: directory.file("cut.pcap"))
        let (status, output) = try CrossCheck.run(Self.binaries + "mimir-flows", [directory.file("cut.pcap"), "--out", directory.file("out"), "--windows", "10"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("warning:") && output.contains("truncated at byte offset"), "\(output)")
        let pairs = try TableReader(path: directory.file("out/pairs.parquet")).readAll()
        #expect(pairs["packets"]!.int64s == [2])
    }
}
