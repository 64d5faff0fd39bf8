"""make bench: what counting every node's capture once costs, against counting each node's capture
as a single-node capture.

It simulates Sock Shop on the three-node cluster, captured on every node (--every-node, whole
packets), then processes the same per-node captures two ways, stage by stage, and reads each
process's CPU time and peak memory with GNU time (a small parent: a child's peak counts the memory
of the process it was forked from):
  - multi-node: per node, mimir-split --align and mimir-flows --node per shard (the node rule, one
    origin for every node), then one mimir-graph and one mimir-features over every node's shares;
  - single-node runs: per node, mimir-split and mimir-flows per shard counted whole, then a
    mimir-graph and a mimir-features of that node alone;
  - and, for graph and features, one capture of the same traffic: the simulator's
    single-node-pairs.parquet (what one capture of the whole cluster counts), with the same flows.
Features run without --sensitive: one node alone may have no pod of the sensitive service.
It prints, per stage, the summed CPU time and the largest peak memory of either way, and the ratios
(the goals: total CPU at most 1.1x, each stage's peak memory at most 1.1x).

Usage: multinode_bench.py --bin DIR [--minutes 240] [--dir artifacts/bench-multinode] [--keep]"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


class Usage:
    """CPU seconds summed and peak megabytes (the largest) per stage."""

    def __init__(self):
        self.cpu = defaultdict(float)
        self.peak = defaultdict(float)

    def run(self, stage, command):
        with tempfile.NamedTemporaryFile("r") as report:
            completed = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", report.name] + command, capture_output=True, text=True)
            if completed.returncode != 0:
                sys.exit(f"{' '.join(command)} failed:\n{completed.stderr[-2000:]}")
            user, system, kilobytes = report.read().split()[-3:]
        self.cpu[stage] += float(user) + float(system)
        self.peak[stage] = max(self.peak[stage], int(kilobytes) / 1024)


def shards(directory):
    return sorted(glob.glob(os.path.join(directory, "shard-*.pcap")))


def origin(table):
    import pyarrow.parquet as pq
    return pq.read_table(table).schema.metadata[b"mimir.origin"].decode()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--minutes", type=float, default=240)
    parser.add_argument("--dir", default=os.path.join(ROOT, "artifacts", "bench-multinode"))
    parser.add_argument("--keep", action="store_true")
    arguments = parser.parse_args()
    tool = lambda name: os.path.join(arguments.bin, name)
    work = arguments.dir
    shutil.rmtree(work, ignore_errors=True)
    sim = os.path.join(work, "sim")
    subprocess.run([tool("mimir-simulate"), "--app", os.path.join(ROOT, "pipelines/apps/sockshop.yaml"),
                    "--cluster", os.path.join(ROOT, "pipelines/clusters/three-nodes.yaml"), "--duration", str(int(arguments.minutes * 60)),
                    "--users", "10", "--seed", "1", "--every-node", "--out", sim], check=True, capture_output=True)
    nodes = ["node-a", "node-b", "node-c"]
    cluster, entities = os.path.join(sim, "cluster.yaml"), os.path.join(sim, "entities.jsonl")
    capture_bytes = sum(os.path.getsize(os.path.join(sim, f"capture-{node}.pcap")) for node in nodes)
    windows = ["--windows", "10,60"]

    multi = Usage()
    for node in nodes:
        multi.run("split", [tool("mimir-split"), "--interval", "600", "--align", "--out", os.path.join(work, "m-split", node),
                            "--", os.path.join(sim, f"capture-{node}.pcap")])
    earliest = min((origin(os.path.join(work, "m-split", node, "shards.parquet")) for node in nodes), key=float)
    pairs, flows = [], []
    for node in nodes:
        for index, shard in enumerate(shards(os.path.join(work, "m-split", node))):
            out = os.path.join(work, "m-flows", node, str(index))
            multi.run("flows", [tool("mimir-flows"), *windows, "--origin", earliest, "--node", node, "--cluster", cluster, "--out", out, "--", shard])
            pairs += ["--pairs", os.path.join(out, "pairs.parquet")]
            flows += ["--flows", os.path.join(out, "flows.parquet")]
    multi.run("graph", [tool("mimir-graph"), *pairs, "--entities", entities, "--cluster", cluster, "--out", os.path.join(work, "m-graph")])
    flows_multi = flows
    multi.run("features", [tool("mimir-features"), "--pod-edges", os.path.join(work, "m-graph", "pod_edges.parquet"),
                           *flows, "--entities", entities, "--cluster", cluster, "--out", os.path.join(work, "m-features")])

    single = Usage()
    for node in nodes:
        split = os.path.join(work, "s-split", node)
        single.run("split", [tool("mimir-split"), "--interval", "600", "--out", split, "--", os.path.join(sim, f"capture-{node}.pcap")])
        node_origin = origin(os.path.join(split, "shards.parquet"))
        pairs, flows = [], []
        for index, shard in enumerate(shards(split)):
            out = os.path.join(work, "s-flows", node, str(index))
            single.run("flows", [tool("mimir-flows"), *windows, "--origin", node_origin, "--out", out, "--", shard])
            pairs += ["--pairs", os.path.join(out, "pairs.parquet")]
            flows += ["--flows", os.path.join(out, "flows.parquet")]
        graph = os.path.join(work, "s-graph", node)
        single.run("graph", [tool("mimir-graph"), *pairs, "--entities", entities, "--cluster", cluster, "--out", graph])
        single.run("features", [tool("mimir-features"), "--pod-edges", os.path.join(graph, "pod_edges.parquet"),
                                *flows, "--entities", entities, "--cluster", cluster, "--out", os.path.join(work, "s-features", node)])

    whole = Usage()
    whole.run("graph", [tool("mimir-graph"), "--pairs", os.path.join(sim, "single-node-pairs.parquet"), "--entities", entities,
                        "--cluster", cluster, "--out", os.path.join(work, "w-graph")])
    whole.run("features", [tool("mimir-features"), "--pod-edges", os.path.join(work, "w-graph", "pod_edges.parquet"),
                           *flows_multi, "--entities", entities, "--cluster", cluster, "--out", os.path.join(work, "w-features")])

    print(f"multinode_bench: Sock Shop, three nodes, {arguments.minutes:g} min, {capture_bytes / 1e6:.0f} MB of captures")
    print(f"{'stage':<10} {'multi CPU s':>12} {'single CPU s':>13} {'ratio':>6} {'multi MB':>9} {'single MB':>10} {'ratio':>6}")
    for stage in ["split", "flows", "graph", "features"]:
        print(f"{stage:<10} {multi.cpu[stage]:>12.2f} {single.cpu[stage]:>13.2f} {multi.cpu[stage] / single.cpu[stage]:>6.2f} "
              f"{multi.peak[stage]:>9.0f} {single.peak[stage]:>10.0f} {multi.peak[stage] / single.peak[stage]:>6.2f}")
    for stage in ["graph", "features"]:
        print(f"{stage:<10} peak memory against one capture of the same traffic: {multi.peak[stage]:.0f} / {whole.peak[stage]:.0f} MB "
              f"= {multi.peak[stage] / whole.peak[stage]:.2f}")
    total_multi, total_single = sum(multi.cpu.values()), sum(single.cpu.values())
    print(f"{'total':<10} {total_multi:>12.2f} {total_single:>13.2f} {total_multi / total_single:>6.2f}   (goal: CPU at most 1.1x; "
          "each stage's peak memory at most 1.1x)")
    if not arguments.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
