"""Inputs for mimir-report's tests, written with pyarrow (independently of our writer), and the
checks of what mimir-report wrote.

  report_fixture.py make DIR    writes scores, evaluation, roc, service edges and paths tables for
                                two rates, model.json and a features table; service, path and feature
                                names carry HTML ('<script>alert(1)</script>', 'a&b') to test escaping
  report_fixture.py check DIR OUT
                                compares OUT's figure tables with what pyarrow computes from DIR's
                                inputs; prints 'N mismatches'
"""
import json
import sys
from datetime import datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.parquet as pq

EVIL = "<script>alert(1)</script>"
RATES = [1.0, 0.1]
METHODS = ["mimir", "ide_kashima", "allow_list"]
START = datetime(2026, 11, 28, 10, 0, tzinfo=timezone.utc)


def meta(stage, params="{}"):
    return {"mimir.stage": stage, "mimir.version": "1", "mimir.schema": "1", "mimir.params": params}


def write(table, path, stage, params="{}"):
    pq.write_table(table.replace_schema_metadata(meta(stage, params)), path, compression="zstd", use_dictionary=False)


def make(d):
    for rate in RATES:
        rows = []
        for model, length, count in [("10", 10, 120), ("60", 60, 20), ("fused", 60, 20)]:
            for method in (["mimir"] if model == "fused" else METHODS):
                for index in range(count):
                    attacked = index % 5 == 1
                    path = (index // 5) % 2 if attacked else -1
                    score = (0.9 if attacked else 0.2) + ((index * 37 + len(method)) % 10) / 25 - (0.3 if index % 7 == 0 else 0)
                    rows.append({"rate_mb_per_min": rate, "model": model, "method": method, "window_len_s": length, "window_index": index,
                                 "window_start": START + timedelta(seconds=index * length), "score": score, "threshold": 0.6,
                                 "alert": score > 0.6, "label": attacked, "kind": "exfil" if attacked else "none", "path_id": path,
                                 "is_test": index >= count // 2})
        schema = pa.schema([("rate_mb_per_min", pa.float64()), ("model", pa.string()), ("method", pa.string()), ("window_len_s", pa.int32()),
                            ("window_index", pa.int64()), ("window_start", pa.timestamp("us", tz="UTC")), ("score", pa.float64()),
                            ("threshold", pa.float64()), ("alert", pa.bool_()), ("label", pa.bool_()), ("kind", pa.string()),
                            ("path_id", pa.int32()), ("is_test", pa.bool_())])
        write(pa.Table.from_pylist(rows, schema=schema), f"{d}/scores_{rate}.parquet", "score")
        evaluation, roc = [], []
        for model in ["10", "60", "fused"]:
            for method in (["mimir"] if model == "fused" else METHODS):
                for kind in ["all", "exfil"]:
                    seed = len(model) * 7 + len(method) + int(rate * 10)
                    evaluation.append({"rate_mb_per_min": rate, "kind": kind, "model": model, "method": method, "threshold": 0.6,
                                       "tp": seed, "fp": 3, "tn": 40, "fn": 2, "tpr": 0.8, "fpr": 0.07, "f1": 0.5 + seed / 100,
                                       "oracle_threshold": 0.7, "oracle_tp": seed + 1, "oracle_fp": 2, "oracle_tn": 41, "oracle_fn": 1,
                                       "oracle_tpr": 0.9, "oracle_fpr": 0.05, "oracle_f1": 0.6 + seed / 100, "roc_auc": 0.7 + seed / 200,
                                       "average_precision": 0.65})
                    for step in range(6):
                        roc.append({"rate_mb_per_min": rate, "kind": kind, "model": model, "method": method, "fpr": step / 5,
                                    "tpr": min(1.0, (step / 5) ** 0.5), "threshold": 1 - step / 5})
        write(pa.Table.from_pylist(evaluation), f"{d}/evaluation_{rate}.parquet", "score")
        write(pa.Table.from_pylist(roc), f"{d}/roc_{rate}.parquet", "score")
        edges = []
        for length, count in [(10, 120), (60, 20)]:
            for index in range(count):
                for src, dst, size in [("front", "db", 5000), ("db", "front", 90000), (EVIL, "db", 700 + index * 10), ("a&b", "outside", 1200),
                                       ("db", "outside", 300000 if index % 5 == 1 else 100)]:
                    edges.append({"window_len_s": length, "window_index": index, "window_start": START + timedelta(seconds=index * length),
                                  "partial": False, "src": src, "dst": dst, "packets": 10, "bytes": size * length})
        edge_schema = pa.schema([("window_len_s", pa.int32()), ("window_index", pa.int64()), ("window_start", pa.timestamp("us", tz="UTC")),
                                 ("partial", pa.bool_()), ("src", pa.string()), ("dst", pa.string()), ("packets", pa.int64()), ("bytes", pa.int64())])
        write(pa.Table.from_pylist(edges, schema=edge_schema), f"{d}/service_edges_{rate}.parquet", "inject")
    paths = pa.Table.from_pylist([{"path_id": 0, "kind": "exfil", "path": "db_pod>internet", "train_attacks": 2, "test_attacks": 2},
                                  {"path_id": 1, "kind": "exfil", "path": f"db_pod>{EVIL}_vip>{EVIL}_pod>internet", "train_attacks": 2, "test_attacks": 2}],
                                 schema=pa.schema([("path_id", pa.int32()), ("kind", pa.string()), ("path", pa.string()),
                                                   ("train_attacks", pa.int32()), ("test_attacks", pa.int32())]))
    write(paths, f"{d}/paths.parquet", "inject", json.dumps({"seed": 7, "sensitive": "db"}))
    features = [f"fanout_{EVIL}", "into_dns_ratio", "fanout_db"]
    model = {"schema": 1, "stage": "fit", "version": "1", "thresholdRule": "best-f1", "rates": RATES, "allowList": ["front>db"],
             "perLength": [{"windowLength": length, "alpha": 0.01, "intercept": 0.5, "threshold": 0.6, "ideThreshold": 0.1, "features": features,
                            "coefficients": [0.25, 0.0, -0.125], "medians": [0, 0, 0], "scaler": {"centers": [0, 0, 0], "scales": [1, 1, 1]}}
                           for length in (10, 60)],
             "fusion": {"alpha": 0.001, "coefficients": [0.5, 0.5], "intercept": 0.0, "lengths": [10, 60], "threshold": 0.6}}
    with open(f"{d}/model.json", "w") as out:
        json.dump(model, out)
    table = pa.table({"window_len_s": pa.array([10], pa.int32())})
    pq.write_table(table.replace_schema_metadata({**meta("features"), "mimir.features": json.dumps(
        {f"fanout_{EVIL}": "distinct <b>destinations</b>", "fanout_db": "distinct destinations"})}), f"{d}/features.parquet")


def check(d, out):
    mismatches = 0

    def expect(what, ours, theirs):
        nonlocal mismatches
        if ours != theirs:
            mismatches += 1
            print(f"MISMATCH {what}: ours {ours}, pyarrow {theirs}")

    # Confusion per period and target, computed here from the scores.
    ours = {(r["model"], r["rate_mb_per_min"], r["period"], r["target"].split(" (")[0]): (r["tp"], r["fp"], r["tn"], r["fn"])
            for r in pq.read_table(f"{out}/report_confusion.parquet").to_pylist()}
    theirs = {}
    for rate in RATES:
        for r in pq.read_table(f"{d}/scores_{rate}.parquet").to_pylist():
            if r["method"] != "mimir":
                continue
            target = "benign" if not r["label"] else (f"path {r['path_id']}" if r["path_id"] >= 0 else f"real {r['kind']}")
            key = (r["model"], rate, "test" if r["is_test"] else "training", target)
            tp, fp, tn, fn = theirs.get(key, (0, 0, 0, 0))
            theirs[key] = (tp + (r["alert"] and r["label"]), fp + (r["alert"] and not r["label"]),
                           tn + (not r["alert"] and not r["label"]), fn + (not r["alert"] and r["label"]))
    expect("confusion keys", sorted(ours), sorted(theirs))
    for key in theirs:
        expect(f"confusion {key}", ours.get(key), theirs[key])
    # The rates figure repeats evaluation.parquet's numbers for the headline models.
    headline = {"mimir": "fused", "ide_kashima": "60", "allow_list": "60"}
    rates = {(r["rate_mb_per_min"], r["kind"], r["method"]): r for r in pq.read_table(f"{out}/report_rates.parquet").to_pylist()}
    for rate in RATES:
        for r in pq.read_table(f"{d}/evaluation_{rate}.parquet").to_pylist():
            if r["model"] != headline[r["method"]]:
                continue
            mine = rates.get((rate, r["kind"], r["method"]))
            expect(f"rates {rate} {r['kind']} {r['method']}", mine and (mine["f1"], mine["oracle_f1"], mine["roc_auc"], mine["fp"]),
                   (r["f1"], r["oracle_f1"], r["roc_auc"], r["fp"]))
    # Recall per path: alerted over attacked test windows of the headline model.
    for r in pq.read_table(f"{out}/report_path_recall.parquet").to_pylist():
        rows = [s for s in pq.read_table(f"{d}/scores_{r['rate_mb_per_min']}.parquet").to_pylist()
                if s["model"] == headline[r["method"]] and s["method"] == r["method"] and s["is_test"] and s["label"]
                and f"path {s['path_id']}" == r["target"].split(" (")[0]]
        expect(f"recall {r['rate_mb_per_min']} {r['method']} {r['target']}", round(r["recall"], 12), round(sum(s["alert"] for s in rows) / len(rows), 12))
    # Incidents of the fused stream at the focus rate: runs of alerting test windows, at most ten minutes
    # (ten 60 s windows) each, counted here from the scores.
    focus = 1.0 if 1.0 in RATES else RATES[0]
    alerting = sorted(s["window_index"] for s in pq.read_table(f"{d}/scores_{focus}.parquet").to_pylist()
                      if s["model"] == "fused" and s["method"] == "mimir" and s["is_test"] and s["alert"])
    spans = []
    for index in alerting:
        if spans and spans[-1][1] == index - 1 and index - spans[-1][0] < 10:
            spans[-1][1] = index
        else:
            spans.append([index, index])
    listed = [[r["first_window"], r["last_window"]] for r in pq.read_table(f"{out}/report_alerts.parquet").to_pylist()]
    expect("incidents", listed, spans[:100])
    # Graph: bytes per service pair over the longest windows of the highest rate.
    graph = {(r["src"], r["dst"]): r["bytes"] for r in pq.read_table(f"{out}/report_graph.parquet").to_pylist()}
    totals = {}
    for e in pq.read_table(f"{d}/service_edges_{max(RATES)}.parquet").to_pylist():
        if e["window_len_s"] == 60:
            totals[(e["src"], e["dst"])] = totals.get((e["src"], e["dst"]), 0) + e["bytes"]
    expect("graph", graph, totals)
    print(f"{mismatches} mismatches")
    return 1 if mismatches else 0


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        sys.exit(check(sys.argv[2], sys.argv[3]))
