import Foundation
import Testing
import TestSupport

/// mimir-simulate as users run it: clear errors naming the file and the field, the exit codes of the
/// stage contract, and no capture left behind by a failed run.
@Suite struct SimulateCommandTests {
    @Test(.needs(SimFixture.available, "the simulator is built by swift build"))
    func badModels_exitWith3AndNameTheFileAndTheField() throws {
        let directory = try TemporaryDirectory()
        let broken = SimFixture.tinyApp.replacingOccurrences(of: "call: db.query", with: "call: db.nothing")
        let cases: [(String, String, String)] = [
            ("unknown-call.yaml", broken, "web.page calls 'db.nothing', which names no service.operation of the model"),
            ("not-yaml.yaml", "services: [unclosed", "not valid YAML"),
            ("missing.yaml", "name: x\nnamespace: y\n", "assumptions is missing"),
            ("bad-size.yaml", SimFixture.tinyApp.replacingOccurrences(of: "request: [200, 400]", with: "request: [400, 200]"),
             "expected [low, high] with low <= high"),
        ]
        for (name, text, message) in cases {
            try text.write(toFile: directory.file(name), atomically: true, encoding: .utf8)
            let (status, output) = try SimFixture.simulate(["--app", directory.file(name), "--cluster", SimFixture.models + "clusters/minikube.yaml",
                                                            "--duration", "5"], out: directory.file("out-\(name)"))
            #expect(status == 3, "\(name): \(output)")
            #expect(output.contains(directory.file(name)) && output.contains(message), "\(name): \(output)")
            #expect(!FileManager.default.fileExists(atPath: directory.file("out-\(name)/capture.pcap")))
        }
    }

    @Test(.needs(SimFixture.available, "the simulator is built by swift build"))
    func badEventsAndClusters_exitWith3() throws {
        let directory = try TemporaryDirectory()
        try SimFixture.tinyApp.write(toFile: directory.file("tiny.yaml"), atomically: true, encoding: .utf8)
        try "events:\n  - {kind: exfil, start_s: 1, end_s: 2, path: [db, nowhere], rate_kb_per_s: 5}\n"
            .write(toFile: directory.file("events.yaml"), atomically: true, encoding: .utf8)
        var (status, output) = try SimFixture.simulate(["--app", directory.file("tiny.yaml"), "--cluster", SimFixture.models + "clusters/minikube.yaml",
                                                        "--events", directory.file("events.yaml"), "--duration", "5"], out: directory.file("out"))
        #expect(status == 3 && output.contains("events[0] (exfil): 'nowhere' is not a service of tiny"), "\(output)")
        let cluster = try String(contentsOfFile: SimFixture.models + "clusters/minikube.yaml", encoding: .utf8)
        try cluster.replacingOccurrences(of: "gateway: 172.17.0.1", with: "gateway: 172.18.0.1").write(toFile: directory.file("c.yaml"), atomically: true, encoding: .utf8)
        (status, output) = try SimFixture.simulate(["--app", directory.file("tiny.yaml"), "--cluster", directory.file("c.yaml"), "--duration", "5"],
                                                   out: directory.file("out"))
        #expect(status == 3 && output.contains("gateway 172.18.0.1 is outside its pod_cidr 172.17.0.0/24"), "\(output)")
        // A pod range too small for the pods: found mid-run; the capture is never published.
        try cluster.replacingOccurrences(of: "pod_cidr: 172.17.0.0/24", with: "pod_cidr: 172.17.0.0/29")
            .write(toFile: directory.file("small.yaml"), atomically: true, encoding: .utf8)
        (status, output) = try SimFixture.simulate(["--app", SimFixture.models + "apps/wordpress.yaml", "--cluster", directory.file("small.yaml"),
                                                    "--duration", "5"], out: directory.file("small"))
        #expect(status == 3 && output.contains("has no free pod address left in 172.17.0.0/29"), "\(output)")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: directory.file("small"))) ?? []
        #expect(left.isEmpty, "a failed run left \(left)")
    }

    @Test(.needs(SimFixture.available, "the simulator is built by swift build"))
    func usageErrors_exitWith2() throws {
        let directory = try TemporaryDirectory()
        for (arguments, message) in [(["--link", "token-ring"], "mimir-simulate: error: The value 'token-ring' is invalid for '--link <link>'. Please provide one of 'sll2', 'sll' or 'ethernet'."),
                                     (["--duration", "0"], "mimir-simulate: error: --duration must be a number from 1 to 2592000 seconds, not 0.0"),
                                     (["--start", "tomorrow"], "--start 'tomorrow' is not an RFC 3339 time")] {
            let (status, output) = try SimFixture.simulate(["--app", SimFixture.models + "apps/wordpress.yaml",
                                                            "--cluster", SimFixture.models + "clusters/minikube.yaml"] + arguments,
                                                           out: directory.file("out"))
            #expect(status == 2 && output.contains(message), "\(arguments): \(output)")
        }
    }
}
