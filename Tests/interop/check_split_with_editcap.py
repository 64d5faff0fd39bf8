"""Checks mimir-split's shards against editcap's: the same number of shards, and each shard holding
the same packets (bytes and timestamps) in the same order. Both sides are read with scapy's raw
readers, independently of Mimir's reader. editcap writes `-F pcap` (microseconds) for pcap input and
`-F pcapng` for pcapng input, so timestamps are compared at microseconds where editcap keeps no more.
For pcapng, editcap re-encodes timestamps and loses up to one tick of a binary resolution (2^-20 s:
953 ns; tshark reads the original's time, which mimir's unchanged copy keeps), so differences under a
microsecond are accepted there.

Usage: check_split_with_editcap.py CAPTURE SHARD_DIR (-i SECONDS | -c PACKETS)
Exits 1 and prints the differences if there are any."""
import glob
import gzip
import os
import subprocess
import sys
import tempfile

from scapy.utils import RawPcapNgReader, RawPcapReader


def packets(path):
    """(nanoseconds, bytes) of every packet, in file order."""
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic == b"\x0a\x0d\x0d\x0a":
        reader = RawPcapNgReader(path)
        result = []
        for data, meta in reader:
            # scapy gives the raw tick count and the interface's resolution (ticks per second).
            ticks = (meta.tshigh << 32) | meta.tslow
            result.append((ticks * 1_000_000_000 // meta.tsresol, bytes(data)))
        return result
    reader = RawPcapReader(path)
    nano = getattr(reader, "nano", False)
    return [((meta.sec * 1_000_000_000 + (meta.usec if nano else meta.usec * 1000)), bytes(data)) for data, meta in reader]


def main(capture, ours, flag, value):
    with open(capture, "rb") as f:
        head = f.read(4)
    if head[:2] == b"\x1f\x8b":
        with gzip.open(capture, "rb") as f:
            head = f.read(4)
    pcapng = head == b"\x0a\x0d\x0d\x0a"
    with tempfile.TemporaryDirectory() as scratch:
        target = os.path.join(scratch, "out.pcapng" if pcapng else "out.pcap")
        subprocess.run(["editcap", "-F", "pcapng" if pcapng else "pcap", flag, value, capture, target],
                       check=True, capture_output=True)
        theirs = sorted(glob.glob(os.path.join(scratch, "out_*")))
        mine = sorted(glob.glob(os.path.join(ours, "shard-*")))
        problems = []
        if len(theirs) != len(mine):
            problems.append(f"editcap wrote {len(theirs)} shards, mimir {len(mine)}")
        for index, (a, b) in enumerate(zip(theirs, mine)):
            expected, got = packets(a), packets(b)
            if len(expected) != len(got):
                problems.append(f"shard {index}: editcap {len(expected)} packets, mimir {len(got)}")
                continue
            for number, ((t1, d1), (t2, d2)) in enumerate(zip(expected, got)):
                same_time = abs(t1 - t2) < 1000 if pcapng else t1 // 1000 == t2 // 1000
                if d1 != d2 or not same_time:
                    problems.append(f"shard {index} packet {number}: editcap ({t1}, {len(d1)} bytes), mimir ({t2}, {len(d2)} bytes)")
                    break
    for problem in problems[:20]:
        print(problem)
    print(f"{capture}: {len(theirs)} shards from editcap {flag} {value}, {len(problems)} differences")
    return 1 if problems or not theirs else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
