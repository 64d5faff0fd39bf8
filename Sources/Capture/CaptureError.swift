import Table
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// What can stop a capture stage, with the file and byte offset and a message for the person at
/// the terminal. Recoverable damage (one bad packet, a truncated end) is not an error: it is counted
/// (see `PacketCounters`).
public enum CaptureError: Error, Equatable, CustomStringConvertible {
    case io(path: String, operation: String, errno: Int32)
    /// The file is neither pcap nor pcapng (after any gzip or zstd decompression).
    case notACapture(path: String, firstBytes: [UInt8])
    /// The file is none of the flow record formats mimir-records reads; `detail` says what it looks like.
    case notFlowRecords(path: String, detail: String)
    /// A header that cannot be right (an absurd length, a broken block), at an offset of the
    /// decompressed stream.
    case corrupt(path: String, offset: Int, detail: String)
    /// A line of a text log that cannot be read on (a header it needs is missing or wrong).
    case badLine(path: String, line: Int, detail: String)
    case corruptCompression(path: String, format: String, offset: Int, detail: String)
    /// A BPF filter libpcap would not compile.
    case badFilter(expression: String, linkType: String, message: String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .io(path, operation, errno):
            return "\(path): \(operation) failed: \(String(cString: strerror(errno))) (errno \(errno))"
        case let .notACapture(path, firstBytes):
            let hex = firstBytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: " ")
            return "\(path): not a pcap or pcapng capture (it starts with \(hex.isEmpty ? "nothing: the file is empty" : hex))"
        case let .notFlowRecords(path, detail):
            return "\(path): not flow records mimir-records reads (IPFIX, Zeek's conn.log, VPC flow logs): \(detail)"
        case let .corrupt(path, offset, detail):
            return "\(path): at byte offset \(offset): \(detail)"
        case let .badLine(path, line, detail):
            return "\(path): line \(line): \(detail)"
        case let .corruptCompression(path, format, offset, detail):
            return "\(path): \(format) data is damaged at compressed byte offset \(offset): \(detail)"
        case let .badFilter(expression, linkType, message):
            return "filter '\(expression)' does not compile for link type \(linkType): \(message)"
        case let .invalidArgument(detail):
            return detail
        }
    }
}

extension CaptureError {
    /// Refuses window lengths the stages cannot count in: none, or outside 1 s to a year.
    static func checkWindowLengths(_ lengths: [Int]) throws {
        guard !lengths.isEmpty, lengths.allSatisfy({ $0 > 0 && $0 <= 86_400 * 366 }) else {
            throw CaptureError.invalidArgument("window lengths must be whole seconds from 1 to one year, got \(lengths)")
        }
    }
}

extension CaptureError: ClassifiedError {
    public var errorClass: ErrorClass {
        switch self {
        case .notACapture, .notFlowRecords, .corrupt, .badLine, .corruptCompression: .badInput
        case .badFilter, .invalidArgument: .usage
        case .io: .failure
        }
    }
}
