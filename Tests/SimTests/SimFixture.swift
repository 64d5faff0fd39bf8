import Foundation
import TestSupport

/// Runs the simulator as users do and reads its outputs with tools other than ours (tshark, pyarrow,
/// Foundation's JSON parser).
enum SimFixture {
    static let binary = CrossCheck.packageRoot + "/.build/debug/mimir-simulate"
    static let available = FileManager.default.isExecutableFile(atPath: binary)
    static let tshark = CrossCheck.hasCommand("tshark")
    static let models = CrossCheck.packageRoot + "/pipelines/"

    /// A small application: users call `web` (HTTP, autoscaled), which queries `db` (MySQL, two
    /// replicas talking to each other); `cache` is reachable but never called.
    static let tinyApp = """
        name: tiny
        namespace: shop
        assumptions: a test model
        services:
          - name: web
            port: 80
            target_port: 8080
            node_port: 30080
            protocol: http
            replicas: 2
            autoscale: {min: 1, max: 8, users_per_replica: 4}
            keepalive_s: 3
            probe: http
            operations:
              - name: page
                request: [200, 400]
                response: [2000, 9000]
                processing_ms: [1, 5]
                calls: [{call: db.query, count: [1, 3]}]
          - name: db
            kind: statefulset
            port: 3306
            protocol: mysql
            replicas: 2
            probe: tcp
            peers: {port: 4567, period_s: 2, request: [100, 200], response: [80, 120]}
            operations:
              - {name: query, request: [100, 300], response: [300, 3000]}
          - name: cache
            port: 6379
            protocol: opaque
            operations:
              - {name: get, request: [50, 80], response: [100, 400]}
        tasks:
          - {name: browse, weight: 1, steps: [web.page, web.page]}
        dns: {ttl_s: 5, aaaa: true}
        load: {users: 40, think_s: [0.5, 1.5], spawn_rate: 20}
        """

    /// Runs mimir-simulate with `arguments` plus `--out directory`; returns its status and output.
    @discardableResult
    static func simulate(_ arguments: [String], out directory: String) throws -> (status: Int32, output: String) {
        try CrossCheck.run(binary, arguments + ["--out", directory])
    }

    /// tshark's fields for the packets matching `filter`, one array per packet.
    static func tsharkFields(_ capture: String, filter: String? = nil, _ fields: [String], options: [String] = []) throws -> [[String]] {
        var arguments = ["-r", capture, "-T", "fields", "-E", "separator=\t"] + options
        if let filter { arguments += ["-Y", filter] }
        for field in fields { arguments += ["-e", field] }
        let (status, output) = try CrossCheck.run("tshark", arguments)
        guard status == 0 else { throw FixtureError("tshark failed: \(output.prefix(500))") }
        return output.split(separator: "\n").filter { !$0.hasPrefix("Running as user") }
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }

    /// A table's rows as pyarrow reads them.
    static func rows(_ table: String) throws -> [[String: Any]] {
        let (status, output) = try CrossCheck.runScript("table_as_json.py", [table])
        guard status == 0, let data = output.data(using: .utf8),
              let rows = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
            throw FixtureError("pyarrow could not read \(table): \(output.prefix(500))")
        }
        return rows
    }

    /// The entity log's lines as Foundation's JSON parser reads them (not the code that wrote them).
    static func entityLines(_ path: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw FixtureError("not a JSON object: \(line)")
            }
            return object
        }
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
