"""make bench: resource bounds on hostile-sized inputs (issue 16), each stage's wall time and peak
resident memory from GNU time.

1. mimir-flows on a capture of 10 million distinct 5-tuples among 1,000 addresses, all in one 10 s
   window (and so in one 60 s window too). Target: peak under 2 GB.
2. mimir-split and mimir-flows on a pcapng of 10,000 interface description blocks, a packet on each.
   Target: peak under 100 MB.
3. mimir-graph and mimir-features on one window of N pods (625 to 5,000, doubling), each pod calling
   three services through their addresses (and, after DNAT, their pods). They must finish; the
   growth of their time with N is printed as the exponent k of time ~ N^k between sizes.

Usage: bounds_bench.py --bin DIR [--packets N] [--pods N]"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile

import numpy as np

from graph_bench import START, write_pairs


def measured(command):
    """(wall seconds, peak resident MB) of a command, from GNU time."""
    result = subprocess.run(["/usr/bin/time", "-f", "%e %M"] + command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({result.returncode}): {result.stderr[-2000:]}")
    seconds, kilobytes = result.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kilobytes) / 1024


def many_flows_capture(path, packets):
    """A nanosecond pcap of `packets` Ethernet/IPv4/UDP frames, each a new 5-tuple: source and destination
    among 1,000 addresses (10.0.x.y), the source port telling the rounds of a million apart, 500 ns apart."""
    frame = 14 + 20 + 8
    record = np.zeros((packets, 16 + frame), dtype=np.uint8)
    index = np.arange(packets, dtype=np.int64)
    nanos = START * 1_000_000_000 + index * 500
    header = record[:, :16].view("<u4")
    header[:, 0] = nanos // 1_000_000_000
    header[:, 1] = nanos % 1_000_000_000
    header[:, 2] = frame
    header[:, 3] = frame
    ether = record[:, 16:]
    ether[:, 12], ether[:, 13] = 0x08, 0x00
    ip = ether[:, 14:34]
    ip[:, 0], ip[:, 3], ip[:, 8], ip[:, 9] = 0x45, 28, 64, 17
    source, destination = index % 1000, (index // 1000) % 1000
    ip[:, 12], ip[:, 13], ip[:, 14], ip[:, 15] = 10, 0, source // 256, source % 256
    ip[:, 16], ip[:, 17], ip[:, 18], ip[:, 19] = 10, 0, destination // 256, destination % 256
    udp = ether[:, 34:42]
    port = 1024 + index // 1_000_000
    udp[:, 0], udp[:, 1] = port // 256, port % 256
    udp[:, 2], udp[:, 3], udp[:, 5] = 0, 80, 8
    with open(path, "wb") as out:
        out.write(np.array([0xA1B23C4D], dtype="<u4").tobytes() + np.array([2, 4], dtype="<u2").tobytes()
                  + np.array([0, 0, 262144, 1], dtype="<u4").tobytes())
        record.tofile(out)


def many_interfaces_pcapng(path, interfaces):
    """A pcapng whose section describes `interfaces` Ethernet interfaces, one packet on each, a second apart."""
    def block(kind, body):
        body += b"\0" * (-len(body) % 4)
        length = 12 + len(body)
        return np.array([kind, length], dtype="<u4").tobytes() + body + np.array([length], dtype="<u4").tobytes()
    frame = bytes(12) + b"\x08\x00" + bytes([0x45, 0, 0, 28]) + bytes(5) + b"\x11" + bytes(2) + bytes([10, 0, 0, 1, 10, 0, 0, 2]) + bytes(8)
    parts = [block(0x0A0D0D0A, np.array([0x1A2B3C4D], dtype="<u4").tobytes() + b"\x01\x00\x00\x00" + b"\xff" * 8)]
    parts += [block(1, b"\x01\x00\x00\x00" + bytes(4)) for _ in range(interfaces)]
    for interface in range(interfaces):
        micros = (START + interface) * 1_000_000
        parts.append(block(6, np.array([interface, micros >> 32, micros & 0xFFFFFFFF, len(frame), len(frame)], dtype="<u4").tobytes() + frame))
    with open(path, "wb") as out:
        out.write(b"".join(parts))


def one_window_of_pods(directory, pods, rng):
    """An entity log of `pods` pods in services of 50, and mimir-flows' pairs for one 10 s window in
    which every pod calls three services: pod to service address and to the chosen pod, both ways."""
    services = max(2, pods // 50)
    lines, members, addresses = [], {}, {}
    for service in range(services):
        name = f"svc-{service}"
        addresses[name] = f"10.96.{service // 250}.{service % 250 + 2}"
        lines.append({"time": "2026-11-28T10:00:00.000000Z", "event": "added", "kind": "service", "namespace": "shop", "name": name,
                      "ips": [addresses[name]], "labels": {"app": name}, "selector": {"app": name}})
        members[name] = []
    for pod in range(pods):
        service = f"svc-{pod % services}"
        ip = f"10.244.{pod // 250}.{pod % 250 + 2}"
        members[service].append(ip)
        lines.append({"time": "2026-11-28T10:00:00.000000Z", "event": "added", "kind": "pod", "namespace": "shop", "name": f"{service}-{pod}",
                      "ips": [ip], "labels": {"app": service}, "node": "n1", "phase": "Running"})
    with open(f"{directory}/entities.jsonl", "w") as out:
        for line in lines:
            out.write(json.dumps(line, sort_keys=True) + "\n")
    totals = {}
    for service, ips in members.items():
        for client in ips:
            for callee in rng.sample(sorted(members), 3):
                server, size = rng.choice(members[callee]), rng.randrange(200, 20_000)
                for pair, bytes_ in (((client, addresses[callee]), size // 4), ((client, server), size // 4),
                                     ((server, client), size), ((addresses[callee], client), size)):
                    totals[pair] = totals.get(pair, 0) + bytes_
    columns = {k: [] for k in ["window_len_s", "window_index", "window_start", "partial", "src", "dst", "packets", "bytes"]}
    for (src, dst), size in sorted(totals.items()):
        for key, value in zip(columns, [10, 0, START * 1_000_000, False, src, dst, max(1, size // 500), size]):
            columns[key].append(value)
    write_pairs(columns, f"{directory}/pairs.parquet")
    return len(columns["src"])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", required=True, help="directory of the release binaries")
    parser.add_argument("--packets", type=int, default=10_000_000)
    parser.add_argument("--pods", type=int, default=5000)
    arguments = parser.parse_args()
    binary = lambda name: os.path.join(arguments.bin, name)
    with tempfile.TemporaryDirectory(prefix="mimir-bounds-bench-") as directory:
        capture = f"{directory}/flows.pcap"
        many_flows_capture(capture, arguments.packets)
        seconds, peak = measured([binary("mimir-flows"), "--out", f"{directory}/flows", "--", capture])
        verdict = "met" if peak < 2048 else "NOT met"
        print(f"flows, {arguments.packets:,} distinct 5-tuples among 1,000 addresses in one window "
              f"({os.path.getsize(capture) / 1e6:.0f} MB): {seconds:.1f} s, peak {peak:.0f} MB (target under 2048 MB: {verdict})")
        os.remove(capture)

        interfaces = f"{directory}/interfaces.pcapng"
        many_interfaces_pcapng(interfaces, 10_000)
        split_seconds, split_peak = measured([binary("mimir-split"), "--interval", "600", "--out", f"{directory}/split", "--", interfaces])
        flows_seconds, flows_peak = measured([binary("mimir-flows"), "--out", f"{directory}/flows-interfaces", "--", interfaces])
        verdict = "met" if max(split_peak, flows_peak) < 100 else "NOT met"
        print(f"pcapng of 10,000 interface blocks: split {split_seconds:.1f} s, peak {split_peak:.0f} MB; "
              f"flows {flows_seconds:.1f} s, peak {flows_peak:.0f} MB (target under 100 MB: {verdict})")

        sizes, previous = [], None
        pods = arguments.pods
        while pods >= 625:
            sizes.insert(0, pods)
            pods //= 2
        for pods in sizes:
            work = f"{directory}/pods-{pods}"
            os.makedirs(work)
            rows = one_window_of_pods(work, pods, random.Random(7))
            graph, graph_peak = measured([binary("mimir-graph"), "--pairs", f"{work}/pairs.parquet", "--entities", f"{work}/entities.jsonl",
                                          "--out", f"{work}/graph"])
            features, features_peak = measured([binary("mimir-features"), "--pod-edges", f"{work}/graph/pod_edges.parquet",
                                                "--sensitive", "svc-0", "--out", f"{work}/features"])
            growth = ""
            if previous:
                exponent = lambda now, before: math.log(max(now, 0.01) / max(before, 0.01)) / math.log(pods / previous[0])
                growth = f"; growth since {previous[0]} pods: graph N^{exponent(graph, previous[1]):.1f}, features N^{exponent(features, previous[2]):.1f}"
            print(f"one window of {pods} pods ({rows:,} pairs rows): graph {graph:.2f} s, peak {graph_peak:.0f} MB; "
                  f"features {features:.2f} s, peak {features_peak:.0f} MB{growth}")
            previous = (pods, graph, features)


if __name__ == "__main__":
    main()
