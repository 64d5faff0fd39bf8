"""make bench: mimir-graph plus mimir-features on a three-hour capture's windows, against networkx
computing the same features (issue 5: under 5 seconds on one core for 1,080 ten-second and 180
sixty-second windows of about 60 nodes).

The input is generated: an entity log of a Sock-Shop-sized application (14 services, 44 pods, their
service addresses, kube-dns) and mimir-flows' pairs table for 10 800 s in 10 s and 60 s windows, each
window holding the calls of a fixed call graph (pod to service address and, after DNAT, pod to pod,
both ways) between randomly chosen pods, plus users from outside. networkx then computes, window by
window, the features it can (service harmonic centrality, current-flow betweenness from the sensitive
pods to outside, reciprocity and edge variation of every service pair) from graph's pod edges.
Times are wall-clock seconds, the best of three runs (networkx: one run)."""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Tests", "interop"))
from check_features_with_networkx import expected_features, windows_of  # noqa: E402

START = 1_795_860_000  # 2026-11-28T10:00:00Z
CALLS = [("front-end", "catalogue"), ("front-end", "carts"), ("front-end", "orders"), ("front-end", "user"), ("front-end", "session-db"),
         ("catalogue", "catalogue-db"), ("carts", "carts-db"), ("orders", "user"), ("orders", "carts"), ("orders", "payment"),
         ("orders", "shipping"), ("orders", "orders-db"), ("shipping", "rabbitmq"), ("queue-master", "rabbitmq"), ("user", "user-db")]
SERVICES = sorted({s for call in CALLS for s in call})


def generate(directory, rng):
    pods, vips, lines = {}, {}, []
    address = 2
    for index, service in enumerate(SERVICES + ["kube-dns"]):
        vips[service] = f"10.96.0.{20 + index}"
        lines.append({"time": "2026-11-28T10:00:00.000000Z", "event": "added", "kind": "service", "namespace": "shop", "name": service,
                      "ips": [vips[service]], "labels": {"app": service}, "selector": {"app": service}})
        pods[service] = []
        for replica in range(1 if service.endswith("-db") or service == "kube-dns" else rng.randrange(2, 6)):
            name, ip = f"{service}-{replica}", f"10.244.0.{address}"
            address += 1
            pods[service].append(ip)
            lines.append({"time": "2026-11-28T10:00:00.000000Z", "event": "added", "kind": "pod", "namespace": "shop", "name": name,
                          "ips": [ip], "labels": {"app": service}, "node": "n1", "phase": "Running"})
    with open(f"{directory}/entities.jsonl", "w") as out:
        for line in lines:
            out.write(json.dumps(line, sort_keys=True) + "\n")
    columns = {k: [] for k in ["window_len_s", "window_index", "window_start", "partial", "src", "dst", "packets", "bytes"]}

    def add(length, index, src, dst, size):
        for key, value in zip(columns, [length, index, (START + index * length) * 1_000_000, False, src, dst, max(1, size // 500), size]):
            columns[key].append(value)

    for length in (10, 60):
        for index in range(10_800 // length):
            totals = {}
            for caller, callee in CALLS:
                for _ in range(rng.randrange(1, 4) * length // 10):
                    client, server, size = rng.choice(pods[caller]), rng.choice(pods[callee]), rng.randrange(200, 20_000)
                    for pair in ((client, vips[callee]), (client, server)):
                        totals[pair] = totals.get(pair, 0) + size // 4
                    for pair in ((server, client), (vips[callee], client)):
                        totals[pair] = totals.get(pair, 0) + size
            for pod in rng.sample(pods["front-end"], len(pods["front-end"])):
                totals[("192.168.99.1", pod)] = rng.randrange(10_000, 100_000) * length // 10
                totals[(pod, "192.168.99.1")] = rng.randrange(100_000, 1_000_000) * length // 10
            for (src, dst), size in sorted(totals.items()):
                add(length, index, src, dst, size)
    write_pairs(columns, f"{directory}/pairs.parquet")
    return len(columns["src"])


def write_pairs(columns, path):
    """mimir-flows' pairs table (schema 1) of the given columns."""
    schema = pa.schema([("window_len_s", pa.int32()), ("window_index", pa.int64()), ("window_start", pa.timestamp("us", tz="UTC")),
                        ("partial", pa.bool_()), ("src", pa.string()), ("dst", pa.string()), ("packets", pa.int64()), ("bytes", pa.int64())],
                       metadata={"mimir.stage": "flows", "mimir.version": "2", "mimir.schema": "1", "mimir.params": "{}",
                                 "mimir.origin": str(START)})
    pq.write_table(pa.table(columns, schema=schema), path, compression="zstd")


def timed(command):
    best = None
    for _ in range(3):
        begin = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - begin
        best = elapsed if best is None else min(best, elapsed)
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", required=True, help="directory of the release binaries")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mimir-graph-bench-") as directory:
        rows = generate(directory, random.Random(7))
        graph = timed([f"{arguments.bin}/mimir-graph", "--pairs", f"{directory}/pairs.parquet", "--entities", f"{directory}/entities.jsonl",
                       "--out", f"{directory}/graph"])
        features = timed([f"{arguments.bin}/mimir-features", "--pod-edges", f"{directory}/graph/pod_edges.parquet", "--sensitive", "user-db",
                          "--out", f"{directory}/features"])
        grouped = windows_of(f"{directory}/graph/pod_edges.parquet")
        nodes = max(len({e["src"] for e in w} | {e["dst"] for e in w}) for w in grouped.values())
        begin = time.perf_counter()
        for window in grouped.values():
            expected_features(window, "user-db")
        reference = time.perf_counter() - begin
        ours = graph + features
        print(f"graph + features: {len(grouped)} windows ({rows} pairs rows, up to {nodes} nodes a window): "
              f"mimir-graph {graph:.2f} s + mimir-features {features:.2f} s = {ours:.2f} s (target: under 5 s)")
        print(f"networkx, the same features that it computes: {reference:.1f} s; ratio networkx / mimir {reference / ours:.0f}x")


if __name__ == "__main__":
    main()
