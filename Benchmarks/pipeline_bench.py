"""make bench: the training pipeline end to end on simulated Sock Shop captures of growing size (1, 4
and 16 GB by default: longer captures at the same load, whole packets as `tcpdump -i any` keeps them).
The window-dependent steps also get their CPU time per window per rate (graph's per window: it runs
once for every rate), all of them together per window and rate (graph's share spread over the rates),
and their peak memory per window, so that their growth with the windows shows.

For every size it runs pipelines/sockshop-train.yaml's steps (simulate, split, flows per shard, graph,
inject and features per rate, fit, score, report) through the runner and reads, from each job's line
(`ran in X s (Y s CPU, Z MB peak)`, the kernel's accounting of the stage process), every step's wall
time (its jobs' summed, as one core would take them), CPU time and peak memory (the largest of its
jobs'). It prints them with the capture stages' throughput in MB/s and packets per second, and, from
the second size on, each step's growth against the first size's: time that grows with the capture
(about the size ratio) and memory that does not (about 1) are what scale. Each size's artifacts are
deleted before the next (44 GB are free on these machines; with split's index a size needs its capture
once, 16 GB at most).

Usage: pipeline_bench.py --bin DIR [--sizes 1,4,16] [--dir artifacts/bench-pipeline] [--jobs 2] [--keep]"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
JOB_LINE = re.compile(r"^mimir: (\S+): ran in (\S+)( s|) \(([\d.]+) s CPU, ([\d.]+) MB peak\)")
STAGE_ORDER = ["simulate", "split", "flows", "graph", "inject", "features", "fit", "score", "report"]


def seconds(text, unit):
    """The runner's duration: `12.3` with ` s`, or `m:ss`."""
    if unit:
        return float(text)
    minutes, rest = text.split(":")
    return int(minutes) * 60 + int(rest)


def pipeline_text(duration):
    """sockshop-train.yaml with the capture's duration replaced, its input paths made absolute."""
    with open(os.path.join(ROOT, "pipelines", "sockshop-train.yaml")) as f:
        text = f.read()
    text = re.sub(r"params: \{duration: \d+,", f"params: {{duration: {duration},", text, count=1)
    text = text.replace("pipeline: sockshop-train", "pipeline: bench-train")
    return re.sub(r"(: )pipelines/", r"\1" + os.path.join(ROOT, "pipelines") + "/", text)


def bytes_per_second(arguments):
    """The simulated capture's bytes per second at sockshop-train's load, from a ten-minute run."""
    scratch = os.path.join(arguments.dir, "calibration")
    shutil.rmtree(scratch, ignore_errors=True)
    subprocess.run([os.path.join(arguments.bin, "mimir-simulate"), "--app", os.path.join(ROOT, "pipelines/apps/sockshop.yaml"),
                    "--cluster", os.path.join(ROOT, "pipelines/clusters/minikube.yaml"), "--duration", "600", "--users", "10",
                    "--seed", "1", "--out", scratch], check=True, capture_output=True)
    rate = os.path.getsize(os.path.join(scratch, "capture.pcap")) / 600
    shutil.rmtree(scratch)
    return rate


def run_size(arguments, gigabytes, rate):
    """Runs the pipeline on a capture of about `gigabytes` GB; returns (capture bytes, packets, steps)."""
    work = os.path.join(arguments.dir, f"{gigabytes}GB")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    duration = int(gigabytes * 1e9 / rate)
    pipeline = os.path.join(work, "bench-train.yaml")
    with open(pipeline, "w") as f:
        f.write(pipeline_text(duration))
    completed = subprocess.run([os.path.join(arguments.bin, "mimir"), "run", "--artifacts", os.path.join(work, "artifacts"),
                                "--stages", os.path.join(ROOT, "stages"), "--bin", arguments.bin, "-j", str(arguments.jobs), pipeline],
                               capture_output=True, text=True, cwd=ROOT)
    if completed.returncode != 0:
        sys.exit(f"the pipeline failed on {gigabytes} GB:\n{completed.stderr[-3000:]}")
    steps = {}
    for line in completed.stderr.splitlines():
        match = JOB_LINE.match(line)
        if not match:
            continue
        step = re.split(r"[@#]", match.group(1))[0]
        wall, cpu, peak = seconds(match.group(2), match.group(3)), float(match.group(4)), float(match.group(5))
        total = steps.setdefault(step, [0.0, 0.0, 0.0])
        total[0] += wall
        total[1] += cpu
        total[2] = max(total[2], peak)
    capture = os.path.join(work, "artifacts", "bench-train", "simulate", "capture.pcap")
    size = os.path.getsize(capture) if os.path.exists(capture) else 0
    packets = count_packets(os.path.join(work, "artifacts", "bench-train", "flows"))
    windows = count_windows(os.path.join(work, "artifacts", "bench-train", "features"))
    if not arguments.keep:
        shutil.rmtree(work)
    return size, packets, windows, steps


def count_packets(flows_directory):
    """Packets read by every shard's flows run (their summary tables' `packets` counter)."""
    import pyarrow.parquet as pq
    total = 0
    for path in glob.glob(os.path.join(flows_directory, "*", "summary.parquet")):
        table = pq.read_table(path).to_pydict()
        total += sum(value for counter, value in zip(table["counter"], table["value"]) if counter == "packets")
    return total


def count_windows(features_directory):
    """(windows of every length, rates): a features table's rows, and how many rates have one."""
    import pyarrow.parquet as pq
    tables = sorted(glob.glob(os.path.join(features_directory, "*", "features.parquet")))
    return (pq.read_metadata(tables[0]).num_rows if tables else 0), len(tables)


# The steps whose work follows the windows, and whether they run once per rate (fit takes every rate at once).
WINDOW_STEPS = {"graph": False, "inject": True, "features": True, "fit": True, "score": True}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True, help="directory of the release binaries")
    parser.add_argument("--sizes", default="1,4,16", help="capture sizes in GB, comma-separated")
    parser.add_argument("--dir", default="artifacts/bench-pipeline")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--keep", action="store_true", help="keep each size's artifacts")
    arguments = parser.parse_args()
    arguments.dir = os.path.abspath(arguments.dir)
    os.makedirs(arguments.dir, exist_ok=True)
    rate = bytes_per_second(arguments)
    print(f"Sock Shop at 10 users: {rate / 1e6:.2f} MB of capture per simulated second")
    results = []
    for gigabytes in [float(size) for size in arguments.sizes.split(",")]:
        size, packets, (windows, rates), steps = run_size(arguments, gigabytes, rate)
        results.append((gigabytes, size, packets, steps))
        print(f"\n{size / 1e9:.2f} GB capture, {packets:,} packets, {windows:,} windows (every length), {rates} rates")
        print(f"{'step':12}{'wall s':>10}{'CPU s':>10}{'peak MB':>10}{'MB/s':>10}{'packets/s':>14}"
              f"{'CPU ms/window/rate':>20}{'peak KB/window':>16}")
        for step in [s for s in STAGE_ORDER if s in steps]:
            wall, cpu, peak = steps[step]
            cells = (f"{size / 1e6 / wall:>10.0f}{packets / wall:>14,.0f}" if step in ("split", "flows") and wall > 0 else f"{'':>24}")
            if step in WINDOW_STEPS and windows > 0:
                # graph runs once for all rates; fit once over every rate's windows.
                per = windows * (rates if WINDOW_STEPS[step] else 1)
                cells += f"{cpu * 1000 / per:>20.3f}{peak * 1024 / windows:>16.1f}"
            print(f"{step:12}{wall:>10.1f}{cpu:>10.1f}{peak:>10.0f}{cells}")
        if windows > 0 and rates > 0:
            # The figure of issue 21's goal: every window step's CPU over windows times rates (graph's once).
            total = sum(steps[s][1] for s in WINDOW_STEPS if s in steps) * 1000 / (windows * rates)
            print(f"{'window steps':12}{'':>40}{total:>38.3f}")
        after = [s for s in STAGE_ORDER if s in steps and s != "simulate"]
        wall = sum(steps[s][0] for s in after)
        print(f"{'from split':12}{wall:>10.1f}{sum(steps[s][1] for s in after):>10.1f}{'':>10}{size / 1e6 / wall:>10.0f}{packets / wall:>14,.0f}")
    if len(results) > 1:
        first = results[0]
        print(f"\ngrowth against the {first[1] / 1e9:.2f} GB capture (capture size ratio, then per step: time, CPU, peak memory)")
        for gigabytes, size, packets, steps in results[1:]:
            cells = []
            # The runner prints tenths of a second: a step it timed at 0.0 s has no growth to show.
            grown = lambda a, b, digits: f"{b / a:.{digits}f}x" if a >= 0.05 else "-"
            for step in [s for s in STAGE_ORDER if s in steps and s in first[3]]:
                a, b = first[3][step], steps[step]
                cells.append(f"{step} {grown(a[0], b[0], 1)}/{grown(a[1], b[1], 1)}/{grown(a[2], b[2], 2)}")
            print(f"{size / first[1]:.1f}x size: " + ", ".join(cells))


if __name__ == "__main__":
    main()
