"""Cross-checks mimir-features against networkx and the method's definitions (mimir-method.md, section 4).

  check_features_with_networkx.py random DIR SEED
      writes DIR/pod_edges.parquet (with pyarrow, as mimir-graph would): random windows of a random
      application (services with one to six pods and a service address, outside, DNS)
  check_features_with_networkx.py check POD_EDGES FEATURES SENSITIVE
      recomputes, per window, harmonic centrality of the service graph and current-flow betweenness
      from the sensitive pods to outside (networkx), weighted reciprocity and edge variation (the
      formulas), and compares them with FEATURES; prints every mismatch and exits 1 if any"""
import json
import math
import random
import sys

import networkx as nx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def write_random(directory, seed):
    rng = random.Random(seed)
    services = [f"svc{i}" for i in range(rng.randrange(3, 7))] + ["kube-dns"]
    pods = {s: [f"{s}-{j}" for j in range(rng.randrange(1, 7))] for s in services}
    rows = {k: [] for k in ["window_len_s", "window_index", "window_start", "partial", "src", "dst", "src_kind",
                            "dst_kind", "src_service", "dst_service", "packets", "bytes"]}
    origin_us = 1_795_860_000_000_000
    for index in range(12):
        edges = set()
        for _ in range(rng.randrange(10, 60)):
            a, b = rng.sample(services, 2) if rng.random() < 0.8 else (rng.choice(services),) * 2
            kinds = rng.choice([("pod", "pod"), ("pod", "vip"), ("vip", "pod")])
            src = (rng.choice(pods[a]), "pod", a) if kinds[0] == "pod" else (f"{a}_VIP", "vip", a)
            dst = (rng.choice(pods[b]), "pod", b) if kinds[1] == "pod" else (f"{b}_VIP", "vip", b)
            if rng.random() < 0.15:
                src, dst = (src, ("outside", "outside", "outside")) if rng.random() < 0.5 else (("outside", "outside", "outside"), dst)
            if src[0] == dst[0] or (src[0], dst[0]) in edges:
                continue
            edges.add((src[0], dst[0]))
            for key, value in zip(rows, [10, index, origin_us + index * 10_000_000, index in (0, 11), src[0], dst[0], src[1], dst[1],
                                         src[2], dst[2], rng.randrange(1, 100), rng.randrange(1, 2_000_000)]):
                rows[key].append(value)
    schema = pa.schema([("window_len_s", pa.int32()), ("window_index", pa.int64()), ("window_start", pa.timestamp("us", tz="UTC")),
                        ("partial", pa.bool_()), ("src", pa.string()), ("dst", pa.string()), ("src_kind", pa.string()),
                        ("dst_kind", pa.string()), ("src_service", pa.string()), ("dst_service", pa.string()),
                        ("packets", pa.int64()), ("bytes", pa.int64())],
                       metadata={"mimir.stage": "graph", "mimir.version": "1", "mimir.schema": "1", "mimir.params": "{}",
                                 "mimir.origin": "1795860000"})
    pq.write_table(pa.table(rows, schema=schema), f"{directory}/pod_edges.parquet", compression="zstd")
    print(json.dumps({"sensitive": services[0]}))


def cv(values):
    if len(values) == 0:
        return math.nan
    mean = float(np.mean(values))
    return math.nan if mean == 0 else float(np.std(values)) / mean


def expected_features(rows, sensitive):
    """One window's features as networkx and the definitions give them: {column: value}."""
    expected = {}
    service = {}
    kind = {}
    G = nx.DiGraph()
    for e in rows:
        if e["bytes"] <= 0:
            continue
        for name, k, s in ((e["src"], e["src_kind"], e["src_service"]), (e["dst"], e["dst_kind"], e["dst_service"])):
            service[name] = "outside" if k == "outside" else (s or name)
            kind[name] = k
        G.add_edge(e["src"], e["dst"], weight=G.get_edge_data(e["src"], e["dst"], {"weight": 0})["weight"] + e["bytes"])

    # Service graph, weights normalised to sum to 1, distance 1/w; networkx reverses a DiGraph for harmonic centrality.
    C = nx.DiGraph()
    for u, v, d in G.edges(data=True):
        a, b = service[u], service[v]
        C.add_edge(a, b, weight=C.get_edge_data(a, b, {"weight": 0})["weight"] + d["weight"])
    total = sum(d["weight"] for _, _, d in C.edges(data=True))
    for u, v, d in C.edges(data=True):
        d["inverse_weight"] = total / d["weight"]
    for u, v, d in C.edges(data=True):
        expected[f"bytes_{u}_to_{v}"] = d["weight"]
    for node, value in nx.harmonic_centrality(C, distance="inverse_weight").items():
        expected[f"class_harmonic_centrality_{node}"] = value

    # Current-flow betweenness on the undirected graph's largest component, sensitive pods -> outside.
    U = nx.Graph()
    for u, v, d in G.edges(data=True):
        if u != v:
            U.add_edge(u, v, weight=U.get_edge_data(u, v, {"weight": 0})["weight"] + d["weight"])
    lcc = U.subgraph(max(nx.connected_components(U), key=len)).copy() if U.number_of_nodes() else U
    sources = [n for n in lcc if service.get(n) == sensitive and kind[n] == "pod"]
    services = sorted(set(service.values()))
    if sources and "outside" in lcc and lcc.number_of_nodes() > 2:
        cfbc = nx.current_flow_betweenness_centrality_subset(lcc, sources, ["outside"], normalized=False, weight="weight")
        for s in services:
            members = [n for n in lcc if service[n] == s and (kind[n] == "pod" or s == "outside")]
            expected[f"pods_cfbc_sub_coef_of_var_{s}"] = cv([cfbc[n] for n in members])
    else:
        for s in services:
            expected[f"pods_cfbc_sub_coef_of_var_{s}"] = math.nan

    # Reciprocity and edge variation from their definitions.
    members = {s: [n for n in service if service[n] == s] for s in services}
    for i, a in enumerate(services):
        for b in services[i:]:
            A, B = set(members[a]), set(members[b])
            if a == b:
                sub = [(u, v, d["weight"]) for u, v, d in G.edges(data=True) if u in A and v in A]
            else:
                sub = [(u, v, d["weight"]) for u, v, d in G.edges(data=True) if (u in A and v in B) or (u in B and v in A)]
            total = sum(w for _, _, w in sub)
            recip = sum(min(w, G.get_edge_data(v, u, {"weight": 0})["weight"]) for u, v, w in sub if u != v)
            expected[f"{a}_to_{b}_reciprocity"] = -1 if total == 0 else recip / total
            if a != b:
                expected[f"{a}_to_{b}_edge_coef_of_var"] = cv([w for u, v, w in sub if kind[u] != "vip"])
    return expected


def windows_of(pod_edges):
    grouped = {}
    for e in pq.read_table(pod_edges).to_pylist():
        grouped.setdefault((e["window_len_s"], e["window_index"]), []).append(e)
    return grouped


def check(pod_edges, features, sensitive):
    ours = {(r["window_len_s"], r["window_index"]): r for r in pq.read_table(features).to_pylist()}
    problems = []
    compared = 0
    grouped = windows_of(pod_edges)
    for window in sorted(grouped):
        row = ours[window]
        values = expected_features(grouped[window], sensitive)
        for name, expected in values.items():
            compared += 1
            got = row.get(name)
            if got is None:
                problems.append(f"window {window}: no column {name}")
            elif not ((math.isnan(expected) and math.isnan(got)) or math.isclose(got, expected, rel_tol=1e-7, abs_tol=1e-9)):
                problems.append(f"window {window}: {name} = {got}, expected {expected}")
        # A service pair without traffic in this window has 0 bytes, not a missing value.
        for name in row:
            if name.startswith("bytes_") and name not in values:
                compared += 1
                if row[name] != 0:
                    problems.append(f"window {window}: {name} = {row[name]}, expected 0")
    for p in problems[:40]:
        print(p)
    print(f"{len(grouped)} windows, {compared} values checked, {len(problems)} mismatches")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    if sys.argv[1] == "random":
        write_random(sys.argv[2], int(sys.argv[3]))
    else:
        check(sys.argv[2], sys.argv[3], sys.argv[4])
