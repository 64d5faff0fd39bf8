/// The flow record formats mimir-records reads, recognised by content (after any gzip or zstd).
public enum RecordFormat: String, Sendable {
    /// IPFIX messages (RFC 7011), as RFC 5655's file format or back to back.
    case ipfix
    /// Zeek's conn.log, TSV with its header.
    case zeekTSV = "zeek_conn_tsv"
    /// Zeek's conn.log as JSON lines.
    case zeekJSON = "zeek_conn_json"
    /// AWS VPC flow logs.
    case vpcFlowLog = "vpc_flow_log"

    /// What the records are, whatever their layout: files of one kind can be read as one stream.
    var kind: String {
        switch self {
        case .ipfix: "IPFIX"
        case .zeekTSV, .zeekJSON: "Zeek conn.log"
        case .vpcFlowLog: "VPC flow logs"
        }
    }

    /// The format of a stream that starts with `prefix` (its first line, if text, within it), or a
    /// description of what it looks like instead.
    static func detect(_ prefix: [UInt8]) -> Result<RecordFormat, DetectionFailure> {
        guard !prefix.isEmpty else { return .failure(DetectionFailure("the file is empty")) }
        if prefix.count >= 4, prefix[0] == 0, prefix[1] == 10, Int(prefix[2]) << 8 | Int(prefix[3]) >= 16 { return .success(.ipfix) }
        if prefix.count >= 2, prefix[0] == 0, [5, 9].contains(prefix[1]) {
            return .failure(DetectionFailure("it starts like NetFlow version \(prefix[1]), which is not read; export IPFIX (version 10)"))
        }
        if captureMagics.contains(where: { prefix.starts(with: $0) }) {
            return .failure(DetectionFailure("it is a packet capture: count it with mimir-flows"))
        }
        let firstLine = String(decoding: prefix.prefix { $0 != 0x0A }, as: UTF8.self).trimmingSuffix("\r")
        if firstLine.hasPrefix("#separator") { return .success(.zeekTSV) }
        if firstLine.hasPrefix("{") {
            return firstLine.contains("\"id.orig_h\"") ? .success(.zeekJSON)
                : .failure(DetectionFailure("a JSON line without Zeek's id.orig_h: not a conn.log"))
        }
        if VPCFlowLogReader.isHeader(firstLine) || VPCFlowLogReader.isDefaultLine(firstLine) { return .success(.vpcFlowLog) }
        let hex = prefix.prefix(8).map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: " ")
        return .failure(DetectionFailure("it starts with \(hex)"))
    }

    /// pcap's magic numbers in either byte order (microseconds, nanoseconds) and pcapng's section header.
    private static let captureMagics: [[UInt8]] = [
        [0xD4, 0xC3, 0xB2, 0xA1], [0xA1, 0xB2, 0xC3, 0xD4], [0x4D, 0x3C, 0xB2, 0xA1], [0xA1, 0xB2, 0x3C, 0x4D], [0x0A, 0x0D, 0x0D, 0x0A],
    ]

    struct DetectionFailure: Error {
        var detail: String
        init(_ detail: String) { self.detail = detail }
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String { hasSuffix(suffix) ? String(dropLast(suffix.count)) : self }
}
