"""The detection-quality benchmark (`make quality`): Benchmarks/quality.yaml's captures as pipelines,
run by `mimir run`, and one table of what an operator gets from each method at the alert budget.

  quality.py --bin .build/release [--seeds held-out|development] [--only APP] [--scale F] [--jobs N] [--force STEP]

For each seed set it writes the pipelines into artifacts/quality/<set>/pipelines/, runs them (the
runner skips what is fresh, and drops each capture and its shards once read), then reads every
scores.parquet and writes artifacts/quality/<set>/quality.parquet and quality.md. --scale shrinks
every capture (for the test's small version); figures at another scale are not the benchmark's.

Per application, condition, rate, kind and method: ROC AUC and average precision over windows;
recall per event at the method's own threshold (an event is found when one of the method's incidents
overlaps a window it labels), with a Clopper-Pearson 95% interval; false incidents per day on the
benign captures with an exact Poisson (Garwood) 95% interval, and the alerted share of benign windows
with a Clopper-Pearson interval; and the counts each figure rests on. An incident is a run of
consecutive alerting windows of one stream, at most ten minutes long (docs/model.md). `operator` is
what an operator is alerted from (its methods' union: by default the load residuals or novelty); `mimir`
is the supervised model alone (the model's operatorStream); the load residuals, novelty and the
baselines use the longest windows. load_sweep.svg draws the operator's recall of injected
exfiltration and its false incidents a day against the sweep's load ratio.
"""
import argparse
import json
import os
import subprocess
import sys
from collections import defaultdict

import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from scipy.stats import beta, chi2
from sklearn.metrics import average_precision_score, roc_auc_score

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
CLUSTER = "pipelines/clusters/minikube.yaml"
METHODS = ["operator", "mimir", "load", "ide_kashima", "allow_list", "novelty"]
INCIDENT_SECONDS = 600


def number(value):
    """A sweep value as the runner names its directory."""
    return str(int(value)) if float(value) == int(value) else str(value)


class Plan:
    """The pipelines of one seed set, as dictionaries ready for YAML."""

    def __init__(self, config, seed_set, scale, only):
        self.config, self.set, self.scale = config, seed_set, scale
        self.base = int(config["seeds"][seed_set])
        self.prefix = f"q-{seed_set}"
        self.pipelines = {}
        for index, (name, app) in enumerate(config["applications"].items()):
            if only and name not in only:
                continue
            self.application(index, name, app)
        sweep = config["load_sweep"]
        if not only or sweep["application"] in only:
            self.load_sweep(sweep)

    def seconds(self, hours):
        return max(600, int(round(hours * 3600 * self.scale)))

    def seed(self, *parts):
        return self.base * 100_000 + sum(part * 10 ** (3 - i) for i, part in enumerate(parts))

    @staticmethod
    def variants(app):
        return [(name, policy, "" if i == 0 else "_" + name.split("-")[-1]) for i, (name, policy) in
                enumerate((app.get("policies") or {app["_name"]: None}).items())]

    def capture_steps(self, app, seed, hours, events=False, users=None, curve=None, mix=None):
        c = self.config
        params = {"duration": self.seconds(hours), "users": users or c["users"], "seed": seed, "snaplen": c["snaplen"]}
        if curve:
            params["curve"] = curve
        if mix:
            params["mix"] = mix
        inputs = {"app": "app", "cluster": "cluster"}
        if events:
            inputs["events"] = "events"
        if app.get("records"):
            # The same traffic's flow records in place of the capture (docs/records.md), in IP bytes.
            kind = app["records"]
            return {
                "simulate": {"inputs": inputs, "params": dict(params, **{kind: True}), "transient": ["capture"]},
                "records": {"inputs": {"records": f"simulate.{kind}"}, "params": {"windows": c["windows"]}},
                "graph": {"inputs": {"pairs": "records.pairs", "entities": "simulate.entities", "cluster": "simulate.cluster"},
                          "params": {"bytes": "ip"}},
            }
        if app.get("every_node"):
            # Every node's capture, each split and counted on its own under the node rule.
            return {
                "simulate": {"inputs": inputs, "params": dict(params, every_node=True), "transient": True},
                "split": {"shards": "simulate", "params": {"interval": c["shard_seconds"], "align": True}, "transient": True},
                "flows": {"shards": "split", "inputs": {"cluster": "simulate.cluster"}, "params": {"windows": c["windows"]}},
                "graph": {"inputs": {"pairs": "flows.pairs", "entities": "simulate.entities", "cluster": "simulate.cluster"}},
            }
        return {
            "simulate": {"inputs": inputs, "params": params, "transient": ["capture"]},
            "split": {"inputs": {"capture": "simulate.capture"}, "params": {"interval": c["shard_seconds"]}, "transient": True},
            "flows": {"shards": "split", "params": {"windows": c["windows"]}},
            "graph": {"inputs": {"pairs": "flows.pairs", "entities": "simulate.entities", "cluster": "simulate.cluster"}},
        }

    @staticmethod
    def features_step(app, suffix, reference):
        """Features of one injection variant's graph, the flows naming behaviour, `reference` the known edges."""
        return {"stage": "features", "over": "rate", "params": {"sensitive": app["sensitive"]}, "inputs": {
            "pod_edges": f"inject{suffix}.pod_edges", "reference": reference, "flows": "records.flows" if app.get("records") else "flows.flows",
            "entities": "simulate.entities", "cluster": "simulate.cluster"}}

    def inputs(self, app, policies, events=False):
        files = {"app": app["app"], "cluster": app.get("cluster", CLUSTER)}
        if events:
            files["events"] = app["plan"]
        for name, policy, suffix in policies:
            if policy:
                files["policy" + suffix] = policy
        return files

    def application(self, index, name, app):
        c = self.config
        app = dict(app, _name=name)
        if app.get("same_traffic_as"):
            # The seeds of another application's captures: the same traffic, seen another way.
            index = list(c["applications"]).index(app["same_traffic_as"])
        variants = self.variants(app)
        train = f"{self.prefix}-{name}-train"
        steps = self.capture_steps(app, self.seed(index, 0, 1), c["training_hours"])
        for variant, policy, suffix in variants:
            inject = {"over": "rate", "inputs": {"pod_edges": "graph.pod_edges", "truth": "simulate.truth"},
                      "params": {"sensitive": app["sensitive"], "seed": self.base, "train_fraction": 1}}
            if policy:
                inject["inputs"]["policy"] = "policy" + suffix
            steps["inject" + suffix] = dict(inject, stage="inject")
            steps["features" + suffix] = self.features_step(app, suffix, reference="graph.pod_edges")
            steps["fit" + suffix] = {"stage": "fit", "inputs": {"features": f"features{suffix}.features", "labels": f"inject{suffix}.labels",
                                                                 "service_edges": "graph.service_edges"},
                                      "params": {"estimator": c["estimator"], "threshold": f"budget:{c['budget_per_day']}"}}
        self.add(train, self.inputs(app, variants), {"rate": [number(r) for r in c["rates"]]}, steps)
        for i in range(app.get("benign_captures", c["benign_captures"])):
            injected = i < c["injected_captures"]
            rates = [0] + (c["rates"] if injected else [])
            self.evaluation(f"{self.prefix}-{name}-benign-{i + 1}", app, variants, train, self.seed(index, 1, i), c["capture_hours"],
                            rates, condition="1.0x", injection=dict(c["injection"], known_pairs_only=(i % 2 == 1)) if injected else None)
        for i in range(app.get("event_captures", c["event_captures"])):
            self.evaluation(f"{self.prefix}-{name}-events-{i + 1}", app, variants, train, self.seed(index, 2, i), c["event_hours"], [0],
                            condition="1.0x", events=True)

    def load_sweep(self, sweep):
        c = self.config
        name = sweep["application"]
        app = dict(c["applications"][name], _name=name)
        variants = self.variants(app)[:1]
        train = f"{self.prefix}-{name}-train"
        captures = max(1, int(round(sweep["hours"] / c["capture_hours"])))
        for k, (condition, setting) in enumerate(sweep["conditions"].items()):
            users = int(round(c["users"] * setting.get("users_factor", 1.0)))
            for i in range(captures):
                # One seed per capture position, the same under every condition: the comparison is paired.
                # A pipeline's name names a directory: no dots (load-0.4 becomes load-0_4).
                # The second capture of each condition only over service pairs the application already uses, as
                # at 1.0x: what the load moves is the bytes on known pairs.
                self.evaluation(f"{self.prefix}-sweep-{condition.replace('.', '_')}-{i + 1}", app, variants, train, self.seed(9, 0, i), c["capture_hours"],
                                [0] + sweep["rates"], condition=condition, injection=dict(c["injection"], known_pairs_only=(i % 2 == 1)), users=users,
                                curve=setting.get("curve"), mix=setting.get("mix"), application=name)

    def evaluation(self, pipeline, app, variants, train, seed, hours, rates, condition, injection=None, events=False,
                   users=None, curve=None, mix=None, application=None):
        c = self.config
        steps = self.capture_steps(app, seed, hours, events=events, users=users, curve=curve, mix=mix)
        for variant, policy, suffix in variants:
            params = {"sensitive": app["sensitive"], "seed": self.base, "train_fraction": 0}
            if injection:
                params.update({"hop_delay": injection["hop_delay"], "hop_bytes": injection["hop_bytes"],
                               "test_attack_fraction": injection["test_attack_fraction"],
                               "known_pairs_only": bool(injection.get("known_pairs_only", False))})
            inject = {"stage": "inject", "over": "rate", "inputs": {"pod_edges": "graph.pod_edges", "truth": "simulate.truth"}, "params": params}
            if policy:
                inject["inputs"]["policy"] = "policy" + suffix
            steps["inject" + suffix] = inject
            steps["features" + suffix] = self.features_step(app, suffix, reference=f"{train}:graph.pod_edges")
            steps["score" + suffix] = {"stage": "score", "over": "rate", "inputs": {
                "model": f"{train}:fit{suffix}.model", "features": f"features{suffix}.features",
                "service_edges": f"inject{suffix}.service_edges", "labels": f"inject{suffix}.labels"}}
        meta = {"condition": condition, "train": train, "variants": [(v, s) for v, _, s in variants], "rates": rates,
                "kind": "events" if events else ("injected" if injection else "benign"), "application": application or app["_name"]}
        self.add(pipeline, self.inputs(app, variants, events), {"rate": [number(r) for r in rates]}, steps, meta)

    def add(self, name, inputs, sweeps, steps, meta=None):
        self.pipelines[name] = ({"pipeline": name, "help": "The quality benchmark (Benchmarks/quality.yaml).", "inputs": inputs,
                                 "sweeps": sweeps, "steps": steps}, meta)


def garwood(count, exposure):
    """The exact Poisson 95% interval of a rate: count events over exposure."""
    low = chi2.ppf(0.025, 2 * count) / 2 if count > 0 else 0.0
    high = chi2.ppf(0.975, 2 * count + 2) / 2
    return low / exposure, high / exposure


def clopper_pearson(successes, trials):
    if trials == 0:
        return float("nan"), float("nan")
    low = beta.ppf(0.025, successes, trials - successes + 1) if successes > 0 else 0.0
    high = beta.ppf(0.975, successes + 1, trials - successes) if successes < trials else 1.0
    return float(low), float(high)


def incidents(indices, length):
    """Spans [first, last] of consecutive alerting window indices, each at most ten minutes."""
    per = max(1, INCIDENT_SECONDS // length)
    spans = []
    for index in sorted(set(indices)):
        if spans and spans[-1][1] == index - 1 and index - spans[-1][0] < per:
            spans[-1][1] = index
        else:
            spans.append([index, index])
    return spans


def service_pairs(template):
    """The service pairs an attack path template crosses (`a_pod>b_vip>b_pod>internet`)."""
    nodes = ["outside" if n == "internet" else n.rsplit("_", 1)[0] for n in template.split(">")]
    return {f"{a}>{b}" for a, b in zip(nodes, nodes[1:]) if a != b}


class Collector:
    """Pools every score table of the plan into cells and computes the table."""

    def __init__(self, artifacts, plan):
        self.artifacts, self.plan = artifacts, plan
        self.windows = defaultdict(lambda: {"scores": [], "labels": []})   # cell -> window scores and labels (AUC, AP)
        self.events = defaultdict(lambda: [0, 0])                          # cell -> [found, events]
        self.benign = defaultdict(lambda: [0, 0, 0, 0])    # (app, condition, method) -> [incidents, windows, seconds, alerting windows]

    def collect(self):
        for name, (_, meta) in self.plan.pipelines.items():
            if meta is None:
                continue
            for variant, suffix in meta["variants"]:
                with open(f"{self.artifacts}/{meta['train']}/fit{suffix}/model.json") as model_file:
                    model = json.load(model_file)
                allowed = set(model["allowList"])
                for rate in meta["rates"]:
                    directory = f"{self.artifacts}/{name}/score{suffix}/{number(rate)}"
                    paths = {}
                    if meta["kind"] == "injected" and rate > 0:
                        table = pq.read_table(f"{self.artifacts}/{name}/inject{suffix}/{number(rate)}/paths.parquet").to_pylist()
                        paths = {row["path_id"]: ("known pairs" if service_pairs(row["path"]) <= allowed else "adds pairs")
                                 for row in table if row["kind"] == "exfil"}
                    self.add(variant, meta, rate, model, pq.read_table(f"{directory}/scores.parquet").to_pylist(), paths)

    def add(self, application, meta, rate, model, rows, paths):
        condition = meta["condition"]
        for method in METHODS:
            stream = {"operator": "operator", "mimir": model.get("operatorStream")}.get(method, str(max(p["windowLength"] for p in model["perLength"])))
            if stream is None:
                continue
            chosen = [r for r in rows if r["method"] == method and r["model"] == stream and r["is_test"]]
            if not chosen:
                continue
            length = chosen[0]["window_len_s"]
            spans = incidents([r["window_index"] for r in chosen if r["alert"]], length)
            alerting = {i for first, last in spans for i in range(first, last + 1)}
            if meta["kind"] == "benign" or (meta["kind"] == "injected" and rate == 0):
                cell = self.benign[(application, condition, method)]
                cell[0] += len(spans)
                cell[1] += len(chosen)
                cell[2] += len(chosen) * length
                cell[3] += sum(1 for r in chosen if r["alert"])
            if rate == 0 and meta["kind"] != "events":
                continue
            # Per labelled event: found when an incident covers one of its windows.
            by_event = defaultdict(lambda: [None, set()])
            for r in chosen:
                if r["label"] and r["event_id"] >= 0:
                    kind = r["kind"] if r["kind"] != "exfil" or rate == 0 else paths.get(r["path_id"], "adds pairs")
                    by_event[r["event_id"]][0] = kind
                    by_event[r["event_id"]][1].add(r["window_index"])
            kinds = {kind for kind, _ in by_event.values()}
            for kind in kinds:
                key = (application, condition, number(rate), kind, method)
                for event_kind, windows in by_event.values():
                    if event_kind == kind:
                        self.events[key][1] += 1
                        self.events[key][0] += bool(windows & alerting)
                unlabelled = [r for r in chosen if not r["label"]]
                labelled = [r for r in chosen if r["label"] and r["event_id"] in
                            {e for e, (k, _) in by_event.items() if k == kind}]
                pool = self.windows[key]
                pool["scores"] += [clean(r["score"]) for r in labelled + unlabelled]
                pool["labels"] += [1] * len(labelled) + [0] * len(unlabelled)

    def table(self):
        rows = []
        for key in sorted(self.events):
            application, condition, rate, kind, method = key
            found, total = self.events[key]
            pool = self.windows[key]
            both = 0 < sum(pool["labels"]) < len(pool["labels"])
            low, high = clopper_pearson(found, total)
            rows.append({"application": application, "condition": condition, "rate_mb_per_min": float(rate), "kind": kind, "method": method,
                         "roc_auc": roc_auc_score(pool["labels"], pool["scores"]) if both else float("nan"),
                         "average_precision": average_precision_score(pool["labels"], pool["scores"]) if both else float("nan"),
                         "events": total, "found": found, "recall": found / total if total else float("nan"),
                         "recall_low": low, "recall_high": high, "windows": len(pool["labels"]), "event_windows": sum(pool["labels"])})
        benign = []
        for (application, condition, method), cell in sorted(self.benign.items()):
            count, windows, seconds, alerted = cell
            days = seconds / 86_400
            low, high = garwood(count, days)
            share_low, share_high = clopper_pearson(alerted, windows)
            benign.append({"application": application, "condition": condition, "method": method, "benign_hours": seconds / 3600,
                           "false_incidents": count, "false_per_day": count / days, "per_day_low": low, "per_day_high": high,
                           "benign_windows": windows, "alerted_windows": alerted, "alerted_share": alerted / windows,
                           "share_low": share_low, "share_high": share_high})
        return rows, benign


def clean(score):
    return -1e300 if score != score or score == float("-inf") else min(score, 1e300)


def markdown(rows, benign, budget):
    lines = [f"False alerts on benign captures (budget {budget} a day; 95% intervals):", "",
             "| application | condition | method | benign h | false incidents | per day [95%] | alerted windows [95%] |",
             "|---|---|---|---|---|---|---|"]
    for b in benign:
        lines.append(f"| {b['application']} | {b['condition']} | {b['method']} | {b['benign_hours']:.0f} | {b['false_incidents']} | "
                     f"{b['false_per_day']:.2f} [{b['per_day_low']:.2f}, {b['per_day_high']:.2f}] | "
                     f"{b['alerted_windows']} of {b['benign_windows']} ({100 * b['alerted_share']:.2f}% [{100 * b['share_low']:.2f}, {100 * b['share_high']:.2f}]) |")
    lines += ["", "Events found at each method's threshold (recall per event, 95% interval) and window ROC AUC / average precision:", "",
              "| application | condition | rate | kind | method | found [95%] | AUC | AP | windows (event) |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['application']} | {r['condition']} | {r['rate_mb_per_min']:g} | {r['kind']} | {r['method']} | "
                     f"{r['found']} of {r['events']} = {r['recall']:.2f} [{r['recall_low']:.2f}, {r['recall_high']:.2f}] | "
                     f"{r['roc_auc']:.3f} | {r['average_precision']:.3f} | {r['windows']} ({r['event_windows']}) |")
    return "\n".join(lines) + "\n"


def goals(rows, benign, config):
    """The issue's goals, each with its measured figure: met or not (docs/model.md shows them)."""
    budget = config["budget_per_day"]
    lines = ["", "Goals (the operator's stream, held against the figures above):", ""]

    def verdict(ok, text):
        lines.append(f"- {'met' if ok else 'NOT met'}: {text}")

    for b in benign:
        if b["method"] != "operator":
            continue
        share = budget * 60 / 86_400
        verdict(b["false_per_day"] <= budget and b["per_day_high"] <= 3 * budget,
                f"{b['application']} {b['condition']}: {b['false_per_day']:.2f} false incidents a day [{b['per_day_low']:.2f}, {b['per_day_high']:.2f}] "
                f"(budget {budget}, upper end at most {3 * budget})")
        verdict(b["alerted_share"] <= share, f"{b['application']} {b['condition']}: alerted share {b['alerted_share']:.5f} (at most {share:.5f})")
    cell = {(r["application"], r["condition"], r["rate_mb_per_min"], r["kind"], r["method"]): r for r in rows}
    for (application, condition, rate, kind, method), r in sorted(cell.items()):
        if method != "operator" or condition != "1.0x":
            continue
        if rate == 0:
            verdict(r["recall"] >= 0.9, f"{application}: {kind} events found {r['found']} of {r['events']} ({r['recall']:.2f}; goal 0.9)")
        if rate == 0.1 and kind in ("known pairs", "adds pairs"):
            verdict(r["recall"] >= 0.9, f"{application}: injected 0.1 MB/min over {kind}: {r['found']} of {r['events']} ({r['recall']:.2f}; goal 0.9)")
        if kind in ("known pairs", "adds pairs") and rate in (0.1, 0.01):
            floor = 0.97 if rate == 0.1 else 0.9
            verdict(r["roc_auc"] >= floor, f"{application}: ROC AUC at {rate:g} MB/min over {kind}: {r['roc_auc']:.3f} (goal {floor})")
        if rate >= 0.05 or rate == 0:
            for baseline in ("allow_list", "ide_kashima"):
                other = cell.get((application, condition, rate, kind, baseline))
                if other:
                    verdict(r["recall"] >= other["recall"], f"{application} {rate:g} {kind}: recall {r['recall']:.2f} against {baseline} {other['recall']:.2f}")
    sweep = config["load_sweep"]
    pooled = defaultdict(lambda: [0, 0])
    for r in rows:
        if r["method"] == "operator" and r["application"] == sweep["application"] and r["kind"] in ("known pairs", "adds pairs") and r["condition"] != "1.0x":
            pooled[(r["condition"], r["rate_mb_per_min"])][0] += r["found"]
            pooled[(r["condition"], r["rate_mb_per_min"])][1] += r["events"]
    for rate in sweep["rates"]:
        reference = pooled.get(("load-1.0", float(rate)))
        if not reference or not reference[1]:
            continue
        for condition in sweep["conditions"]:
            found, total = pooled.get((condition, float(rate)), (0, 0))
            if condition == "load-1.0" or not total:
                continue
            difference = found / total - reference[0] / reference[1]
            verdict(abs(difference) <= 0.05, f"load sweep {condition} at {rate:g} MB/min: recall {found / total:.2f} against {reference[0] / reference[1]:.2f} at 1.0x")
    return "\n".join(lines) + "\n"


def sweep_figure(rows, benign, config):
    """An SVG of the load sweep: the operator's recall of injected exfiltration per rate, and its false
    incidents a day, against the load ratio (the original's "F1 against test/train load")."""
    sweep = config["load_sweep"]
    ratios = {c: s["users_factor"] for c, s in sweep["conditions"].items() if "users_factor" in s}
    recall = defaultdict(lambda: [0, 0])
    for r in rows:
        if r["method"] == "operator" and r["condition"] in ratios and r["kind"] in ("known pairs", "adds pairs"):
            cell = recall[(r["rate_mb_per_min"], r["condition"])]
            cell[0] += r["found"]
            cell[1] += r["events"]
    false = {b["condition"]: b["false_per_day"] for b in benign if b["method"] == "operator" and b["condition"] in ratios}
    width, height, margin = 320, 220, 40

    def panel(x0, title, series, top, label, guide=None):
        out = [f'<g transform="translate({x0},0)"><text x="{width / 2}" y="16" text-anchor="middle">{title}</text>',
               f'<line x1="{margin}" y1="{height - margin}" x2="{width - 10}" y2="{height - margin}" stroke="black"/>',
               f'<line x1="{margin}" y1="30" x2="{margin}" y2="{height - margin}" stroke="black"/>',
               f'<text x="{margin - 4}" y="34" text-anchor="end">{top:.3g}</text><text x="{margin - 4}" y="{height - margin}" text-anchor="end">0</text>',
               f'<text x="{width / 2}" y="{height - 8}" text-anchor="middle">load ratio (test / training)</text>']
        low, high = min(ratios.values()), max(ratios.values())

        def at(ratio, value):
            return (margin + (ratio - low) / (high - low) * (width - 10 - margin), height - margin - min(value, top) / top * (height - margin - 30))
        if guide is not None:
            (x1, y), (x2, _) = at(low, guide), at(high, guide)
            out.append(f'<line x1="{x1:.1f}" y1="{y:.1f}" x2="{x2:.1f}" y2="{y:.1f}" stroke="grey" stroke-dasharray="4 3"/>')
        for ratio in sorted(set(ratios.values())):
            x, _ = at(ratio, 0)
            out.append(f'<text x="{x:.1f}" y="{height - margin + 14}" text-anchor="middle">{ratio:g}</text>')
        for i, (name, points) in enumerate(series):
            colour = ["#1f77b4", "#d62728", "#2ca02c"][i % 3]
            xy = [at(ratio, value) for ratio, value in sorted(points)]
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in xy)}"/>')
            out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in xy]
            out.append(f'<text x="{width - 12}" y="{height - margin - 12 - 14 * i}" text-anchor="end" fill="{colour}">{name}</text>')
        out.append(f'<text x="12" y="{height / 2}" transform="rotate(-90 12 {height / 2})" text-anchor="middle">{label}</text></g>')
        return out

    recall_series = [(f"{rate:g} MB/min", [(ratios[c], f / n) for (r, c), (f, n) in recall.items() if r == float(rate) and n])
                     for rate in sweep["rates"]]
    top = max([2.0 * config["budget_per_day"]] + [v for v in false.values()])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * width}" height="{height}" font-family="sans-serif" font-size="11">']
    parts += panel(0, "Injected exfiltration found", recall_series, 1.0, "recall per attack")
    parts += panel(width, f"False incidents a day (budget {config['budget_per_day']})",
                   [("operator", [(ratios[c], v) for c, v in false.items()])], top, "per day", guide=config["budget_per_day"])
    return "\n".join(parts + ["</svg>"]) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="directory of mimir and the stage executables")
    parser.add_argument("--seeds", default="held-out", help="the seed set: held-out (the figures) or development")
    parser.add_argument("--only", action="append", help="only this application (repeatable)")
    parser.add_argument("--scale", type=float, default=1.0, help="shrink every capture by this factor (tests)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count())
    parser.add_argument("--force", action="append", default=[], help="run this step although fresh (repeatable; after changing a stage's code)")
    parser.add_argument("--config", default=os.path.join(ROOT, "Benchmarks", "quality.yaml"))
    parser.add_argument("--artifacts", default=os.path.join(ROOT, "artifacts"))
    arguments = parser.parse_args()
    with open(arguments.config) as config_file:
        config = yaml.safe_load(config_file)
    if arguments.seeds not in config["seeds"]:
        parser.error(f"--seeds must be one of {', '.join(config['seeds'])}")
    plan = Plan(config, arguments.seeds, arguments.scale, set(arguments.only or []))
    out = os.path.join(arguments.artifacts, "quality", arguments.seeds)
    os.makedirs(os.path.join(out, "pipelines"), exist_ok=True)
    files = []
    for name, (pipeline, _) in plan.pipelines.items():
        path = os.path.join(out, "pipelines", name + ".yaml")
        with open(path, "w") as pipeline_file:
            yaml.safe_dump(pipeline, pipeline_file, sort_keys=False)
        files.append(path)
    runner = [os.path.join(arguments.bin, "mimir"), "run", "-j", str(arguments.jobs), "--artifacts", arguments.artifacts, "--bin", arguments.bin]
    # Forced steps first, in the pipelines that have them (the runner refuses a step a pipeline lacks).
    groups = defaultdict(list)
    for path, (pipeline, _) in zip(files, plan.pipelines.values()):
        forced = tuple(step for step in arguments.force if step in pipeline["steps"])
        if forced:
            groups[forced].append(path)
    for forced, paths in groups.items():
        if subprocess.run(runner + [f"--force={step}" for step in forced] + paths, cwd=ROOT).returncode != 0:
            sys.exit("quality: mimir run failed on the forced steps")
    run = subprocess.run(runner + files, cwd=ROOT)
    if run.returncode != 0:
        sys.exit(f"quality: mimir run failed (exit {run.returncode})")
    collector = Collector(arguments.artifacts, plan)
    collector.collect()
    rows, benign = collector.table()
    pq.write_table(pa.Table.from_pylist(rows), os.path.join(out, "quality.parquet"))
    pq.write_table(pa.Table.from_pylist(benign), os.path.join(out, "false_alerts.parquet"))
    text = markdown(rows, benign, config["budget_per_day"]) + goals(rows, benign, config)
    with open(os.path.join(out, "quality.md"), "w") as table_file:
        table_file.write(text)
    if any(b["condition"] != "1.0x" for b in benign):
        with open(os.path.join(out, "load_sweep.svg"), "w") as figure_file:
            figure_file.write(sweep_figure(rows, benign, config))
    print(text)
    print(f"quality: tables in {out}")


if __name__ == "__main__":
    main()
