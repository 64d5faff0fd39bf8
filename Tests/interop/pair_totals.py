"""Shared by the records checks: a pairs table's per-pair totals, and the comparison with an oracle's."""
import collections

import pyarrow.parquet as pq


def pair_totals(pairs_path, window):
    """Per (src, dst, "packets" | "ip_bytes"): the sum over every window of WINDOW seconds."""
    totals = collections.Counter()
    for row in pq.read_table(pairs_path).to_pylist():
        if row["window_len_s"] == int(window):
            totals[(row["src"], row["dst"], "packets")] += row["packets"]
            totals[(row["src"], row["dst"], "ip_bytes")] += row["ip_bytes"]
    return totals


def mismatches(expected, got, oracle):
    """Prints up to 30 differences; returns them."""
    problems = [f"{key}: {oracle} {expected.get(key, 0)}, mimir {got.get(key, 0)}"
                for key in sorted(set(expected) | set(got), key=str) if expected.get(key, 0) != got.get(key, 0)]
    for problem in problems[:30]:
        print(problem)
    return problems
