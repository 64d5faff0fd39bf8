"""make bench: the Slurm executor's overhead, on a throw-away single-node Slurm (root only).

It starts the test cluster (Tests/interop/slurm_cluster.sh, Slurm's default MaxArraySize of 1001),
makes a project whose one step is swept over N values (default 1,000) of a stage that only writes an
empty output, and runs it twice, one way after the other:
  - locally (`mimir run -j 2`);
  - through Slurm (`mimir run --executor slurm`): the N jobs are ready at once, so they should go as
    one sbatch call (one job array).
It reads the runner's own CPU time (user + system of mimir and the Slurm commands it runs, not the
stages, which Slurm's daemons start) with GNU time and prints it per task (the goal: under 50 ms), how
many arrays were submitted, the wall times, and whether both runs wrote the same artifacts.

Usage: slurm_bench.py --bin DIR [--tasks 1000] [--keep]"""
import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SCRIPT = os.path.join(ROOT, "Tests", "interop", "slurm_cluster.sh")

NOOP = """#!/bin/sh
# A stage that does nothing but write its declared output.
while [ $# -gt 0 ]; do [ "$1" = --out ] && out="$2"; shift; done
mkdir -p "$out" && : > "$out/done.txt"
"""


def timed(command, cwd, environment):
    """Runs a command under GNU time: (output, user + system seconds, wall seconds)."""
    with tempfile.NamedTemporaryFile("r") as report:
        completed = subprocess.run(["/usr/bin/time", "-f", "%U %S %e", "-o", report.name] + command, cwd=cwd, env=environment,
                                   capture_output=True, text=True)
        if completed.returncode != 0:
            sys.exit(f"{' '.join(command)} failed:\n{completed.stdout}{completed.stderr}")
        user, system, wall = map(float, report.read().split()[-3:])
    return completed.stderr, user + system, wall


def digests(folder):
    """Every artifact under folder (not logs, manifests, the ledger) -> its sha256."""
    found = {}
    for directory, names, files in os.walk(folder):
        names[:] = [name for name in names if not name.startswith(".")]
        for name in files:
            if not name.startswith(".") and not name.startswith("ledger.sqlite"):
                path = os.path.join(directory, name)
                with open(path, "rb") as file:
                    found[os.path.relpath(path, folder)] = hashlib.sha256(file.read()).hexdigest()
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--keep", action="store_true")
    arguments = parser.parse_args()
    if os.geteuid() != 0 or shutil.which("slurmctld") is None:
        print("slurm_bench: skipped: needs root and Debian's slurm-wlm and munge (make deps-test)")
        return
    mimir = os.path.abspath(os.path.join(arguments.bin, "mimir"))
    project = tempfile.mkdtemp(prefix="mimir-slurm-bench-")
    os.chmod(project, 0o755)  # munged wants every folder above its socket open to all
    base = project + "/cluster"
    cluster = dict(os.environ, BASE=base, CTLD_PORT="19817", SLURMD_PORT="19818")
    subprocess.run(["bash", SCRIPT, "start"], env=cluster, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        os.makedirs(project + "/stages")
        with open(project + "/noop.sh", "w") as file:
            file.write(NOOP)
        os.chmod(project + "/noop.sh", 0o755)
        with open(project + "/stages/noop.yaml", "w") as file:
            file.write(f'stage: noop\nexecutable: {project}/noop.sh\nversion: "1"\noutputs:\n  done: done.txt\n'
                       'params:\n  n: {type: int, default: "0", help: "Which task."}\n')
        values = ", ".join(str(value) for value in range(arguments.tasks))
        with open(project + "/fan.yaml", "w") as file:
            file.write(f"pipeline: fan\nsweeps:\n  n: [{values}]\nsteps:\n  task:\n    stage: noop\n    over: n\n")
        environment = dict(os.environ, SLURM_CONF=base + "/slurm.conf")
        _, local_cpu, local_wall = timed([mimir, "run", "fan.yaml", "--artifacts", "local", "-j", "2"], project, environment)
        output, cpu, wall = timed([mimir, "run", "fan.yaml", "--artifacts", "slurm", "--executor", "slurm"], project, environment)
        submissions = [line for line in output.splitlines() if "submitted" in line and "to Slurm (job" in line]
        arrays = sum(len(re.search(r"\(job ([^)]*)\)", line).group(1).split(", ")) for line in submissions)
        same = digests(project + "/local") == digests(project + "/slurm")
        print(f"slurm_bench: {arguments.tasks} no-op tasks: {arrays} sbatch array(s); runner CPU {cpu:.2f} s "
              f"= {1000 * cpu / arguments.tasks:.1f} ms per task (goal: under 50 ms); wall {wall:.1f} s through Slurm, "
              f"{local_wall:.1f} s locally with -j 2 (runner and stages {1000 * local_cpu / arguments.tasks:.1f} ms CPU per task); "
              f"artifacts {'identical' if same else 'DIFFER'}")
        if not same or arrays != -(-arguments.tasks // 1001):
            sys.exit(1)
    finally:
        subprocess.run(["bash", SCRIPT, "stop"], env=cluster, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        if not arguments.keep:
            shutil.rmtree(project, ignore_errors=True)


if __name__ == "__main__":
    main()
