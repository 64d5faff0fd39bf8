"""Reads a conn.log with parsezeeklogs (a PyPI reader of Zeek's TSV logs) and checks mimir-records'
pairs table read from the same file: per directed address pair, orig_pkts and orig_ip_bytes from
id.orig_h to id.resp_h and resp_pkts and resp_ip_bytes back, summed over the log, must equal the
table's packets and IP bytes summed over all windows of WINDOW seconds.

Usage: check_conn_log_with_parsezeeklogs.py CONN_LOG PAIRS.parquet WINDOW
Prints the mismatches and exits 1 if there are any."""
import collections
import json
import sys

from parsezeeklogs import ParseZeekLogs

from pair_totals import mismatches, pair_totals


def main(conn_log, pairs_path, window):
    expected = collections.Counter()
    entries = 0
    for entry in ParseZeekLogs(conn_log, output_format="json", safe_headers=False):
        entries += 1
        if not isinstance(entry, dict):
            entry = json.loads(entry)
        origin, responder = entry["id.orig_h"], entry["id.resp_h"]
        expected[(origin, responder, "packets")] += int(entry["orig_pkts"])
        expected[(origin, responder, "ip_bytes")] += int(entry["orig_ip_bytes"])
        expected[(responder, origin, "packets")] += int(entry["resp_pkts"])
        expected[(responder, origin, "ip_bytes")] += int(entry["resp_ip_bytes"])
    expected = collections.Counter({key: value for key, value in expected.items() if value})
    problems = mismatches(expected, pair_totals(pairs_path, window), "parsezeeklogs")
    print(f"{conn_log}: {entries} entries, {len(expected) // 2} pairs, {len(problems)} mismatches")
    return 1 if problems or not entries else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
