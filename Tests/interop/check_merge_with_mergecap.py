"""Checks mimir-merge's output against mergecap's on the same inputs: the same packets (time, link
type, original length and bytes) in the same order, both sides read with scapy's raw readers,
independently of Mimir's reader. mergecap writes microseconds into pcap (`-F pcap`); mimir-merge keeps
nanoseconds, so pcap times are compared at microseconds.

Usage: check_merge_with_mergecap.py OURS FORMAT INPUT...
Exits 1 and prints the differences if there are any."""
import os
import subprocess
import sys
import tempfile

from scapy.utils import RawPcapNgReader, RawPcapReader


def packets(path):
    """(nanoseconds, link type, original length, bytes) of every packet, in file order."""
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic == b"\x0a\x0d\x0d\x0a":
        result = []
        for data, meta in RawPcapNgReader(path):
            ticks = (meta.tshigh << 32) | meta.tslow
            result.append((ticks * 1_000_000_000 // meta.tsresol, meta.linktype, meta.wirelen, bytes(data)))
        return result
    reader = RawPcapReader(path)
    nano = getattr(reader, "nano", False)
    return [(meta.sec * 1_000_000_000 + (meta.usec if nano else meta.usec * 1000), reader.linktype, meta.wirelen, bytes(data))
            for data, meta in reader]


def main(ours, file_format, inputs):
    with tempfile.TemporaryDirectory() as scratch:
        theirs = os.path.join(scratch, "merged")
        subprocess.run(["mergecap", "-F", file_format, "-w", theirs] + inputs, check=True, capture_output=True)
        expected, got = packets(theirs), packets(ours)
    problems = []
    if len(expected) != len(got):
        problems.append(f"mergecap wrote {len(expected)} packets, mimir-merge {len(got)}")
    for number, (a, b) in enumerate(zip(expected, got)):
        same_time = a[0] // 1000 == b[0] // 1000 if file_format == "pcap" else a[0] == b[0]
        if not same_time or a[1:] != b[1:]:
            problems.append(f"packet {number}: mergecap {a[:3]} {len(a[3])} bytes, mimir-merge {b[:3]} {len(b[3])} bytes")
    for problem in problems[:20]:
        print(problem)
    print(f"{len(inputs)} inputs, {len(expected)} packets from mergecap -F {file_format}, {len(problems)} differences")
    return 1 if problems or not expected else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
