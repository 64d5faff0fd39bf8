import Foundation
import Testing
import TestSupport
@testable import Capture
import Contract

/// Zeek's conn.log and AWS VPC flow logs, from the examples in their documentation, worked out by hand.
@Suite struct RecordLogTests {
    /// The records, damage and warnings of a file holding `text`, and the format it was read as.
    static func read(_ text: String, gzip: Bool = false) throws -> (format: RecordFormat, records: [FlowRecord], damage: [String: Int], warnings: [String]) {
        let directory = try TemporaryDirectory()
        var path = directory.file("log")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        if gzip {
            #expect(try CrossCheck.run("/usr/bin/gzip", ["-n", path]).status == 0)
            path += ".gz"
        }
        let format = try RecordExtraction.format(of: path)
        let reader = try RecordExtraction.open(path, format)
        var records: [FlowRecord] = []
        try reader.read { record, _ in records.append(record) }
        return (format, records, reader.damage.entries.mapValues(\.count), reader.warnings)
    }

    static func address(_ text: String) -> IPAddress { IPAddress(text)! }

    // Zeek's documentation, "conn.log" (an HTTP connection), TSV as Zeek writes it.
    static let zeekTSV = """
        #separator \\x09
        #set_separator\t,
        #empty_field\t(empty)
        #unset_field\t-
        #path\tconn
        #open\t2020-09-22-18-44-10
        #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents
        #types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]
        1600800250.446528\tCzwPpAZUVcHRqrfKa\t192.168.4.76\t46378\t31.3.245.133\t80\ttcp\thttp\t0.254187\t77\t295\tSF\t-\t-\t0\tShADadFf\t6\t397\t4\t511\t-
        1600800260.000001\tC2\tfe80::1\t133\tff02::2\t0\ticmp\t-\t-\t-\t-\tOTH\t-\t-\t0\t-\t1\t56\t0\t0\t-
        1600800261.5\tC3\t192.168.4.76\t5353\t224.0.0.251\t5353\tudp\tdns\t-\t-\t-\tS0\t-\t-\t0\tD\t-\t-\t0\t0\t-
        #close\t2020-09-22-18-54-10

        """

    @Test func zeekTSV_givesADirectionEach() throws {
        for gzip in [false, true] {
            let (format, records, damage, warnings) = try Self.read(Self.zeekTSV, gzip: gzip)
            #expect(format == .zeekTSV)
            #expect(records == [
                // ShADadFf: the originator sent S, A, D, F; the responder h (SYN+ACK), a, d, f.
                FlowRecord(source: Self.address("192.168.4.76"), destination: Self.address("31.3.245.133"), sourcePort: 46378, destinationPort: 80,
                           ipProtocol: 6, tcpFlags: 0x13, start: 1_600_800_250_446_528_000, end: 1_600_800_250_700_715_000, packets: 6, ipBytes: 397),
                FlowRecord(source: Self.address("31.3.245.133"), destination: Self.address("192.168.4.76"), sourcePort: 80, destinationPort: 46378,
                           ipProtocol: 6, tcpFlags: 0x13, start: 1_600_800_250_446_528_000, end: 1_600_800_250_700_715_000, packets: 4, ipBytes: 511),
                // ICMPv6 (router solicitation, type 133 code 0); no duration: it lasts no time.
                FlowRecord(source: Self.address("fe80::1"), destination: Self.address("ff02::2"), sourcePort: 133, destinationPort: 0,
                           ipProtocol: 58, start: 1_600_800_260_000_001_000, end: 1_600_800_260_000_001_000, packets: 1, ipBytes: 56),
            ])
            // The third entry's orig_pkts is unset: it cannot be counted.
            #expect(damage == ["zeek_missing_orig_pkts": 1])
            #expect(warnings == ["line 11: no orig_pkts (counted as damaged.zeek_missing_orig_pkts)"])
        }
    }

    @Test func rotatedLogs_areReadInOrderAsOne() throws {
        // The documentation's log twice, the second gzip-compressed (an hour's log and the next one's):
        // three records and a damaged line each. The second file's damage counts from the three
        // records the first delivered; warnings name their file; the summary counts each file.
        let directory = try TemporaryDirectory()
        let first = directory.file("conn.00.log"), second = directory.file("conn.01.log")
        for path in [first, second] { try Data(Self.zeekTSV.utf8).write(to: URL(fileURLWithPath: path)) }
        #expect(try CrossCheck.run("/usr/bin/gzip", ["-n", second]).status == 0)
        let out = directory.file("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let report = try RecordExtraction(windowLengths: [10], version: "test").run(recordsPaths: [first, second + ".gz"], directory: out)
        #expect(report.records == 6 && report.packets == 22 && report.ipBytes == 1928)
        #expect(report.counters["damaged.zeek_missing_orig_pkts"]?.value == 2 && report.counters["damaged.zeek_missing_orig_pkts"]?.firstRecord == 3)
        #expect(report.counters["format.zeek_conn_tsv"]?.value == 2 && report.counters["lines"]?.value == 24)
        #expect(report.warnings == ["\(first): line 11: no orig_pkts (counted as damaged.zeek_missing_orig_pkts)",
                                    "\(second).gz: line 11: no orig_pkts (counted as damaged.zeek_missing_orig_pkts)"])
        #expect(report.origin == 1_600_800_250_446_528_000)

        // Records of another kind in the same run would count traffic twice, or mean a mistake.
        let ipfix = directory.file("records.ipfix")
        try Data(IPFIXKit.message(sequence: 0, IPFIXKit.template(256, IPFIXKit.flowFields))).write(to: URL(fileURLWithPath: ipfix))
        #expect {
            try RecordExtraction(windowLengths: [10], version: "test").run(recordsPaths: [first, ipfix], directory: out)
        } throws: { error in
            (error as? CaptureError)?.errorClass == .usage && "\(error)".contains("\(ipfix) holds IPFIX")
        }
    }

    @Test func zeekJSON_epochOrISOTimes() throws {
        // Zeek's documentation, "conn.log" in JSON (a DNS query), and the same with an ISO 8601 ts.
        let text = """
            {"ts":1591367999.305988,"uid":"CMdzit1AMNsmfAIiQc","id.orig_h":"192.168.4.76","id.orig_p":36844,"id.resp_h":"192.168.4.1","id.resp_p":53,"proto":"udp","service":"dns","duration":0.06685185432434082,"orig_bytes":62,"resp_bytes":141,"conn_state":"SF","missed_bytes":0,"history":"Dd","orig_pkts":2,"orig_ip_bytes":118,"resp_pkts":2,"resp_ip_bytes":197,"tunnel_parents":["Cx", "Cy"],"ip_proto":17}
            {"ts":"2020-06-05T14:39:59.305988Z","id.orig_h":"192.168.4.76","id.orig_p":36845,"id.resp_h":"192.168.4.1","id.resp_p":53,"proto":"udp","orig_pkts":1,"orig_ip_bytes":60,"resp_pkts":0,"resp_ip_bytes":0,"duration":null}
            not json
            """
        let (format, records, damage, _) = try Self.read(text)
        #expect(format == .zeekJSON)
        try #require(records.count == 3)
        #expect(records[0].start == 1_591_367_999_305_988_000 && records[0].end == 1_591_367_999_305_988_000 + 66_851_854)
        #expect(records[0].packets == 2 && records[0].ipBytes == 118 && records[0].tcpFlags == 0)
        #expect(records[1].source == Self.address("192.168.4.1") && records[1].sourcePort == 53 && records[1].ipBytes == 197)
        // 2020-06-05T14:39:59Z is 1591367999 s.
        #expect(records[2].start == 1_591_367_999_305_988_000 && records[2].end == records[2].start && records[2].destinationPort == 53)
        #expect(damage == ["zeek_not_json": 1])
    }

    @Test func zeekHeaders_thatCannotBeRead_areErrorsNamingTheLine() throws {
        let dns = "#separator \\x09\n#path\tdns\n"
        #expect { try Self.read(dns) } throws: { "\($0)".contains("line 2: a Zeek dns log, not conn.log") }
        let noBytes = "#separator \\x09\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_pkts\tresp_pkts\n"
        #expect { try Self.read(noBytes) } throws: { "\($0)".contains("line 2: #fields has no orig_ip_bytes") }
        let noHeader = "#separator \\x09\n1600800250.4\tC\t1.2.3.4\n"
        #expect { try Self.read(noHeader) } throws: { "\($0)".contains("line 2: a data line before the #fields header") }
    }

    // AWS's documentation, "Flow log record examples": accepted and rejected traffic, NODATA, SKIPDATA.
    static let vpcDefault = """
        version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status
        2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK
        2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 1418530010 1418530070 REJECT OK
        2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA
        2 123456789010 eni-11111111aaaaaaaaa - - - - - - - 1431280876 1431280934 - SKIPDATA

        """

    @Test func vpcDefaultFormat_withOrWithoutItsHeader() throws {
        for text in [Self.vpcDefault, String(Self.vpcDefault.drop { $0 != "\n" }.dropFirst())] {
            let (format, records, damage, _) = try Self.read(text)
            #expect(format == .vpcFlowLog)
            #expect(records == [
                FlowRecord(source: Self.address("172.31.16.139"), destination: Self.address("172.31.16.21"), sourcePort: 20641, destinationPort: 22,
                           ipProtocol: 6, start: 1_418_530_010_000_000_000, end: 1_418_530_070_000_000_000, packets: 20, ipBytes: 4249),
                FlowRecord(source: Self.address("172.31.9.69"), destination: Self.address("172.31.9.12"), sourcePort: 49761, destinationPort: 3389,
                           ipProtocol: 6, start: 1_418_530_010_000_000_000, end: 1_418_530_070_000_000_000, packets: 20, ipBytes: 4249),
            ])
            #expect(damage == ["vpc_skipdata": 1])
        }
    }

    @Test func vpcCustomFormat_takesThePacketsOwnAddresses() throws {
        // AWS's example of a custom format (version 3) with TCP flags; the second line is a pod's
        // traffic seen on its node's interface (EKS): pkt-srcaddr is the pod.
        let text = """
            version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status
            3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789012 IPv4 52.213.180.42 10.0.0.62 43416 5001 52.213.180.42 10.0.0.62 6 568 8 1566848875 1566848933 ACCEPT 2 OK
            3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789012 IPv4 10.0.0.62 10.0.1.9 38144 443 10.0.0.201 10.0.1.9 6 1200 10 1566848875 1566848933 ACCEPT 19 OK
            3 vpc-abcdefab012345678 subnet-aaaaaaaa012345678 i-01234567890123456 eni-1235b8ca123456789 123456789012 IPv4 10.0.0.62 10.0.1.9 38144 443 10.0.0.201 10.0.1.9 6 1200 10 1566848933 1566848875 ACCEPT 19 OK
            """
        let (_, records, damage, _) = try Self.read(text)
        try #require(records.count == 2)
        #expect(records[0].packets == 8 && records[0].ipBytes == 568 && records[0].tcpFlags == 2)
        #expect(records[1].source == Self.address("10.0.0.201") && records[1].tcpFlags == 19)
        #expect(damage == ["record_end_before_start": 1])
    }

    @Test func vpcFormats_withoutWhatIsNeeded_areRefused() throws {
        let text = "version interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr\n3 eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5\n"
        #expect { try Self.read(text) } throws: {
            "\($0)".contains("line 1: the flow log's format has no protocol, packets, bytes, start, end")
        }
    }
}
