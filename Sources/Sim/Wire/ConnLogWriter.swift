import Contract
import SystemSupport

/// What Zeek logs of the records' copies, in conn.log's TSV layout (Zeek's documentation, "conn.log"):
/// one line per connection (the view's client the originator), written when Zeek would log it: 5 s
/// after a TCP connection closed (both FINs, or a RST; `tcp_close_delay`), after its inactivity
/// timeout (TCP 5 minutes, UDP and ICMP 1 minute), or when the simulation ends; never on an active
/// timeout. Lines are in logging order, ties by uid.
final class ConnLogWriter {
    /// A connection: its originator the source.
    private typealias Key = NodeFlowKey

    /// One side's tallies.
    fileprivate struct Side {
        var packets: Int64 = 0, ipBytes: Int64 = 0, payload: Int64 = 0
        var syn = false, synAck = false, fin = false, rst = false
    }

    fileprivate struct Entry {
        var uid: Int
        var first: Int64, last: Int64
        var origin = Side(), responder = Side()
        /// History letters in order of first appearance.
        var history: [UInt8] = []
        /// When it closed (both FINs or a RST), by its node's clock.
        var closedAt: Int64?
    }

    static let fileName = "conn.log"
    static let closeDelay: Int64 = 5 * Nanoseconds.perSecond
    static let fields = ["ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service", "duration", "orig_bytes",
                         "resp_bytes", "conn_state", "local_orig", "local_resp", "missed_bytes", "history", "orig_pkts", "orig_ip_bytes",
                         "resp_pkts", "resp_ip_bytes", "tunnel_parents"]
    static let types = ["time", "string", "addr", "port", "addr", "port", "enum", "string", "interval", "count", "count", "string", "bool",
                        "bool", "count", "string", "count", "count", "count", "count", "set[string]"]

    private let output: AtomicOutputFile
    private var entries: [Key: Entry] = [:]
    private var nextUID = 0
    private(set) var linesWritten = 0

    init(directory: String, opened: Int64) throws {
        output = try AtomicOutputFile(path: directory + "/" + Self.fileName)
        let header = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", "#path\tconn",
                      "#open\t\(Self.zeekDate(opened))", "#fields\t" + Self.fields.joined(separator: "\t"), "#types\t" + Self.types.joined(separator: "\t")]
        try output.write(Array((header.joined(separator: "\n") + "\n").utf8))
    }

    func observe(_ packet: ObservedPacket) throws {
        let key = packet.connectionKey
        if entries[key] == nil {
            entries[key] = Entry(uid: nextUID, first: packet.timestamp, last: packet.timestamp)
            nextUID += 1
        }
        entries[key]!.add(packet)
    }

    /// Logs the connections Zeek would have logged by each node's clock.
    func sweep(clock: (Int32) -> Int64) throws {
        var due: [(time: Int64, key: Key, entry: Entry)] = []
        for (key, entry) in entries {
            let now = clock(key.node)
            let inactivity: Int64 = (key.ipProtocol == 6 ? 300 : 60) * Nanoseconds.perSecond
            if let closed = entry.closedAt, now >= closed + Self.closeDelay {
                due.append((closed + Self.closeDelay, key, entry))
            } else if now >= entry.last + inactivity {
                due.append((entry.last + inactivity, key, entry))
            }
        }
        try log(due)
    }

    /// Logs every connection left (Zeek stops) and publishes the file.
    func finish(closed time: Int64) throws {
        try log(entries.map { (time, $0.key, $0.value) })
        try output.write(Array("#close\t\(Self.zeekDate(time))\n".utf8))
        try output.publish(durable: false)
    }

    private func log(_ due: [(time: Int64, key: Key, entry: Entry)]) throws {
        for (_, key, entry) in due.sorted(by: { ($0.time, $0.entry.uid) < ($1.time, $1.entry.uid) }) {
            entries[key] = nil
            try output.write(Array(line(key, entry).utf8))
            linesWritten += 1
        }
    }

    private func line(_ key: Key, _ entry: Entry) -> String {
        let first = floorDivide(entry.first, 1000), last = floorDivide(entry.last, 1000)
        let proto = key.ipProtocol == 6 ? "tcp" : key.ipProtocol == 17 ? "udp" : "icmp"
        let values: [String] = [
            Self.seconds(first), "C" + String(entry.uid, radix: 36), key.source.description, String(key.sourcePort), key.destination.description,
            String(key.destinationPort), proto, "-", last > first ? Self.seconds(last - first) : "-", String(entry.origin.payload),
            String(entry.responder.payload), entry.state(tcp: key.ipProtocol == 6), "-", "-", "0", String(decoding: entry.history, as: UTF8.self),
            String(entry.origin.packets), String(entry.origin.ipBytes), String(entry.responder.packets), String(entry.responder.ipBytes), "-",
        ]
        return values.joined(separator: "\t") + "\n"
    }

    /// Microseconds as seconds with six decimals, as Zeek prints times and intervals.
    private static func seconds(_ microseconds: Int64) -> String {
        let fraction = String(microseconds % 1_000_000)
        return "\(microseconds / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    /// `2026-11-28-10-00-00`, as Zeek's `#open` and `#close` lines give the time.
    private static func zeekDate(_ nanoseconds: Int64) -> String {
        let text = Timestamp.format(nanoseconds: nanoseconds)  // 2026-11-28T10:00:00.000000Z
        return String(text.prefix(19)).replacingOccurrences(of: "T", with: "-").replacingOccurrences(of: ":", with: "-")
    }
}

extension ConnLogWriter.Entry {
    mutating func add(_ packet: ObservedPacket) {
        first = min(first, packet.timestamp)
        last = max(last, packet.timestamp)
        let flags = packet.tcpFlags
        let syn = flags & 0x02 != 0, ack = flags & 0x10 != 0, fin = flags & 0x01 != 0, rst = flags & 0x04 != 0
        var side = packet.forward ? origin : responder
        side.packets += 1
        side.ipBytes += Int64(packet.ipLength)
        side.payload += Int64(packet.payloadLength)
        side.syn = side.syn || (syn && !ack)
        side.synAck = side.synAck || (syn && ack)
        side.fin = side.fin || fin
        side.rst = side.rst || rst
        if packet.forward { origin = side } else { responder = side }
        // The packet's history letter: SYN, SYN+ACK, FIN, RST, data, or a pure ACK; once per side.
        let letter: Unicode.Scalar? = syn ? (ack ? "h" : "s") : fin ? "f" : rst ? "r" : packet.payloadLength > 0 ? "d" : ack ? "a" : nil
        if let letter {
            // The originator's letters are upper case.
            let byte = UInt8(ascii: letter) - (packet.forward ? 0x20 : 0)
            if !history.contains(byte) { history.append(byte) }
        }
        if closedAt == nil && (rst || (origin.fin && responder.fin)) { closedAt = packet.timestamp }
    }

    /// Zeek's conn_state, from the flags each side sent.
    func state(tcp: Bool) -> String {
        guard tcp else { return responder.packets > 0 ? (origin.packets > 0 ? "SF" : "SHR") : "S0" }
        if origin.rst { return "RSTO" }
        if responder.rst { return origin.syn && !responder.synAck ? "REJ" : "RSTR" }
        guard origin.syn else { return "OTH" }
        guard responder.synAck else { return "S0" }
        switch (origin.fin, responder.fin) {
        case (true, true): return "SF"
        case (true, false): return "S2"
        case (false, true): return "S3"
        case (false, false): return "S1"
        }
    }
}
