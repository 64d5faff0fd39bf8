import Foundation
import Testing
@testable import Capture
import Table

/// mimir-flows against tshark: on generated captures of every link type and container variant, the
/// per-window pair and flow tables (counting tunnels by their outer header, as tshark's first
/// occurrence does) equal the sums of tshark's per-packet fields over the same windows.
@Suite(.serialized) struct FlowOracleTests {
    static let available = CrossCheck.python != nil && CrossCheck.hasCommand("tshark")

    /// The generated captures, made once for the suite.
    static let captures: (TemporaryDirectory, [String])? = {
        guard available, let directory = try? TemporaryDirectory() else { return nil }
        guard let result = try? CrossCheck.runScript("make_captures.py", [directory.path, "--packets", "600"]),
              result.status == 0 else { return nil }
        let names = directory.contents.filter { !$0.hasSuffix(".json") }.sorted()
        return (directory, names)
    }()

    @Test(.needs(available, "needs the Python environment (make venv) and tshark"))
    func pairs_equalTsharkPerPacketSums() throws {
        let (directory, names) = try #require(Self.captures, "make_captures.py failed")
        #expect(names.count == 15)
        for name in names {
            let out = try TemporaryDirectory()
            let extraction = FlowExtraction(windowLengths: [7, 10, 60], countsOuterHeader: true, version: "test")
            let report = try extraction.run(capturePath: directory.file(name), directory: out.path)
            #expect(report.truncation == nil)
            let (status, output) = try CrossCheck.runScript("check_pairs_with_tshark.py",
                                                            [directory.file(name), out.file("pairs.parquet"), "7,10,60"])
            #expect(status == 0, "\(name): \(output)")
            #expect(output.contains(" 0 mismatches"), "\(name): \(output)")
            let flows = try CrossCheck.runScript("check_flows_with_tshark.py",
                                                 [directory.file(name), out.file("flows.parquet"), "7,10,60"])
            #expect(flows.status == 0, "\(name): \(flows.output)")
        }
    }

    @Test(.needs(available, "needs the Python environment (make venv) and tshark"))
    func explicitOrigin_shiftsEveryWindowTheSameWay() throws {
        let (directory, _) = try #require(Self.captures, "make_captures.py failed")
        let out = try TemporaryDirectory()
        let origin: Int64 = 1_764_399_990_000_000_000
        let extraction = FlowExtraction(windowLengths: [10], origin: origin, countsOuterHeader: true, version: "test")
        _ = try extraction.run(capturePath: directory.file("sll2-ns-le.pcap"), directory: out.path)
        let (status, output) = try CrossCheck.runScript("check_pairs_with_tshark.py",
                                                        [directory.file("sll2-ns-le.pcap"), out.file("pairs.parquet"), "10", String(origin)])
        #expect(status == 0, "\(output)")
        let metadata = try TableReader(path: out.file("pairs.parquet")).metadata
        #expect(metadata[key: "mimir.origin"] == "1764399990.000000000")
    }
}
