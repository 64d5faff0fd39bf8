"""The detection-quality measurement of issue 6: a simulated capture of at least two hours per
application, injected at every default rate, the model fitted on the training half and evaluated on
the test half, for our model and both baselines, per rate and event kind.

  quality_run.py --bin .build/release --app wordpress|sockshop [--policy FILE] [--estimator lasso|logistic]
                 [--duration 7200] [--users 10]

Real events (an exfiltration along the sensitive path, a DNS tunnel, a scan, lateral movement) are
simulated in the test half, so their kinds are evaluated too. The features' reference graph (the
edges they count as known) is built from the training half only. Prints one line per (rate, kind,
window model, method): ROC AUC and F1 at the training threshold (and at the oracle threshold, in
brackets)."""
import argparse
import os
import shutil
import subprocess
import tempfile

import pyarrow.parquet as pq

RATES = ["10", "1", "0.1", "0.05", "0.01"]
APPS = {
    "wordpress": ("my-release-pxc", "my-release-pxc, wwwppp-wordpress", "wwwppp-wordpress", "my-release-pxc"),
    "sockshop": ("user-db", "user-db, user, front-end", "orders", "payment"),
}


def run(command):
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--app", choices=APPS, required=True)
    parser.add_argument("--policy")
    parser.add_argument("--estimator", choices=["lasso", "logistic"], default="lasso", help="mimir-fit's --estimator")
    parser.add_argument("--duration", type=int, default=7200)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--keep")
    arguments = parser.parse_args()
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    sensitive, path, tunnel, lateral = APPS[arguments.app]
    b = lambda tool: os.path.join(arguments.bin, tool)
    with tempfile.TemporaryDirectory(prefix="mimir-quality-") as scratch:
        d = arguments.keep or scratch
        os.makedirs(d, exist_ok=True)
        half = arguments.duration // 2
        with open(f"{d}/events.yaml", "w") as out:
            out.write("events:\n"
                      f"  - {{kind: exfil, start_s: {half + 600}, end_s: {half + 660}, path: [{path}], rate_kb_per_s: 100}}\n"
                      f"  - {{kind: dnstunnel, start_s: {half + 1500}, end_s: {half + 1620}, source: {tunnel}, rate_kb_per_s: 2}}\n"
                      f"  - {{kind: scan, start_s: {half + 2400}, end_s: {half + 2430}, source: {tunnel}, probes_per_s: 50}}\n"
                      f"  - {{kind: lateral, start_s: {half + 3000}, end_s: {half + 3060}, source: {lateral}, requests: 3}}\n")
        run([b("mimir-simulate"), "--app", f"{root}/pipelines/apps/{arguments.app}.yaml", "--cluster", f"{root}/pipelines/clusters/minikube.yaml",
             "--events", f"{d}/events.yaml", "--duration", str(arguments.duration), "--users", str(arguments.users), "--out", f"{d}/sim"])
        run([b("mimir-flows"), f"{d}/sim/capture.pcap", "--windows", "10,60", "--out", f"{d}/flows"])
        # The reference graph (what the features count as known) comes from the training half alone, as
        # it would from a separate training capture: the test half's real events stay unknown to it.
        origin = pq.ParquetFile(f"{d}/flows/pairs.parquet").metadata.metadata[b"mimir.origin"].decode()
        run([b("mimir-split"), f"{d}/sim/capture.pcap", "--interval", str(half), "--out", f"{d}/halves"])
        run([b("mimir-flows"), f"{d}/halves/shard-00000.pcap", "--windows", "10,60", "--origin", origin, "--out", f"{d}/reference-flows"])
        os.remove(f"{d}/sim/capture.pcap")
        shutil.rmtree(f"{d}/halves")
        for pairs, out in ((f"{d}/flows", f"{d}/graph"), (f"{d}/reference-flows", f"{d}/reference")):
            run([b("mimir-graph"), "--pairs", f"{pairs}/pairs.parquet", "--entities", f"{d}/sim/entities.jsonl", "--cluster", f"{d}/sim/cluster.yaml",
                 "--out", out])
        fit = []
        for rate in RATES:
            run([b("mimir-inject"), "--pod-edges", f"{d}/graph/pod_edges.parquet", "--sensitive", sensitive, "--rate", rate, "--seed", "11",
                 "--truth", f"{d}/sim/truth.parquet", "--out", f"{d}/inject{rate}"] + (["--policy", arguments.policy] if arguments.policy else []))
            run([b("mimir-features"), "--pod-edges", f"{d}/inject{rate}/pod_edges.parquet", "--sensitive", sensitive,
                 "--flows", f"{d}/flows/flows.parquet", "--entities", f"{d}/sim/entities.jsonl", "--cluster", f"{d}/sim/cluster.yaml",
                 "--reference", f"{d}/reference/pod_edges.parquet", "--out", f"{d}/features{rate}"])
            fit += ["--features", f"{d}/features{rate}/features.parquet", "--labels", f"{d}/inject{rate}/labels.parquet"]
        run([b("mimir-fit")] + fit + ["--service-edges", f"{d}/graph/service_edges.parquet", "--estimator", arguments.estimator,
                                      "--out", f"{d}/fit"])
        print(f"{arguments.app}, {arguments.duration} s, {arguments.users} users, policy {arguments.policy or 'none'}, "
              f"estimator {arguments.estimator}")
        for rate in RATES:
            run([b("mimir-score"), "--model", f"{d}/fit/model.json", "--features", f"{d}/features{rate}/features.parquet",
                 "--service-edges", f"{d}/inject{rate}/service_edges.parquet", "--labels", f"{d}/inject{rate}/labels.parquet",
                 "--out", f"{d}/score{rate}"])
            for r in pq.read_table(f"{d}/score{rate}/evaluation.parquet").to_pylist():
                print(f"rate {rate:>5} MB/min  {r['kind']:<9} {r['model']:<5} {r['method']:<11} AUC {r['roc_auc']:.3f}  "
                      f"F1 {r['f1']:.3f} (oracle {r['oracle_f1']:.3f})  TP {r['tp']} FP {r['fp']} FN {r['fn']}")


if __name__ == "__main__":
    main()
