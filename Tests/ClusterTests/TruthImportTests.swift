import Foundation
import Table
import Testing
import TestSupport
@testable import Cluster
import Contract

/// mimir-truth's reader: CSV (RFC 4180 quoting), JSON and JSON lines into ground-truth events, each
/// error naming the file and the record; the table it writes read back by pyarrow.
@Suite struct TruthImportTests {
    static func write(_ text: String, _ name: String, in directory: TemporaryDirectory) throws -> String {
        try text.write(toFile: directory.file(name), atomically: true, encoding: .utf8)
        return directory.file(name)
    }

    @Test func csv_withQuotedCommasQuotesAndLineBreaks_givesEventsSortedByStart() throws {
        let directory = try TemporaryDirectory()
        let path = try Self.write(#"""
            kind,start,end,source,path,bytes
            lateral,2026-11-28T10:05:00Z,2026-11-28T10:06:00Z,"web,1","web,1>db ""main""",12
            exfil,2026-11-28T10:01:00.5Z,2026-11-28T10:02:00+01:00,,"db-0>
            outside",

            """#, "incidents.csv", in: directory)
        // The second record's end, 10:02 at +01:00, is 09:02Z: before its start.
        #expect(throws: TableError.mismatch(path: path, detail: "line 3: end must be after start")) { try TruthImport.read(path: path, format: .csv) }
        let fixed = try Self.write(String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "+01:00", with: "Z"), "fixed.csv", in: directory)
        let events = try TruthImport.read(path: fixed, format: .csv)
        #expect(events.map(\.eventID) == [2, 1] && events.map(\.kind) == [.exfil, .lateral])
        #expect(events[0].start == 1_795_860_060_500_000_000 && events[0].path == ["db-0", "\noutside"] && events[0].source == "db-0" && events[0].bytes == 0)
        #expect(events[1].source == "web,1" && events[1].path == ["web,1", "db \"main\""] && events[1].bytes == 12)
    }

    @Test func json_andJSONLines_takeTextNumbersAndPathLists() throws {
        let directory = try TemporaryDirectory()
        let json = try Self.write("""
            [{"kind": "scan", "start": "2026-11-28T10:00:00Z", "end": "2026-11-28T10:00:30Z", "event_id": 7, "path": ["a", "b"]},
             {"kind": "dnstunnel", "start": "2026-11-28T09:00:00Z", "end": "2026-11-28T09:01:00Z", "bytes": 4096}]
            """, "incidents.json", in: directory)
        let events = try TruthImport.read(path: json, format: .json)
        #expect(events.map(\.eventID) == [2, 7] && events[1].path == ["a", "b"] && events[1].source == "a" && events[0].bytes == 4096)
        let lines = try Self.write("""
            {"kind": "exfil", "start": "2026-11-28T10:00:00Z", "end": "2026-11-28T10:00:30Z"}

            {"kind": "exfil", "start": "2026-11-28T11:00:00Z", "end": "2026-11-28T11:00:30Z", "event_id": 1}
            """, "incidents.jsonl", in: directory)
        #expect(throws: TableError.mismatch(path: lines, detail: "line 3: event_id 1 appears twice")) { try TruthImport.read(path: lines, format: .jsonl) }
    }

    @Test func badRecords_areNamedWithTheFileAndTheRecord() throws {
        let directory = try TemporaryDirectory()
        let header = "kind,start,end\n"
        let cases: [(String, String)] = [
            (header + "ddos,2026-11-28T10:00:00Z,2026-11-28T10:01:00Z\n", "line 2: kind 'ddos' is not one of exfil, dnstunnel, scan, lateral"),
            (header + "scan,yesterday,2026-11-28T10:01:00Z\n", "line 2: start 'yesterday' is not an RFC 3339 time such as 2026-11-28T10:00:00Z"),
            (header + "scan,2026-11-28T10:00:00Z\n", "line 2: 2 fields, the header has 3"),
            ("kind,start,end,severity\nscan,2026-11-28T10:00:00Z,2026-11-28T10:01:00Z,high\n",
             "line 2: unknown field 'severity' (fields: event_id, kind, start, end, source, path, bytes)"),
            ("kind,start,end,bytes\nscan,2026-11-28T10:00:00Z,2026-11-28T10:01:00Z,-5\n",
             "line 2: bytes '-5' is not a whole number from 0 to 9223372036854775807"),
            (header + "scan,\"2026-11-28T10:00:00Z,2026-11-28T10:01:00Z\n", "line 2: a quoted field is not closed"),
            (header + ",2026-11-28T10:00:00Z,2026-11-28T10:01:00Z\n", "line 2: 'kind' is missing"),
            (header, "no incident records"),
            ("", "no incident records"),
        ]
        for (text, detail) in cases {
            let path = try Self.write(text, "bad.csv", in: directory)
            #expect(throws: TableError.mismatch(path: path, detail: detail)) { try TruthImport.read(path: path, format: .csv) }
        }
        let json = try Self.write(#"[{"kind": "scan", "start": "2026-11-28T10:00:00Z", "end": "2026-11-28T10:01:00Z", "bytes": true}]"#, "bad.json", in: directory)
        #expect(throws: TableError.mismatch(path: json, detail: "expected a JSON array of incident objects: [0].bytes: values must be text, whole numbers or lists of names")) {
            try TruthImport.read(path: json, format: .json)
        }
        #expect(throws: TableError.mismatch(path: "/dev/null", detail: "not a regular file")) { try TruthImport.read(path: "/dev/null", format: .csv) }
    }

    @Test(.needs(CrossCheck.python != nil, "needs pyarrow in the test environment"))
    func writtenTable_readsInPyarrowWithTheTruthColumns() throws {
        let directory = try TemporaryDirectory()
        let path = try Self.write("kind,start,end,path\nexfil,2026-11-28T10:00:00Z,2026-11-28T10:00:30.25Z,db>outside\n", "i.csv", in: directory)
        let events = try TruthImport.read(path: path, format: .csv)
        try TruthTable.write(events, path: directory.file("truth.parquet"),
                             provenance: Provenance(stage: "truth", version: "1", schemaVersion: TruthTable.schemaVersion, params: .object([:])))
        #expect(try TruthTable.read(path: directory.file("truth.parquet")) == events)
        let (status, output) = try CrossCheck.run(CrossCheck.python!, ["-c", """
            import pyarrow.parquet as pq
            t = pq.read_table('\(directory.file("truth.parquet"))')
            r = t.to_pylist()[0]
            print(t.schema.field('start').type, r['kind'], r['start'].isoformat(), r['end'].isoformat(), r['path'], r['event_id'])
            """])
        #expect(status == 0 && output.trimmingCharacters(in: .whitespacesAndNewlines)
            == "timestamp[us, tz=UTC] exfil 2026-11-28T10:00:00+00:00 2026-11-28T10:00:30.250000+00:00 db>outside 1", "\(output)")
    }
}
