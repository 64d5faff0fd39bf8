"""Checks mimir-flows' pairs table against tshark: per window length and window, the directed
address-pair packets, bytes and IP bytes must equal the sums of tshark's per-packet fields (frame.len;
the outermost ip.len, or ipv6.plen plus the 40-byte fixed header; the outermost ip/ipv6 source and
destination) over the same windows. tshark's conversation table rounds
bytes to kB, so it is no oracle; its per-packet fields are exact.

Usage: check_pairs_with_tshark.py CAPTURE PAIRS.parquet WINDOWS [ORIGIN_NS]
WINDOWS: comma-separated seconds. ORIGIN_NS: the origin in nanoseconds (default: the first packet).
Prints the mismatches and exits 1 if there are any."""
import collections
import subprocess
import sys
from decimal import Decimal

import pyarrow.parquet as pq


def tshark_packets(capture):
    fields = ["frame.time_epoch", "frame.len", "frame.protocols", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "ip.len", "ipv6.plen"]
    command = ["tshark", "-n", "-r", capture, "-T", "fields", "-E", "occurrence=f", "-E", "separator=\t"]
    for field in fields:
        command += ["-e", field]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    for line in output.splitlines():
        time, length, protocols, ip_src, ip_dst, ip6_src, ip6_dst, ip_len, ip6_plen = line.split("\t")
        nanoseconds = int(Decimal(time) * 1_000_000_000)
        layers = protocols.split(":")
        # The outermost network layer decides (IPv6 in IPv4 counts as IPv4, and the reverse).
        first_ip = next((layer for layer in layers if layer in ("ip", "ipv6")), None)
        # A length field of 0 (segmentation offload) would need the header's offset: the generated
        # captures have none, and such a packet shows up as a mismatch.
        if first_ip == "ip":
            yield nanoseconds, int(length), ip_src, ip_dst, int(ip_len)
        elif first_ip == "ipv6":
            yield nanoseconds, int(length), ip6_src, ip6_dst, int(ip6_plen) + 40
        else:
            yield nanoseconds, int(length), None, None, None


def main(capture, pairs_path, windows, origin=None):
    lengths = [int(w) for w in windows.split(",")]
    packets = list(tshark_packets(capture))
    if origin is None:
        origin = packets[0][0]
    expected = collections.Counter()
    for nanoseconds, length, source, destination, ip_length in packets:
        if source is None:
            continue
        for window in lengths:
            index = (nanoseconds - origin) // (window * 1_000_000_000)
            expected[(window, index, source, destination, "packets")] += 1
            expected[(window, index, source, destination, "bytes")] += length
            expected[(window, index, source, destination, "ip_bytes")] += ip_length
    got = collections.Counter()
    table = pq.read_table(pairs_path).to_pylist()
    for row in table:
        key = (row["window_len_s"], row["window_index"], row["src"], row["dst"])
        got[key + ("packets",)] += row["packets"]
        got[key + ("bytes",)] += row["bytes"]
        got[key + ("ip_bytes",)] += row["ip_bytes"]
    problems = [f"{key}: tshark {expected.get(key, 0)}, mimir {got.get(key, 0)}"
                for key in sorted(set(expected) | set(got), key=str) if expected.get(key, 0) != got.get(key, 0)]
    for problem in problems[:30]:
        print(problem)
    ip_packets = sum(1 for p in packets if p[2] is not None)
    print(f"{capture}: {len(packets)} packets ({ip_packets} IP), {len(expected) // 3} expected pair-windows, "
          f"{len(problems)} mismatches")
    return 1 if problems or not expected else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else None))
