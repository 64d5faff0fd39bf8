"""Checks mimir-records' pairs table, read from the flow records the simulator wrote beside a capture,
against tshark's reading of that capture under the records' rule (docs/simulator.md, "Flow records"):
each packet counts once, at the pod interface (a veth, interface index 10 and up) that delivers it
into a pod (SLL2 packet type OUTGOING), or, for a packet going to no pod, at the veth it leaves its
pod by (its destination neither an address anything is delivered to nor in the service range).
Per directed address pair, the packets and IP bytes (ip.len, or ipv6.plen + 40) summed over all
windows of WINDOW seconds must equal the table's.

Usage: check_records_with_tshark.py CAPTURE[,CAPTURE...] CLUSTER_YAML PAIRS.parquet WINDOW
(every node's capture of a cluster: the records of every node's exporter add up to theirs)
Prints the mismatches and exits 1 if there are any."""
import collections
import ipaddress
import subprocess
import sys

import yaml

from pair_totals import mismatches, pair_totals


def packets(capture):
    """(interface, delivered into a pod, source, destination, IP length) of every veth packet."""
    fields = ["sll.ifindex", "sll.pkttype", "ip.src", "ip.dst", "ip.len", "ipv6.src", "ipv6.dst", "ipv6.plen"]
    command = ["tshark", "-n", "-r", capture, "-T", "fields", "-E", "occurrence=f", "-E", "separator=\t"]
    for field in fields:
        command += ["-e", field]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    for line in output.splitlines():
        interface, packet_type, src4, dst4, len4, src6, dst6, plen6 = line.split("\t")
        if int(interface) >= 10:
            source, destination, length = (src4, dst4, int(len4)) if src4 else (src6, dst6, int(plen6) + 40)
            yield packet_type == "4", source, destination, length


def expected_pairs(captures, cluster):
    service_range = ipaddress.ip_network(cluster["service_cidr"])
    seen = [packet for capture in captures for packet in packets(capture)]
    # A pod's address is one something is delivered to; a service address always leads to one.
    # Scans of addresses nobody owns are delivered nowhere: they count where they leave the scanner.
    pods = {destination for delivered, _, destination, _ in seen if delivered}

    def goes_to_a_pod(address):
        parsed = ipaddress.ip_address(address)
        return address in pods or (parsed.version == service_range.version and parsed in service_range)

    totals = collections.Counter()
    for delivered, source, destination, length in seen:
        if delivered or not goes_to_a_pod(destination):
            totals[(source, destination, "packets")] += 1
            totals[(source, destination, "ip_bytes")] += length
    return totals


def main(captures, cluster_path, pairs_path, window):
    with open(cluster_path) as file:
        cluster = yaml.safe_load(file)
    expected = expected_pairs(captures.split(","), cluster)
    problems = mismatches(expected, pair_totals(pairs_path, window), "tshark")
    print(f"{captures}: {len(expected) // 2} expected pairs, {sum(v for k, v in expected.items() if k[2] == 'packets')} packets, "
          f"{len(problems)} mismatches")
    return 1 if problems or not expected else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
