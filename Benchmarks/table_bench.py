"""make bench: Mimir's table library against pyarrow on the same 10-million-row table.

The table (timestamps, two low-cardinality strings, four integers, two doubles) is generated once with
a fixed seed and stored uncompressed; both sides load it untimed, then write it with ZSTD at the same
level and read the result back, single-threaded, best of --repeat runs. pyarrow runs twice: with
dictionary encoding off (what Mimir writes: PLAIN) and with its defaults (dictionary on).
Targets: each of our times at most 1.5x pyarrow's, our file at most 1.2x pyarrow's size."""
import argparse
import json
import os
import subprocess
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

TIME_TARGET, SIZE_TARGET = 1.5, 1.2


def make_table(rows, seed=20261129):
    rng = np.random.default_rng(seed)
    start = 1_764_400_000_000_000
    pods = np.array([f"wordpress-{i:03d}-7d9f8c6b5-{i * 7919 % 100000:05d}" for i in range(200)], dtype=object)
    protocols = np.array(["tcp", "udp", "icmp", "sctp", "icmpv6"], dtype=object)
    return pa.table({
        "ts": pa.array(start + np.sort(rng.integers(0, 3_600_000_000, rows)), pa.timestamp("us", tz="UTC")),
        "pod": pa.array(pods[rng.integers(0, len(pods), rows)], pa.string()),
        "proto": pa.array(protocols[rng.choice(5, rows, p=[0.7, 0.2, 0.05, 0.03, 0.02])], pa.string()),
        "window_index": pa.array(np.arange(rows, dtype=np.int64) // 50_000, pa.int64()),
        "bytes": pa.array(rng.integers(40, 1_500_000, rows), pa.int64()),
        "packets": pa.array(rng.integers(1, 1_000, rows), pa.int64()),
        "port": pa.array(rng.choice([53, 80, 443, 3306, 8080, 9090], rows).astype(np.int32), pa.int32()),
        "rate": pa.array(rng.exponential(1000.0, rows), pa.float64()),
        "score": pa.array(rng.normal(0.0, 1.0, rows), pa.float64()),
    })


def best(function, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def pyarrow_side(table, path, level, dictionary, repeat):
    options = dict(compression="zstd", compression_level=level)
    if not dictionary:
        options["use_dictionary"] = False
    write_s = best(lambda: pq.write_table(table, path, **options), repeat)
    read_s = best(lambda: pq.read_table(path, use_threads=False), repeat)
    return {"write_s": write_s, "read_s": read_s, "bytes": os.path.getsize(path)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench-binary", required=True)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--level", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", default="artifacts/bench")
    arguments = parser.parse_args()
    pa.set_cpu_count(1)
    pa.set_io_thread_count(1)
    os.makedirs(arguments.dir, exist_ok=True)
    source = os.path.join(arguments.dir, f"source-{arguments.rows}.parquet")
    if not os.path.exists(source):
        pq.write_table(make_table(arguments.rows), source, compression="none", use_dictionary=False)
    table = pq.read_table(source)

    ours_path = os.path.join(arguments.dir, "mimir.parquet")
    completed = subprocess.run([arguments.bench_binary, "--source", source, "--out", ours_path,
                                "--level", str(arguments.level), "--repeat", str(arguments.repeat)],
                               check=True, capture_output=True, text=True)
    ours = json.loads(completed.stdout)
    plain = pyarrow_side(table, os.path.join(arguments.dir, "pyarrow-plain.parquet"), arguments.level, False, arguments.repeat)
    default = pyarrow_side(table, os.path.join(arguments.dir, "pyarrow-default.parquet"), arguments.level, True, arguments.repeat)

    print(f"table: {arguments.rows:,} rows ({', '.join(table.column_names)}), ZSTD level {arguments.level}, "
          f"single-threaded, best of {arguments.repeat}; pyarrow {pa.__version__}")
    print(f"{'':28}{'write s':>10}{'read s':>10}{'size MB':>10}")
    print(f"{'mimir (PLAIN)':28}{ours['write_s']:>10.3f}{ours['read_s']:>10.3f}{ours['bytes'] / 1e6:>10.1f}")
    failures = 0
    for name, theirs in (("pyarrow, dictionary off", plain), ("pyarrow, defaults", default)):
        print(f"{name:28}{theirs['write_s']:>10.3f}{theirs['read_s']:>10.3f}{theirs['bytes'] / 1e6:>10.1f}")
    for name, theirs in (("pyarrow, dictionary off", plain), ("pyarrow, defaults", default)):
        ratios = (ours["write_s"] / theirs["write_s"], ours["read_s"] / theirs["read_s"], ours["bytes"] / theirs["bytes"])
        verdicts = [ratios[0] <= TIME_TARGET, ratios[1] <= TIME_TARGET, ratios[2] <= SIZE_TARGET]
        failures += verdicts.count(False)
        marks = ["ok" if v else "MISSED" for v in verdicts]
        print(f"mimir / {name:20} write {ratios[0]:.2f}x ({marks[0]}, target {TIME_TARGET}x)  "
              f"read {ratios[1]:.2f}x ({marks[1]}, target {TIME_TARGET}x)  size {ratios[2]:.2f}x ({marks[2]}, target {SIZE_TARGET}x)")
    print("all targets met" if failures == 0 else f"{failures} targets missed")


if __name__ == "__main__":
    main()
