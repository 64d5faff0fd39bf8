"""Checks mimir-flows' 5-tuple flows table against tshark's per-packet fields (outer-header mode):
per window, (src, dst, protocol, src port, dst port) with packets, bytes, first and last packet time
(microseconds) and the OR of TCP flags. Ports are the transport header's that directly follows the
outermost IP header (ICMP and ICMPv6: type and code); later fragments and tunnels carry none. IP
reassembly is off, so each frame stands alone, as in a flow table.

Usage: check_flows_with_tshark.py CAPTURE FLOWS.parquet WINDOWS
Prints the mismatches and exits 1 if there are any."""
import datetime
import subprocess
import sys
from decimal import Decimal

import pyarrow.parquet as pq

NUMBERS = {"tcp": 6, "udp": 17, "sctp": 132, "icmp": 1, "icmpv6": 58}
FIELDS = ["frame.time_epoch", "frame.len", "frame.protocols", "ip.src", "ip.dst", "ip.proto", "ip.frag_offset",
          "ipv6.src", "ipv6.dst", "ipv6.nxt", "ipv6.hopopts.nxt", "ipv6.dstopts.nxt", "ipv6.routing.nxt", "ipv6.fraghdr.nxt", "ipv6.fraghdr.offset", "tcp.srcport", "tcp.dstport",
          "tcp.flags", "udp.srcport", "udp.dstport", "sctp.srcport", "sctp.dstport", "icmp.type", "icmp.code",
          "icmpv6.type", "icmpv6.code"]


def tshark_flows(capture):
    command = ["tshark", "-n", "-r", capture, "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
               "-d", "udp.port==8472,vxlan", "-T", "fields", "-E", "occurrence=f", "-E", "separator=\t"]
    for field in FIELDS:
        command += ["-e", field]
    for line in subprocess.run(command, capture_output=True, text=True, check=True).stdout.splitlines():
        f = dict(zip(FIELDS, line.split("\t")))
        nanoseconds = int(Decimal(f["frame.time_epoch"]) * 1_000_000_000)
        layers = f["frame.protocols"].split(":")
        first = next((i for i, layer in enumerate(layers) if layer in ("ip", "ipv6")), None)
        if first is None:
            yield nanoseconds, None
            continue
        version = layers[first]
        rest = [layer for layer in layers[first + 1:] if not layer.startswith("ipv6.")]
        transport = rest[0] if rest else None
        if version == "ip":
            source, destination, protocol = f["ip.src"], f["ip.dst"], int(f["ip.proto"])
            later_fragment = f["ip.frag_offset"] not in ("", "0")
        else:
            source, destination = f["ipv6.src"], f["ipv6.dst"]
            later_fragment = f["ipv6.fraghdr.offset"] not in ("", "0")
            if later_fragment:
                protocol = int(f["ipv6.fraghdr.nxt"])
            elif transport in NUMBERS:
                protocol = NUMBERS[transport]
            elif transport in ("ip", "ipv6"):
                protocol = {"ip": 4, "ipv6": 41}[transport]
            else:
                # The chain was cut: the protocol is the last next-header value that was read.
                chain = ["ipv6.nxt", "ipv6.hopopts.nxt", "ipv6.dstopts.nxt", "ipv6.routing.nxt"]
                protocol = int([f[name] for name in chain if f[name]][-1])
        ports, flags = (0, 0), 0
        if not later_fragment and transport in NUMBERS and NUMBERS[transport] == protocol:
            # A field the snap length cut off is absent: it counts as 0, as in mimir's table.
            number = lambda name: int(f[name]) if f[name] else 0
            if transport in ("tcp", "udp", "sctp"):
                ports = (number(f"{transport}.srcport"), number(f"{transport}.dstport"))
            else:
                ports = (number(f"{transport}.type"), number(f"{transport}.code"))
            if transport == "tcp" and f["tcp.flags"]:
                flags = int(f["tcp.flags"], 16) & 0xFF
        yield nanoseconds, (source, destination, protocol, ports[0], ports[1], int(f["frame.len"]), flags)


def main(capture, flows_path, windows):
    lengths = [int(w) for w in windows.split(",")]
    packets = list(tshark_flows(capture))
    origin = packets[0][0]
    expected = {}
    for nanoseconds, flow in packets:
        if flow is None:
            continue
        source, destination, protocol, sport, dport, length, flags = flow
        for window in lengths:
            key = (window, (nanoseconds - origin) // (window * 1_000_000_000), source, destination, protocol, sport, dport)
            packets_, bytes_, first, last, seen = expected.get(key, (0, 0, None, None, 0))
            micros = nanoseconds // 1000
            expected[key] = (packets_ + 1, bytes_ + length, micros if first is None else min(first, micros),
                             micros if last is None else max(last, micros), seen | flags)
    got = {}
    for row in pq.read_table(flows_path).to_pylist():
        key = (row["window_len_s"], row["window_index"], row["src"], row["dst"], row["protocol"], row["src_port"], row["dst_port"])
        old = got.get(key)
        values = (row["packets"], row["bytes"], epoch_micros(row["first_seen"]), epoch_micros(row["last_seen"]), row["tcp_flags"])
        got[key] = values if old is None else (old[0] + values[0], old[1] + values[1], min(old[2], values[2]),
                                               max(old[3], values[3]), old[4] | values[4])
    problems = [f"{key}: tshark {expected.get(key)}, mimir {got.get(key)}"
                for key in sorted(set(expected) | set(got), key=str) if expected.get(key) != got.get(key)]
    for problem in problems[:30]:
        print(problem)
    print(f"{capture}: {len(expected)} expected flow-windows, {len(problems)} mismatches")
    return 1 if problems or not expected else 0


def epoch_micros(value):
    return (value - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) // datetime.timedelta(microseconds=1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3]))
