import Foundation
import Testing
import TestSupport

/// The quality benchmark's small version: Benchmarks/quality.py on shrunken WordPress captures through
/// the built runner and stages, and its interval formulas against textbook values.
@Suite(.serialized) struct QualityBenchmarkTests {
    static let binaries = CrossCheck.packageRoot + "/.build/debug"
    static let available = CrossCheck.python != nil && FileManager.default.isExecutableFile(atPath: binaries + "/mimir")

    @Test(.needs(CrossCheck.python != nil, "needs scipy in the test environment"))
    func intervals_matchTextbookValues() throws {
        // Garwood: 0 events -> [0, 3.689]; 5 -> [1.6235, 11.6683]. Clopper-Pearson: 0 of 10 -> [0, 0.3085]; 5 of 10 -> [0.1871, 0.8129].
        let (status, output) = try CrossCheck.run(CrossCheck.python!, ["-c", """
            import sys; sys.path.insert(0, '\(CrossCheck.packageRoot)/Benchmarks')
            from quality import garwood, clopper_pearson, incidents, service_pairs
            print(['%.4f' % v for v in garwood(0, 1) + garwood(5, 2) + clopper_pearson(0, 10) + clopper_pearson(5, 10)])
            print(incidents([3, 4, 5, 9] + list(range(20, 45)), 60))
            print(sorted(service_pairs('user-db_pod>user_vip>user_pod>front-end_vip>front-end_pod>internet')))
            """])
        let lines = output.split(separator: "\n").map(String.init)
        #expect(status == 0 && lines.count == 3, "\(output)")
        #expect(lines.first == "['0.0000', '3.6889', '0.8117', '5.8342', '0.0000', '0.3085', '0.1871', '0.8129']", "\(output)")
        #expect(lines.dropFirst().first == "[[3, 5], [9, 9], [20, 29], [30, 39], [40, 44]]")
        #expect(lines.last == "['front-end>outside', 'user-db>user', 'user>front-end']")
    }

    @Test(.needs(available, "needs the built mimir and stages, and the test environment"))
    func smallVersion_runsThePipelinesAndWritesTheTables() throws {
        let directory = try TemporaryDirectory()
        let (status, output) = try CrossCheck.run(CrossCheck.python!, [
            CrossCheck.packageRoot + "/Benchmarks/quality.py", "--bin", Self.binaries, "--seeds", "development", "--only", "wordpress",
            "--scale", "0.03", "--artifacts", directory.path, "--jobs", "2",
        ])
        #expect(status == 0, "\(output.suffix(2000))")
        let (checked, summary) = try CrossCheck.run(CrossCheck.python!, ["-c", """
            import pyarrow.parquet as pq
            q = pq.read_table('\(directory.path)/quality/development/quality.parquet').to_pylist()
            b = pq.read_table('\(directory.path)/quality/development/false_alerts.parquet').to_pylist()
            assert sorted(r['method'] for r in b) == ['allow_list', 'ide_kashima', 'mimir', 'novelty', 'operator'], b
            assert all(r['per_day_low'] <= r['false_per_day'] <= r['per_day_high'] for r in b), b
            assert all(r['benign_windows'] >= 6 * 8 for r in b), b
            kinds = {r['kind'] for r in q}
            assert {'known pairs', 'adds pairs'} <= kinds, kinds
            assert all(0 <= r['found'] <= r['events'] and r['recall_low'] <= r['recall'] <= r['recall_high'] for r in q), q
            assert {r['rate_mb_per_min'] for r in q if r['kind'] in ('known pairs', 'adds pairs')} == {10, 1, 0.1, 0.05, 0.01}
            print('ok', len(q), len(b))
            """])
        #expect(checked == 0 && summary.hasPrefix("ok"), "\(summary)")
        // The captures and their shards were dropped once read: what stays is small.
        let (_, large) = try CrossCheck.run("/usr/bin/find", [directory.path, "-name", "*.pcap", "-size", "+1k"])
        #expect(large.isEmpty, "\(large)")
    }
}
