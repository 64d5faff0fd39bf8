"""make bench: mimir-records against mimir-flows on the same traffic (issue 19).

The simulator writes a Sock Shop capture (whole packets, uncompressed pcap) and, of the very same
packets, a flow exporter's IPFIX and Zeek's conn.log. The exporter's timeouts are 1 s (active and
idle), so that its records are many (at 60 s and 15 s a simulated hour makes too few to time);
conn.log has one line per connection whatever the timeouts.

1. Speed: mimir-flows on the capture, mimir-records on the IPFIX and on the conn.log, windows 10,60,
   in rounds (one run of each per round, the best counts: the machine's speed moves). Printed per
   packet for flows and per record for records; target: records per second at least flows' packets
   per second, for both formats.
2. Memory at a fixed duration: the same hours at 1x and 4x the users (about 4x the records); the peak
   resident memory of mimir-records on each, and its growth; target: flat (it grows with the windows
   and the pairs in them, not with the records).

Usage: records_bench.py --bin DIR [--hours H] [--users N] [--rounds R]"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

from bounds_bench import measured

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def simulate(binary, out, hours, users):
    command = [binary, "--app", f"{ROOT}/pipelines/apps/sockshop.yaml", "--cluster", f"{ROOT}/pipelines/clusters/minikube.yaml",
               "--duration", str(int(hours * 3600)), "--users", str(users), "--curve", "flat", "--ipfix", "--conn-log",
               "--active-timeout", "1", "--idle-timeout", "1", "--out", out]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"simulate failed: {result.stderr[-2000:]}")


def counted(summary_line, noun):
    """The count of `noun` in a stage's summary line (`1.47 M packets`, `20.0 k records`)."""
    match = re.search(r"([\d.]+)( [kMG])? " + noun, summary_line)
    scale = {" k": 1e3, " M": 1e6, " G": 1e9, None: 1}[match.group(2)]
    return float(match.group(1)) * scale


def summary(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {result.stderr[-2000:]}")
    return result.stderr.strip().splitlines()[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--hours", type=float, default=2)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    binary = lambda name: os.path.join(arguments.bin, name)
    with tempfile.TemporaryDirectory(dir=os.path.join(ROOT, ".build")) as scratch:
        sim = os.path.join(scratch, "sim")
        simulate(binary("mimir-simulate"), sim, arguments.hours, arguments.users)
        capture, ipfix, conn = (os.path.join(sim, name) for name in ("capture.pcap", "records.ipfix", "conn.log"))
        out = os.path.join(scratch, "out")
        jobs = {
            "flows (capture)": [binary("mimir-flows"), capture, "--windows", "10,60", "--out", out],
            "records (IPFIX)": [binary("mimir-records"), ipfix, "--windows", "10,60", "--out", out],
            "records (conn.log)": [binary("mimir-records"), conn, "--windows", "10,60", "--out", out],
        }
        counts = {"flows (capture)": counted(summary(jobs["flows (capture)"]), "packets"),
                  "records (IPFIX)": counted(summary(jobs["records (IPFIX)"]), "records"),
                  "records (conn.log)": counted(summary(jobs["records (conn.log)"]), "records")}
        best = {name: (float("inf"), 0.0) for name in jobs}
        for _ in range(arguments.rounds):
            for name, command in jobs.items():
                seconds, megabytes = measured(command)
                best[name] = min(best[name], (seconds, megabytes))
        print(f"records_bench: Sock Shop, {arguments.hours:g} h at {arguments.users} users (flat curve); sizes: capture "
              f"{os.path.getsize(capture) / 1e6:.0f} MB, IPFIX {os.path.getsize(ipfix) / 1e6:.1f} MB, conn.log {os.path.getsize(conn) / 1e6:.1f} MB")
        print(f"{'command':<20} {'items':>12} {'best s':>8} {'items/s':>12} {'peak MB':>8}")
        for name, (seconds, megabytes) in best.items():
            unit = "packets" if name.startswith("flows") else "records"
            print(f"{name:<20} {counts[name]:>12,.0f} {seconds:>8.2f} {counts[name] / seconds:>12,.0f} {megabytes:>8.0f}   ({unit})")
        packet_rate = counts["flows (capture)"] / best["flows (capture)"][0]
        for name in ("records (IPFIX)", "records (conn.log)"):
            ratio = counts[name] / best[name][0] / packet_rate
            print(f"{name}: {ratio:.2f}x flows' per-packet rate per record (target: at least 1.0x): {'met' if ratio >= 1 else 'NOT met'}")

        # Memory at a fixed duration, 1x and 4x the users.
        peaks = {}
        for factor in (1, 4):
            sim = os.path.join(scratch, f"sim-{factor}x")
            simulate(binary("mimir-simulate"), sim, arguments.hours, arguments.users * factor)
            for name in ("records.ipfix", "conn.log"):
                command = [binary("mimir-records"), os.path.join(sim, name), "--windows", "10,60", "--out", os.path.join(scratch, "m")]
                records = counted(summary(command), "records")
                peaks[(factor, name)] = (records, measured(command)[1])
            os.remove(os.path.join(sim, "capture.pcap"))
        for name in ("records.ipfix", "conn.log"):
            (low, low_peak), (high, high_peak) = peaks[(1, name)], peaks[(4, name)]
            growth = high_peak / low_peak
            print(f"memory, {name}: {low:,.0f} records {low_peak:.0f} MB; {high:,.0f} records ({high / low:.1f}x) {high_peak:.0f} MB: "
                  f"{growth:.2f}x (target: flat, within 1.1x): {'met' if growth <= 1.1 else 'NOT met'}")


if __name__ == "__main__":
    main()
