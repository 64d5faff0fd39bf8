"""make bench: mimir-simulate's speed and memory (issue 4: at least a million packets per second on one
core, memory independent of the capture's length, a 1 GB capture in seconds).

Simulates Sock Shop on the three-node VXLAN cluster at a flat load of 100 users for two lengths, the
longer one writing about 1 GB, and prints packets per second, megabytes per second and peak memory
(maximum resident set size, from GNU time) of each. The simulator has no competitor (the original
needed a live cluster and hours of capture); the ratio printed is the longer run's peak memory over
the shorter one's, which stays near 1 when memory does not grow with the capture.

Times are wall-clock seconds, the best of three runs, on a shared machine; the user-CPU seconds are
printed beside them (the rest is the kernel copying the capture into the page cache)."""
import argparse
import os
import re
import subprocess
import tempfile


def run(command):
    result = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M"] + command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
    wall, user, system, rss = result.stderr.strip().splitlines()[-1].split()
    packets = re.search(r"([0-9.]+) (k|M)? ?packets \(", result.stderr)
    return float(wall), float(user), float(system), int(rss) // 1024, result.stderr


def count(text):
    value, unit = re.search(r"simulate: ([0-9.]+) ?(k|M)? packets", text).groups()
    return float(value) * {"k": 1e3, "M": 1e6, None: 1}[unit]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", required=True, help="directory of the release binaries")
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    results = {}
    with tempfile.TemporaryDirectory(prefix="mimir-simulate-bench-") as directory:
        for duration in (100, 400):
            best = None
            for _ in range(arguments.repeat):
                out = os.path.join(directory, f"sim-{duration}")
                wall, user, system, rss, text = run([os.path.join(arguments.bin, "mimir-simulate"),
                                                     "--app", os.path.join(root, "pipelines/apps/sockshop.yaml"),
                                                     "--cluster", os.path.join(root, "pipelines/clusters/three-nodes.yaml"),
                                                     "--duration", str(duration), "--users", "100", "--curve", "flat",
                                                     "--out", out])
                size = os.path.getsize(os.path.join(out, "capture.pcap"))
                if best is None or wall < best[0]:
                    best = (wall, user, system, rss, count(text), size)
            results[duration] = best
            wall, user, system, rss, packets, size = best
            print(f"mimir-simulate --duration {duration}: {packets / 1e6:.2f} M packets, {size / 1e6:.0f} MB in {wall:.2f} s "
                  f"(user {user:.2f} s, system {system:.2f} s): {packets / wall / 1e6:.2f} M packets/s wall, "
                  f"{packets / user / 1e6:.2f} M packets/s of user CPU, {size / wall / 1e6:.0f} MB/s; peak memory {rss} MB")
    short, long = results[100], results[400]
    print(f"peak memory, 4x the capture: {long[3]} MB / {short[3]} MB = {long[3] / short[3]:.2f}x")


if __name__ == "__main__":
    main()
