import Foundation
import Testing
import TestSupport

/// The cluster as the capture shows it: kube-proxy's DNAT seen on both sides, addresses used only by
/// their owners, nothing the capture node could not see, churn with address reuse, the load curve.
@Suite(.serialized) struct ClusterBehaviourTests {
    static let enabled = SimFixture.available && SimFixture.tshark

    /// Address owners over time from the entity log: address -> [(from, to, name)], times in seconds.
    static func owners(_ entities: [[String: Any]]) -> [String: [(from: Double, to: Double, name: String)]] {
        var open: [String: (Double, String)] = [:]
        var result: [String: [(Double, Double, String)]] = [:]
        for line in entities {
            guard let time = (line["time"] as? String).flatMap(epochSeconds), let name = line["name"] as? String,
                  let ips = line["ips"] as? [String], let event = line["event"] as? String else { continue }
            for ip in ips where open[ip] == nil && event != "deleted" { open[ip] = (time, name) }
            if event == "deleted" {
                for ip in ips { if let (from, owner) = open[ip] { result[ip, default: []].append((from, time, owner)); open[ip] = nil } }
            }
        }
        for (ip, (from, owner)) in open { result[ip, default: []].append((from, .infinity, owner)) }
        return result
    }

    static func epochSeconds(_ text: String) -> Double? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)?.timeIntervalSince1970
    }

    @Test(.needs(enabled, "needs the built simulator and tshark"))
    func serviceRequests_showBeforeAndAfterDNAT_andAddressesAreUsedOnlyByTheirOwners() throws {
        let directory = try TemporaryDirectory()
        let (status, output) = try SimFixture.simulate(["--app", SimFixture.models + "apps/sockshop.yaml",
                                                        "--cluster", SimFixture.models + "clusters/three-nodes.yaml",
                                                        "--duration", "12", "--users", "30"], out: directory.file("sim"))
        #expect(status == 0, "\(output)")
        let capture = directory.file("sim/capture.pcap")
        let entities = try SimFixture.entityLines(directory.file("sim/entities.jsonl"))
        let owners = Self.owners(entities)
        let services = Set(entities.filter { $0["kind"] as? String == "service" }.compactMap { ($0["ips"] as? [String])?.first })
        // Segments to a service address from a pod, and the same segment (source, port, sequence number,
        // length) after DNAT. Where the node sees a request before DNAT (at the client's veth) it also
        // sees it after: at the server's veth or, for a server on another node, on the uplink.
        let segments = try SimFixture.tsharkFields(capture, filter: "tcp", ["ip.src", "ip.dst", "tcp.srcport", "tcp.seq_raw", "tcp.len"])
        func inner(_ field: String) -> String { String(field.split(separator: ",").last ?? "") }
        func key(_ row: [String]) -> String { "\(inner(row[0])) \(row[2]) \(row[3]) \(row[4])" }
        let toServices = segments.filter { services.contains(inner($0[1])) }
        #expect(toServices.count > 100)
        let afterDNAT = Set(segments.filter { !services.contains(inner($0[1])) }.map(key))
        let unmatched = toServices.filter { !afterDNAT.contains(key($0)) }
        #expect(unmatched.isEmpty, "\(unmatched.count) segments to a service address never show after DNAT: \(unmatched.prefix(3))")

        // Every pod-range address in a packet belongs, at that time, to a pod of the entity log, or is a
        // node's gateway; and every packet involves the capture node (node-b: 10.244.1.0/24, 10.0.0.12).
        let packets = try SimFixture.tsharkFields(capture, ["frame.time_epoch", "ip.src", "ip.dst"])
        let gateways: Set = ["10.244.0.1", "10.244.1.1", "10.244.2.1"]
        var strangers: [String] = []
        var unseen = 0
        for packet in packets {
            let time = Double(packet[0])!
            let addresses = [inner(packet[1]), inner(packet[2])]
            for address in addresses where address.hasPrefix("10.244.") && !gateways.contains(address) {
                let owned = owners[address]?.contains { $0.from <= time && time <= $0.to } ?? false
                if !owned { strangers.append("\(address) at \(time)") }
            }
            if !addresses.contains(where: { $0.hasPrefix("10.244.1.") || $0 == "10.0.0.12" }) { unseen += 1 }
        }
        #expect(strangers.isEmpty, "\(strangers.count) packets use an address nobody owns: \(strangers.prefix(3))")
        #expect(unseen == 0, "\(unseen) packets neither from nor to the capture node")
        // Traffic between nodes is VXLAN on 4789, decoded by tshark to the pods inside.
        let tunnelled = try SimFixture.tsharkFields(capture, filter: "vxlan", ["ip.src"])
        let nodes: Set = ["10.0.0.11", "10.0.0.12", "10.0.0.13"]
        #expect(!tunnelled.isEmpty)
        for row in tunnelled {
            let layers = row[0].split(separator: ",").map(String.init)
            #expect(layers.count == 2 && nodes.contains(layers[0]) && (layers[1].hasPrefix("10.244.") || nodes.contains(layers[1])), "\(row)")
        }
    }

    @Test(.needs(enabled, "needs the built simulator and tshark"))
    func autoscaling_createsAndDeletesPods_andAddressesAreReused_andLoadFollowsTheCurve() throws {
        let directory = try TemporaryDirectory()
        try SimFixture.tinyApp.write(toFile: directory.file("tiny.yaml"), atomically: true, encoding: .utf8)
        let (status, output) = try SimFixture.simulate(["--app", directory.file("tiny.yaml"),
                                                        "--cluster", SimFixture.models + "clusters/minikube.yaml",
                                                        "--duration", "240", "--users", "40", "--curve", "normal"], out: directory.file("sim"))
        #expect(status == 0, "\(output)")
        let entities = try SimFixture.entityLines(directory.file("sim/entities.jsonl"))
        let webPods = entities.filter { ($0["name"] as? String)?.hasPrefix("web-") == true && $0["kind"] as? String == "pod" }
        let added = Set(webPods.filter { $0["event"] as? String == "added" }.compactMap { $0["name"] as? String })
        let deleted = Set(webPods.filter { $0["event"] as? String == "deleted" }.compactMap { $0["name"] as? String })
        #expect(added.count > 4 && !deleted.isEmpty, "\(added.count) web pods added, \(deleted.count) deleted")
        // A deleted pod's address goes to a later pod.
        let reused = Self.owners(entities).values.filter { Set($0.map(\.name)).count > 1 }
        #expect(!reused.isEmpty, "no address was given to a second pod")
        for owners in reused {
            let sorted = owners.sorted { $0.from < $1.from }
            for (earlier, later) in zip(sorted, sorted.dropFirst()) { #expect(earlier.to <= later.from, "\(sorted)") }
        }
        // Requests from users per 10 s step follow the daily curve: the night (steps 3-5, 16-18% of the
        // peak) carries far fewer than the evening (steps 17-19, 92-100%).
        let requests = try SimFixture.tsharkFields(directory.file("sim/capture.pcap"),
                                                   filter: "ip.src == 192.168.99.1 && tcp.dstport == 30080 && tcp.len > 0", ["frame.time_relative"])
        var perStep = Array(repeating: 0, count: 24)
        for request in requests { perStep[min(23, Int(Double(request[0])! / 10))] += 1 }
        let night = perStep[3...5].reduce(0, +), evening = perStep[17...19].reduce(0, +)
        #expect(Double(evening) > 3 * Double(night), "per step: \(perStep)")
    }
}
