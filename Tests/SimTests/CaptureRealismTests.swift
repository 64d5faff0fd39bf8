import Foundation
import Testing
import TestSupport

/// What tshark makes of the simulator's captures: every packet well formed, every checksum right,
/// in every format, link type, cluster layout and address family.
@Suite(.serialized) struct CaptureRealismTests {
    static let enabled = SimFixture.available && SimFixture.tshark

    struct Variant: CustomTestStringConvertible, Sendable {
        let app: String, cluster: String, link: String, format: String, timestamps: String, users: Int
        var testDescription: String { "\(app) on \(cluster), \(link) \(format) \(timestamps)" }
    }

    static let variants = [
        Variant(app: "wordpress", cluster: "minikube", link: "sll2", format: "pcap", timestamps: "ns", users: 6),
        Variant(app: "sockshop", cluster: "three-nodes", link: "ethernet", format: "pcapng", timestamps: "us", users: 20),
        Variant(app: "hipster-shop", cluster: "ipv6-two-nodes", link: "sll", format: "pcap", timestamps: "us", users: 20),
    ]

    @Test(.needs(enabled, "needs the built simulator and tshark"), arguments: variants)
    func tsharkFindsNoMalformedPacketNoErrorAndNoBadChecksum(_ variant: Variant) throws {
        let directory = try TemporaryDirectory()
        let events = directory.file("events.yaml")
        try """
            events:
              - {kind: exfil, start_s: 4, end_s: 8, path: [\(variant.app == "wordpress" ? "my-release-pxc, wwwppp-wordpress" : variant.app == "sockshop" ? "user-db, user, front-end" : "checkoutservice, frontend")], rate_kb_per_s: 40}
              - {kind: dnstunnel, start_s: 8, end_s: 10, source: \(variant.app == "wordpress" ? "wwwppp-wordpress" : variant.app == "sockshop" ? "orders" : "cartservice"), rate_kb_per_s: 2}
              - {kind: scan, start_s: 10, end_s: 12, source: \(variant.app == "wordpress" ? "wwwppp-wordpress" : variant.app == "sockshop" ? "carts" : "adservice"), probes_per_s: 100}
              - {kind: lateral, start_s: 12, end_s: 15, source: \(variant.app == "wordpress" ? "my-release-pxc" : variant.app == "sockshop" ? "payment" : "emailservice"), requests: 2}
            """.write(toFile: events, atomically: true, encoding: .utf8)
        let out = directory.file("sim")
        let (status, output) = try SimFixture.simulate(["--app", SimFixture.models + "apps/\(variant.app).yaml",
                                                        "--cluster", SimFixture.models + "clusters/\(variant.cluster).yaml",
                                                        "--events", events, "--duration", "16", "--users", String(variant.users),
                                                        "--link", variant.link, "--format", variant.format,
                                                        "--timestamps", variant.timestamps], out: out)
        #expect(status == 0, "\(output)")
        let capture = out + "/capture." + variant.format
        let checks = ["-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE"]
        let bad = try SimFixture.tsharkFields(capture, filter: "_ws.malformed || _ws.expert.severity == error || tcp.checksum.status == 0 || udp.checksum.status == 0 || ip.checksum.status == 0",
                                              ["frame.number", "_ws.col.Info"], options: checks)
        #expect(bad.isEmpty, "\(bad.count) bad packets, first: \(bad.prefix(3))")
        let all = try SimFixture.tsharkFields(capture, ["frame.number", "tcp.checksum.status", "udp.checksum.status", "frame.encap_type"], options: checks)
        #expect(all.count > 5_000, "only \(all.count) packets")
        // Every TCP and UDP checksum was verified good (status 1); the only ones absent (3) are the
        // zero checksums of VXLAN's outer UDP over IPv4, as Linux sends them.
        let statuses = all.flatMap { ($0[1] + "," + $0[2]).split(separator: ",").map(String.init) }
        #expect(statuses.filter { $0 == "1" }.count > 1_000)
        #expect(statuses.allSatisfy { $0 == "1" || $0 == "3" }, "\(Set(statuses))")
        if variant.cluster != "three-nodes" { #expect(!statuses.contains("3")) }
        // The link type asked for (wiretap encapsulations: Ethernet 1, SLL 25, SLL2 210).
        let encapsulation = ["ethernet": "1", "sll": "25", "sll2": "210"][variant.link]!
        #expect(Set(all.map { $0[3] }) == [encapsulation])
    }

    @Test(.needs(enabled, "needs the built simulator and tshark"))
    func sameSeedSameBytes_otherSeedOtherCapture() throws {
        let directory = try TemporaryDirectory()
        func run(_ name: String, seed: Int) throws -> [String: Data] {
            let (status, output) = try SimFixture.simulate(["--app", SimFixture.models + "apps/sockshop.yaml",
                                                            "--cluster", SimFixture.models + "clusters/three-nodes.yaml",
                                                            "--duration", "8", "--users", "10", "--seed", String(seed), "--ipfix", "--conn-log"],
                                                           out: directory.file(name))
            #expect(status == 0, "\(output)")
            var files: [String: Data] = [:]
            for file in ["capture.pcap", "entities.jsonl", "truth.parquet", "cluster.yaml", "records.ipfix", "conn.log"] {
                files[file] = try Data(contentsOf: URL(fileURLWithPath: directory.file("\(name)/\(file)")))
            }
            return files
        }
        let first = try run("a", seed: 7), second = try run("b", seed: 7), other = try run("c", seed: 8)
        for (file, bytes) in first { #expect(bytes == second[file], "\(file) differs between two runs with one seed") }
        #expect(first["capture.pcap"] != other["capture.pcap"])
    }
}
