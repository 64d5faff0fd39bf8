import Capture
import Foundation
import Testing
import TestSupport
@testable import Cluster
import Contract

/// The entity logs mimir-graph accepts besides ours: the original project's pickled creation log and
/// kubectl's watch streams, each checked against Python (pickle, json) reading the same files.
@Suite struct EntityLogReaderTests {
    /// Real files of the original project and kubectl samples (Tests/fixtures/README.md).
    static let fixtures = CrossCheck.packageRoot + "/Tests/fixtures/"
    static let python = CrossCheck.python != nil

    /// The value as the fixture script tags it in JSON.
    static func tagged(_ value: PickleValue) -> Any {
        switch value {
        case .none: NSNull()
        case let .bool(flag): flag
        case let .int(number): number
        case let .float(number): number
        case let .string(text): text
        case let .tuple(items): ["tuple": items.map(tagged)]
        case let .list(items): items.map(tagged)
        case let .dict(items): ["dict": items.map { [tagged($0.key), tagged($0.value)] }]
        }
    }

    @Test(.needs(python, "needs the Python of the test environment"))
    func pickles_writtenByPythonAtProtocols0To2_readAsPythonWroteThem() throws {
        let directory = try TemporaryDirectory()
        let (status, output) = try CrossCheck.runScript("pickle_fixtures.py", ["write", directory.path])
        #expect(status == 0, "\(output)")
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory.file("value.json"))))
        for protocolVersion in 0...2 {
            let value = try PickleReader.read(path: directory.file("value-p\(protocolVersion).pickle"))
            let ours = try JSONSerialization.data(withJSONObject: Self.tagged(value), options: [.sortedKeys])
            let theirs = try JSONSerialization.data(withJSONObject: expected, options: [.sortedKeys])
            #expect(ours == theirs, "protocol \(protocolVersion): \(String(decoding: ours, as: UTF8.self))")
        }
    }

    @Test func pickles_thatAreDamagedOrRunCode_areRefusedWithTheOffset() throws {
        let cases: [([UInt8], String)] = [
            (Array("(dp0\nI0\n".utf8), "the pickle ends without its STOP opcode"),
            (Array("cos\nsystem\n(S'echo'\ntR.".utf8), "opcode 'c' builds objects or calls code"),
            (Array("(dp0\nS'abc\n".utf8), "STRING 'abc is not quoted"),
            ([0x80, 0x05, 0x4E, 0x2E], "pickle protocol 5; this reader reads protocols 0 to 2"),
            (Array("X\u{FF}\u{FF}\u{FF}\u{7F}".utf8), "a field needs"),
            (Array("g7\n.".utf8), "GET of memo entry 7, which was never set"),
        ]
        for (bytes, message) in cases {
            var reader = PickleReader(bytes: bytes, path: "log.txt")
            do {
                let value = try reader.load()
                Issue.record("read \(value) from \(bytes)")
            } catch let error as PickleError {
                #expect(error.description.contains(message), "\(error)")
                #expect(error.description.hasPrefix("log.txt: byte offset "))
            }
        }
    }

    @Test(.needs(python, "needs the Python of the test environment"))
    func originalCreationLogs_giveTheObjectsPythonFinds() throws {
        for name in ["wordpress_example_final_cluster_creation_log.txt", "wordpress_auto_v3_mk5_cluster_creation_log.txt"] {
            let path = Self.fixtures + "mimir-original/" + name
            let (status, output) = try CrossCheck.runScript("pickle_fixtures.py", ["summarize", path])
            #expect(status == 0, "\(output.prefix(300))")
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[Any]])
            let start: Int64 = 1_500_000_000_000_000_000
            let events = try OriginalCreationLog.read(path: path, captureStart: start)
            // Every object Python finds is added once, at its first second minus the 3 s offset.
            var first: [String: (Int, String)] = [:]
            for row in rows {
                let key = "\(row[5] as! String == "pod" ? "pod" : "service")/\(row[4] as! String)/\(row[1] as! String)"
                if first[key] == nil { first[key] = (row[0] as! Int, row[2] as! String) }
            }
            let added = events.filter { $0.change == .added }
            #expect(added.count == first.count, "\(name): \(added.count) added, Python finds \(first.count) objects")
            for event in added {
                let key = "\(event.kind.rawValue)/\(event.namespace)/\(event.name)"
                guard let (second, ip) = first[key] else { Issue.record("\(key) is not in Python's reading"); continue }
                #expect(event.time == start + Int64(second - 3) * 1_000_000_000, "\(key)")
                #expect(event.ips.map(\.description) == (ip == "None" ? [] : [ip]), "\(key)")
            }
            // The WordPress capture's objects (method document, section 9): ten WordPress pods, seven
            // XtraDB pods, the headless replication service without an address, kube-dns at 10.96.0.10.
            let pods = Set(added.filter { $0.kind == .pod }.map(\.name))
            #expect(pods.filter { $0.hasPrefix("wwwppp-wordpress-") }.count >= 10)
            #expect(added.first { $0.name == "kube-dns" }?.ips.map(\.description) == ["10.96.0.10"])
            #expect(added.first { $0.name == "my-release-pxc-repl" }?.ips == [])
            #expect(events.map(\.time) == events.map(\.time).sorted())
            let labels = added.first { $0.name.hasPrefix("wwwppp-wordpress-") }?.labels
            #expect(labels?["app"] == "wwwppp-wordpress" && labels?["release"] == "wwwppp")
        }
    }

    /// The sample streams as Foundation's JSON parser reads them, object by object.
    static func streamObjects(_ path: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var objects: [[String: Any]] = []
        // Objects start at a line that is exactly "{" (kubectl's indentation).
        let starts = text.split(separator: "\n", omittingEmptySubsequences: false)
        var current: [Substring] = []
        for line in starts {
            if line == "{" && !current.isEmpty {
                objects.append(try JSONSerialization.jsonObject(with: Data(current.joined(separator: "\n").utf8)) as! [String: Any])
                current = []
            }
            current.append(line)
        }
        if current.contains(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            objects.append(try JSONSerialization.jsonObject(with: Data(current.joined(separator: "\n").utf8)) as! [String: Any])
        }
        return objects
    }

    /// Found by fuzz-entity-logs: a time past 2262 overflowed 64 bits of nanoseconds (a trap). It is
    /// not a time the reader can hold, so it is ignored like any unreadable time.
    @Test func timesPast2262_areIgnoredNotTrapped() throws {
        #expect(Timestamp.parse("8795-11-14T13:33:50Z") == nil && Timestamp.parse("1500-01-01T00:00:00Z") == nil)
        #expect(Timestamp.parse("2262-04-11T23:47:16.854775807Z") == Int64.max)
        #expect(Timestamp.parse("2262-04-11T23:47:16.854775808Z") == nil)
        let directory = try TemporaryDirectory()
        let original = try String(contentsOfFile: Self.fixtures + "kubectl-watch-sample/pods.json", encoding: .utf8)
        let far = original.replacingOccurrences(of: "\"lastTransitionTime\": \"2023-", with: "\"lastTransitionTime\": \"8795-")
        #expect(far != original)
        try far.write(toFile: directory.file("pods.json"), atomically: true, encoding: .utf8)
        #expect(try EntityLogs.read(path: directory.file("pods.json"), captureStart: 0).count == KubectlWatch.read(path: Self.fixtures + "kubectl-watch-sample/pods.json").count)
    }

    @Test func kubectlWatchStreams_giveEveryPodAndServiceWithAddressesNodesAndSelectors() throws {
        let directory = Self.fixtures + "kubectl-watch-sample/"
        let pods = try KubectlWatch.read(path: directory + "pods.json")
        let expectedPods = try Self.streamObjects(directory + "pods.json")
        #expect(pods.count == expectedPods.count)
        for object in expectedPods {
            let item = object["object"] as! [String: Any], metadata = item["metadata"] as! [String: Any]
            let status = item["status"] as? [String: Any] ?? [:], spec = item["spec"] as? [String: Any] ?? [:]
            let match = pods.first { $0.name == metadata["name"] as? String && $0.change.rawValue.uppercased() == object["type"] as? String }
            #expect(match != nil, "\(metadata["name"]!)")
            #expect(match?.ips.map(\.description) ?? [] == ((status["podIPs"] as? [[String: String]])?.compactMap { $0["ip"] } ?? []))
            #expect(match?.node == spec["nodeName"] as? String)
            #expect(match?.namespace == metadata["namespace"] as? String)
            #expect(match?.hostIPs.map(\.description) ?? [] == ((status["hostIPs"] as? [[String: String]])?.compactMap { $0["ip"] } ?? []))
        }
        // Every node the pods name has the address they report for it, written to our log and read back.
        let book = AddressBook(events: pods, expires: true)
        let nodes = Dictionary(grouping: pods.filter { !$0.hostIPs.isEmpty }, by: { $0.node ?? "" }).mapValues { Set($0.flatMap(\.hostIPs)) }
        #expect(!nodes.isEmpty && nodes.allSatisfy { book.nodeAddresses[$0.key]?.isSuperset(of: $0.value) == true }, "\(book.nodeAddresses)")
        let ours = try TemporaryDirectory()
        let inTimeOrder = pods.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        try inTimeOrder.map { $0.jsonLine() + "\n" }.joined().write(toFile: ours.file("entities.jsonl"), atomically: true, encoding: .utf8)
        let reread = try EntityLogReader.read(path: ours.file("entities.jsonl"))
        #expect(reread.map(\.hostIPs) == inTimeOrder.map(\.hostIPs) && reread.contains { !$0.hostIPs.isEmpty })
        let deletedOrTerminating = pods.filter { $0.change == .deleted || $0.phase == "Terminating" }
        #expect(!deletedOrTerminating.isEmpty)
        let services = try KubectlWatch.read(path: directory + "services.json")
        let expectedServices = try Self.streamObjects(directory + "services.json")
        #expect(services.count == expectedServices.count)
        for object in expectedServices {
            let item = object["object"] as! [String: Any], spec = item["spec"] as! [String: Any]
            let name = (item["metadata"] as! [String: Any])["name"] as! String
            let match = services.first { $0.name == name }
            let ips = (spec["clusterIPs"] as? [String] ?? []).filter { $0 != "None" }
            #expect(match?.ips.map(\.description) == ips, "\(name)")
            #expect(match?.selector == spec["selector"] as? [String: String], "\(name)")
        }
    }

    @Test func objectSplitter_findsIndentedObjectsFedByteByByte() throws {
        let stream = "{\n  \"a\": \"} { \\\" \",\n  \"b\": {\"c\": 1}\n}\n{\"d\": [1, {}]}\n"
        var whole = JSONObjectSplitter()
        let objects = try whole.feed(Array(stream.utf8))
        #expect(objects.map { String(decoding: $0, as: UTF8.self) } == ["{\n  \"a\": \"} { \\\" \",\n  \"b\": {\"c\": 1}\n}", "{\"d\": [1, {}]}"])
        var piecewise = JSONObjectSplitter()
        var pieces: [[UInt8]] = []
        for byte in stream.utf8 { pieces += try piecewise.feed([byte]) }
        #expect(pieces == objects)
        var broken = JSONObjectSplitter()
        #expect(throws: JSONObjectSplitter.SplitError.self) { _ = try broken.feed(Array("error: You must be logged in".utf8)) }
    }

    @Test(.needs(FileManager.default.isExecutableFile(atPath: CrossCheck.packageRoot + "/.build/debug/mimir-record-entities"),
                   "mimir-record-entities is built by swift build"))
    func recordEntities_withAStandInKubectl_writesOurLogInTimeOrder() throws {
        let binary = CrossCheck.packageRoot + "/.build/debug/mimir-record-entities"
        let directory = try TemporaryDirectory()
        // The stand-in replays the sample of whichever resource it is asked to watch, in two halves.
        let standIn = directory.file("kubectl")
        try """
            #!/bin/sh
            case "$*" in
              *"get pods --all-namespaces --watch --output-watch-events --output json"*) file=pods.json ;;
              *"get services --all-namespaces --watch --output-watch-events --output json"*) file=services.json ;;
              *) echo "unexpected arguments: $*" >&2; exit 1 ;;
            esac
            lines=$(wc -l < "\(Self.fixtures)kubectl-watch-sample/$file")
            head -n $((lines / 2)) "\(Self.fixtures)kubectl-watch-sample/$file"
            sleep 0.2
            tail -n +$((lines / 2 + 1)) "\(Self.fixtures)kubectl-watch-sample/$file"
            """.write(toFile: standIn, atomically: true, encoding: .utf8)
        chmod(standIn, 0o755)
        let (status, output) = try CrossCheck.run(binary, ["--out", directory.file("entities.jsonl"), "--kubectl", standIn])
        #expect(status == 0, "\(output)")
        let events = try EntityLogReader.read(path: directory.file("entities.jsonl"))
        let podCount = try Self.streamObjects(Self.fixtures + "kubectl-watch-sample/pods.json").count
        let serviceCount = try Self.streamObjects(Self.fixtures + "kubectl-watch-sample/services.json").count
        #expect(events.filter { $0.kind == .pod }.count == podCount)
        #expect(events.filter { $0.kind == .service }.count == serviceCount)
        #expect(events.map(\.time) == events.map(\.time).sorted())
        // A kubectl that fails (not logged in) makes the recorder fail and publish nothing.
        try "#!/bin/sh\necho 'error: You must be logged in to the server' >&2\nexit 1\n".write(toFile: standIn, atomically: true, encoding: .utf8)
        chmod(standIn, 0o755)
        let failed = try CrossCheck.run(binary, ["--out", directory.file("none.jsonl"), "--kubectl", standIn])
        #expect(failed.status == 1 && failed.output.contains("exited with status 1"), "\(failed.output)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("none.jsonl")))
    }
}
