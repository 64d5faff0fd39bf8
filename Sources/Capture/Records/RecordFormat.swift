/// The flow record formats mimir-records reads, recognised by content (after any gzip or zstd).
public enum RecordFormat: String, Sendable {
    /// IPFIX messages (RFC 7011), as RFC 5655's file format or back to back.
    case ipfix

    /// The format of a stream starting with `prefix`, or a description of what it looks like instead.
    static func detect(_ prefix: [UInt8]) -> Result<RecordFormat, DetectionFailure> {
        guard !prefix.isEmpty else { return .failure(DetectionFailure("the file is empty")) }
        if prefix.count >= 4, prefix[0] == 0, prefix[1] == 10, Int(prefix[2]) << 8 | Int(prefix[3]) >= 16 { return .success(.ipfix) }
        if prefix.count >= 2, prefix[0] == 0, prefix[1] == 9 {
            return .failure(DetectionFailure("it starts like NetFlow version 9, which is not read; export IPFIX (version 10)"))
        }
        if prefix.count >= 2, prefix[0] == 0, prefix[1] == 5 {
            return .failure(DetectionFailure("it starts like NetFlow version 5, which is not read; export IPFIX (version 10)"))
        }
        if captureMagics.contains(where: { prefix.starts(with: $0) }) {
            return .failure(DetectionFailure("it is a packet capture: count it with mimir-flows"))
        }
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
