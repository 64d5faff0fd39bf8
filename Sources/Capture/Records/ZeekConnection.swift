import Contract

/// One entry of Zeek's conn.log, as either layout (TSV or JSON lines) gives it: a connection from its
/// first packet (`ts`) over `duration`, with packets and IP bytes per direction.
struct ZeekConnection {
    /// The fields mimir-records takes, by their names in the log.
    enum Field: Int, CaseIterable {
        case ts, duration, originAddress, originPort, responderAddress, responderPort, proto, history
        case originPackets, originIPBytes, responderPackets, responderIPBytes

        var name: String {
            switch self {
            case .ts: "ts"
            case .duration: "duration"
            case .originAddress: "id.orig_h"
            case .originPort: "id.orig_p"
            case .responderAddress: "id.resp_h"
            case .responderPort: "id.resp_p"
            case .proto: "proto"
            case .history: "history"
            case .originPackets: "orig_pkts"
            case .originIPBytes: "orig_ip_bytes"
            case .responderPackets: "resp_pkts"
            case .responderIPBytes: "resp_ip_bytes"
            }
        }

        /// Whether an entry without it (unset, or a layout without the column) can still be counted.
        var isOptional: Bool { self == .duration || self == .history }
    }

    var start: Int64
    var end: Int64
    var origin: IPAddress, responder: IPAddress
    var originPort: UInt16, responderPort: UInt16
    var ipProtocol: UInt8
    var originFlags: UInt8, responderFlags: UInt8
    var originPackets: Int64, originIPBytes: Int64, responderPackets: Int64, responderIPBytes: Int64

    /// Why an entry cannot be counted: the field, and what was wrong with it.
    struct Problem: Error {
        var field: Field
        var missing: Bool
    }

    /// An entry from its fields' values (nil: unset); `time` reads `ts` as the layout writes it.
    init(_ value: (Field) -> UnsafeRawBufferPointer?, time: (UnsafeRawBufferPointer) -> Int64?) throws {
        func required(_ field: Field) throws -> UnsafeRawBufferPointer {
            guard let bytes = value(field) else { throw Problem(field: field, missing: true) }
            return bytes
        }
        func read<T>(_ field: Field, _ parse: (UnsafeRawBufferPointer) -> T?) throws -> T {
            guard let parsed = parse(try required(field)) else { throw Problem(field: field, missing: false) }
            return parsed
        }
        func count(_ field: Field) throws -> Int64 {
            try read(field) { LogValues.unsigned($0).flatMap { $0 <= UInt64(Int64.max) ? Int64($0) : nil } }
        }
        start = try read(.ts, time)
        let duration: Int64 = try value(.duration).map { bytes in
            guard let nanoseconds = LogValues.seconds(bytes) else { throw Problem(field: .duration, missing: false) }
            return nanoseconds as Int64
        } ?? 0
        let (sum, overflow) = start.addingReportingOverflow(duration)
        guard !overflow else { throw Problem(field: .duration, missing: false) }
        end = sum
        origin = try read(.originAddress, LogValues.address)
        responder = try read(.responderAddress, LogValues.address)
        guard origin.isIPv4 == responder.isIPv4 else { throw Problem(field: .responderAddress, missing: false) }
        originPort = try read(.originPort, LogValues.port)
        responderPort = try read(.responderPort, LogValues.port)
        let isIPv4 = origin.isIPv4
        ipProtocol = try read(.proto) { bytes in
            if LogValues.equals(bytes, "tcp") { return 6 }
            if LogValues.equals(bytes, "udp") { return 17 }
            if LogValues.equals(bytes, "icmp") { return isIPv4 ? 1 : 58 }
            return LogValues.equals(bytes, "unknown_transport") ? 0 : nil
        }
        (originFlags, responderFlags) = value(.history).map(Self.flags) ?? (0, 0)
        originPackets = try count(.originPackets)
        originIPBytes = try count(.originIPBytes)
        responderPackets = try count(.responderPackets)
        responderIPBytes = try count(.responderIPBytes)
    }

    /// TCP flags each side sent, from the history's letters (upper case the originator's, lower case
    /// the responder's): s SYN, h SYN+ACK, a ACK, f FIN, r RST, q SYN with FIN or RST.
    static func flags(_ history: UnsafeRawBufferPointer) -> (UInt8, UInt8) {
        var origin: UInt8 = 0, responder: UInt8 = 0
        for letter in history {
            let flags: UInt8
            switch letter | 0x20 {
            case UInt8(ascii: "s"): flags = 0x02
            case UInt8(ascii: "h"): flags = 0x12
            case UInt8(ascii: "a"): flags = 0x10
            case UInt8(ascii: "f"): flags = 0x01
            case UInt8(ascii: "r"): flags = 0x04
            case UInt8(ascii: "q"): flags = 0x02
            default: flags = 0
            }
            if letter >= 0x41 && letter <= 0x5A { origin |= flags } else { responder |= flags }
        }
        return (origin, responder)
    }

    /// Calls `body` with the record of each direction that carried traffic. ICMP keeps its type and
    /// code both ways (Zeek logs the originator's).
    func forEachRecord(_ body: (FlowRecord) throws -> Void) rethrows {
        if originPackets > 0 || originIPBytes > 0 {
            try body(FlowRecord(source: origin, destination: responder, sourcePort: originPort, destinationPort: responderPort,
                                ipProtocol: ipProtocol, tcpFlags: ipProtocol == 6 ? originFlags : 0, start: start, end: end,
                                packets: originPackets, ipBytes: originIPBytes))
        }
        if responderPackets > 0 || responderIPBytes > 0 {
            let icmp = ipProtocol == 1 || ipProtocol == 58
            try body(FlowRecord(source: responder, destination: origin, sourcePort: icmp ? originPort : responderPort,
                                destinationPort: icmp ? responderPort : originPort, ipProtocol: ipProtocol,
                                tcpFlags: ipProtocol == 6 ? responderFlags : 0, start: start, end: end,
                                packets: responderPackets, ipBytes: responderIPBytes))
        }
    }
}
