"""Runs every libFuzzer target of Fuzz/ for SECONDS each and prints, per target, executions,
coverage and findings. Corpora live in .build/fuzz/corpus/TARGET (seeded from the tests' inputs on
the first run, then grown by each run); crashes go to .build/fuzz/findings/. Exits 1 on a finding.

Usage: fuzz.py --bin DIR --release-bin DIR --seconds N [--only TARGET ...] [--jobs J]"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUZZ = os.path.join(ROOT, ".build", "fuzz")
TARGETS = ["capture", "records", "parquet", "entity-logs", "declarations", "policy", "model"]


def seed(target, corpus, release_bin):
    """Fills an empty corpus with the inputs the tests use."""
    os.makedirs(corpus, exist_ok=True)
    if os.listdir(corpus):
        return
    python = sys.executable
    copy = lambda paths: [shutil.copy(p, corpus) for p in paths if os.path.isfile(p)]
    with tempfile.TemporaryDirectory() as scratch:
        if target == "records":
            # The simulator's IPFIX and conn.log, and AWS's documented VPC flow log lines.
            subprocess.run([f"{release_bin}/mimir-simulate", "--app", f"{ROOT}/pipelines/apps/sockshop.yaml", "--cluster",
                            f"{ROOT}/pipelines/clusters/minikube.yaml", "--duration", "10", "--users", "2", "--ipfix", "--conn-log",
                            "--active-timeout", "2", "--idle-timeout", "1", "--out", f"{scratch}/sim"], check=True, capture_output=True)
            copy([f"{scratch}/sim/records.ipfix", f"{scratch}/sim/conn.log"])
            with open(f"{corpus}/vpc.log", "w") as vpc:
                vpc.write("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n"
                          "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n")
        if target in ("capture", "parquet"):
            subprocess.run([python, f"{ROOT}/Tests/interop/make_captures.py", scratch, "--packets", "200"], check=True, capture_output=True)
            captures = sorted(p for p in glob.glob(f"{scratch}/*") if not p.endswith(".json"))
            if target == "capture":
                copy(captures)
            else:
                subprocess.run([python, f"{ROOT}/Tests/interop/write_foreign_files.py", f"{scratch}/foreign"], check=True, capture_output=True)
                copy(glob.glob(f"{scratch}/foreign/*.parquet"))
                for index, capture in enumerate(captures[:4]):
                    out = f"{scratch}/flows{index}"
                    subprocess.run([f"{release_bin}/mimir-flows", "--out", out, "--", capture], check=True, capture_output=True)
                    for table in glob.glob(f"{out}/*.parquet"):
                        shutil.copy(table, f"{corpus}/flows{index}-{os.path.basename(table)}")
        elif target == "entity-logs":
            # The original's creation logs (300 kB pickles) are left out: the small pickles of every
            # protocol cover the format at a hundred times the speed.
            copy(glob.glob(f"{ROOT}/Tests/fixtures/kubectl-watch-sample/*.json") + glob.glob(f"{ROOT}/Fuzz/seeds/entity-logs/*"))
            subprocess.run([python, f"{ROOT}/Tests/interop/pickle_fixtures.py", "write", scratch], check=True, capture_output=True)
            copy(glob.glob(f"{scratch}/*.pickle") + glob.glob(f"{scratch}/*.pkl"))
        elif target == "declarations":
            copy(glob.glob(f"{ROOT}/stages/*.yaml") + glob.glob(f"{ROOT}/pipelines/*.yaml"))
        elif target == "policy":
            copy(glob.glob(f"{ROOT}/pipelines/policies/*") + glob.glob(f"{ROOT}/Tests/fixtures/mimir-original/*netsec*"))
        elif target == "model":
            copy(glob.glob(f"{ROOT}/Fuzz/seeds/model/*"))


def run(target, bin_dir, seconds):
    corpus = os.path.join(FUZZ, "corpus", target)
    findings = os.path.join(FUZZ, "findings")
    os.makedirs(findings, exist_ok=True)
    # The Swift runtime's backtracer takes seconds per crash; libFuzzer's own report names the input.
    environment = dict(os.environ, SWIFT_BACKTRACE="enable=no", MIMIR_STAGES=f"{ROOT}/stages",
                       LSAN_OPTIONS=f"suppressions={ROOT}/Fuzz/lsan.supp")
    command = [f"{bin_dir}/fuzz-{target}", corpus, f"-max_total_time={seconds}", "-rss_limit_mb=2048", "-timeout=20",
               "-print_final_stats=1", f"-artifact_prefix={findings}/{target}-"]
    result = subprocess.run(command, capture_output=True, text=True, env=environment)
    log = result.stderr
    with open(os.path.join(FUZZ, f"{target}.log"), "w") as f:
        f.write(log)
    stat = lambda name: int(m.group(1)) if (m := re.search(rf"stat::{name}:\s+(\d+)", log)) else None
    last = [line for line in log.splitlines() if re.match(r"#\d+\s", line)]
    coverage = re.search(r"cov: (\d+) ft: (\d+) corp: (\d+)", last[-1]) if last else None
    # Slow units (over 10 s once) are not findings: on a shared machine they come and go with the load.
    crashes = sorted(p for kind in ("crash", "leak", "timeout", "oom") for p in glob.glob(f"{findings}/{target}-{kind}-*"))
    return {
        "target": target, "status": result.returncode, "executions": stat("number_of_executed_units"),
        "per_second": stat("average_exec_per_sec"), "edges": coverage and int(coverage.group(1)),
        "features": coverage and int(coverage.group(2)), "corpus": len(os.listdir(corpus)), "findings": crashes,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True, help="where the fuzz targets were built")
    parser.add_argument("--release-bin", required=True, help="the project's release binaries (to seed the Parquet corpus)")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--only", action="append", choices=TARGETS)
    parser.add_argument("--jobs", type=int, default=1)
    arguments = parser.parse_args()
    targets = arguments.only or TARGETS
    for target in targets:
        seed(target, os.path.join(FUZZ, "corpus", target), arguments.release_bin)
    with ThreadPoolExecutor(arguments.jobs) as pool:
        results = list(pool.map(lambda t: run(t, arguments.bin, arguments.seconds), targets))
    print(f"{'target':<14} {'seconds':>7} {'executions':>11} {'exec/s':>7} {'edges':>6} {'features':>8} {'corpus':>6}  findings")
    for r in results:
        print(f"{r['target']:<14} {arguments.seconds:>7} {r['executions'] or 0:>11,} {r['per_second'] or 0:>7} {r['edges'] or 0:>6} "
              f"{r['features'] or 0:>8} {r['corpus']:>6}  {', '.join(os.path.relpath(p, ROOT) for p in r['findings']) or 'none'}")
    failed = [r for r in results if r["findings"] or r["status"] != 0]
    for r in failed:
        print(f"fuzz-{r['target']}: exit {r['status']}; log in .build/fuzz/{r['target']}.log", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
