"""Checks the node rule two ways on mimir-simulate's per-node captures (--every-node).

Independently of Mimir's code, it reads every node's capture with tshark (the SLL2 packet type, the
protocols, the outermost addresses, the frame length and time), applies the node rule of
docs/captures.md ("Every node's capture") with the cluster's layout from cluster.yaml (read with
PyYAML), and windows each counted copy by its own timestamp. Those totals must equal, exactly:
  - the simulator's single-node-pairs.parquet (what one capture of the whole cluster would count), and
  - the sum of mimir-flows' pairs tables, one per node (run with --node and --cluster).
Tables are compared by window length and window start, so their origins need only be aligned.

Usage: check_node_shares.py SIM_DIR PAIRS.parquet...
Prints the mismatches and exits 1 if there are any."""
import collections
import ipaddress
import subprocess
import sys
from decimal import Decimal

import pyarrow.parquet as pq
import yaml

NANOS = 1_000_000_000
TUNNELS = {"vxlan", "geneve", "gre", "ipip"}


def layout(sim_dir):
    with open(f"{sim_dir}/cluster.yaml") as handle:
        cluster = yaml.safe_load(handle)
    nodes = {node["name"]: node for node in cluster["nodes"]}
    ranges = [ipaddress.ip_network(node["pod_cidr"]) for node in nodes.values()]
    ranges.append(ipaddress.ip_network(cluster["service_cidr"]))
    node_addresses = {ipaddress.ip_address(node["address"]) for node in nodes.values()}
    return nodes, ranges, node_addresses


def counted_copies(capture, own_pods, ranges, node_addresses):
    """Every copy of `capture` the rule counts: (time ns, frame length, source, destination)."""
    fields = ["frame.time_epoch", "frame.len", "frame.protocols", "sll.pkttype", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst"]
    command = ["tshark", "-n", "-r", capture, "-T", "fields", "-E", "occurrence=f", "-E", "separator=\t"]
    for field in fields:
        command += ["-e", field]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    for line in output.splitlines():
        time, length, protocols, packet_type, ip_src, ip_dst, ip6_src, ip6_dst = line.split("\t")
        layers = protocols.split(":")
        first_ip = next((layer for layer in layers if layer in ("ip", "ipv6")), None)
        if first_ip is None or TUNNELS & set(layers):
            continue  # not IP, or an overlay copy
        source, destination = (ip_src, ip_dst) if first_ip == "ip" else (ip6_src, ip6_dst)
        source, destination = ipaddress.ip_address(source), ipaddress.ip_address(destination)
        if source.is_loopback or destination.is_loopback:
            continue
        far = destination if packet_type == "4" else source  # PACKET_OUTGOING: the node sent it
        if far not in own_pods and (far in node_addresses or any(far in network for network in ranges)):
            continue  # both ends in the cluster, neither a pod of this node: a copy between nodes
        yield int(Decimal(time) * NANOS), int(length), str(source), str(destination)


def table_totals(path):
    totals = collections.Counter()
    for row in pq.read_table(path).to_pylist():
        key = (row["window_len_s"], int(row["window_start"].timestamp()), row["src"], row["dst"])
        totals[key + ("packets",)] += row["packets"]
        totals[key + ("bytes",)] += row["bytes"]
    return totals


def compare(name, expected, got):
    problems = [f"{name}: {key}: rule {expected.get(key, 0)}, {name} {got.get(key, 0)}"
                for key in sorted(set(expected) | set(got), key=str) if expected.get(key, 0) != got.get(key, 0)]
    for problem in problems[:20]:
        print(problem)
    return len(problems)


def main(sim_dir, pair_tables):
    nodes, ranges, node_addresses = layout(sim_dir)
    truth_path = f"{sim_dir}/single-node-pairs.parquet"
    truth_table = pq.read_table(truth_path)
    origin = int(Decimal(truth_table.schema.metadata[b"mimir.origin"].decode()) * NANOS)
    lengths = sorted({row for row in truth_table.column("window_len_s").to_pylist()})
    expected = collections.Counter()
    copies = 0
    for row in pq.read_table(f"{sim_dir}/captures.parquet").to_pylist():
        own_pods = ipaddress.ip_network(nodes[row["node"]]["pod_cidr"])
        for nanoseconds, length, source, destination in counted_copies(f"{sim_dir}/{row['file_name']}", own_pods, ranges, node_addresses):
            copies += 1
            for window in lengths:
                start = origin + (nanoseconds - origin) // (window * NANOS) * window * NANOS
                expected[(window, start // NANOS, source, destination, "packets")] += 1
                expected[(window, start // NANOS, source, destination, "bytes")] += length
    summed = collections.Counter()
    for path in pair_tables:
        summed.update(table_totals(path))
    mismatches = compare("single-node-pairs", expected, table_totals(truth_path)) + compare("mimir-flows", expected, summed)
    print(f"{sim_dir}: {len(nodes)} nodes, {copies} copies counted, {len(expected) // 2} pair-windows, {mismatches} mismatches")
    return 1 if mismatches or not expected else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
