#!/usr/bin/env bash
# A throw-away single-node Slurm for the runner's tests: munged, slurmctld and slurmd, with every
# file (key, sockets, state, spool, logs, pid files) under $BASE, so nothing touches /etc or /run.
# Follows ../shared/design/slurm-single-node.sh (Debian 12's slurm-wlm 22.05 and munge), whose
# comments list the pitfalls; the differences are the test's knobs below.
#
#   BASE=DIR CTLD_PORT=N SLURMD_PORT=N MAX_ARRAY_SIZE=N slurm_cluster.sh start   # prints nothing; 0 once the node is idle
#   BASE=DIR slurm_cluster.sh stop                                              # the pids it started
#
# Needs root (the daemons run as root, SlurmUser=root). No cgroups here: proctrack/linuxproc and
# task/none. No accounting: sacct does not work, squeue does. The builtin scheduler with
# batch_sched_delay=0 starts a job within the controller's 1 s tick rather than backfill's 3 s.
set -euo pipefail

BASE=${BASE:?BASE must name the cluster folder}
NODE=$(hostname -s)
CPUS=$(nproc)
# Slurm drains a node that has less memory than it is declared with.
MEM_MB=$(awk '/^MemTotal:/ { mb = int($2 / 1024 * 0.9); print (mb < 4000 ? mb : 4000) }' /proc/meminfo)
export SLURM_CONF=$BASE/slurm.conf

start() {
  trap 'report "line $LINENO failed"' ERR
  mkdir -p "$BASE"/{munge,munge-priv,state,spool,log}
  chmod 0755 "$BASE/munge"; chmod 0700 "$BASE/munge-priv"
  cat > "$SLURM_CONF" <<CONF
ClusterName=mimirtest
SlurmctldHost=${NODE}(127.0.0.1)
SlurmctldPort=${CTLD_PORT:?}
SlurmdPort=${SLURMD_PORT:?}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=${BASE}/munge/munge.socket.2
CredType=cred/munge
StateSaveLocation=${BASE}/state
SlurmdSpoolDir=${BASE}/spool
SlurmctldPidFile=${BASE}/slurmctld.pid
SlurmdPidFile=${BASE}/slurmd.pid
SlurmctldLogFile=${BASE}/log/slurmctld.log
SlurmdLogFile=${BASE}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MaxArraySize=${MAX_ARRAY_SIZE:-1001}
KillWait=5
NodeName=${NODE} NodeAddr=127.0.0.1 CPUs=${CPUS} RealMemory=${MEM_MB} State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  dd if=/dev/urandom of="$BASE/munge-priv/munge.key" bs=1024 count=1 2>/dev/null
  chmod 0400 "$BASE/munge-priv/munge.key"
  # The daemons must not keep this script's stdout and stderr open: a caller reading them to the end
  # would wait for as long as the cluster lives.
  munged --key-file="$BASE/munge-priv/munge.key" --socket="$BASE/munge/munge.socket.2" \
         --pid-file="$BASE/munge/munged.pid" --log-file="$BASE/munge-priv/munged.log" \
         --seed-file="$BASE/munge-priv/munged.seed" </dev/null >>"$BASE/log/daemons.out" 2>&1
  slurmctld -f "$SLURM_CONF" </dev/null >>"$BASE/log/daemons.out" 2>&1
  # slurmctld answers some time after it daemonizes, and on a loaded machine (the test run's other
  # suites) slurmd's first registration can miss it; so the controller first, then the node.
  wait_for 'the controller did not answer' ctld_up
  slurmd -f "$SLURM_CONF" -N "$NODE" </dev/null >>"$BASE/log/daemons.out" 2>&1
  wait_for 'the node did not become idle' node_idle
}

ctld_up() { scontrol ping 2>/dev/null | grep -q 'is UP'; }
node_idle() { [ "$(sinfo -h -o '%T' 2>/dev/null || true)" = idle ]; }

# Polls CHECK for up to 90 s, or says why not and fails.
wait_for() {
  local why=$1 check=$2
  for _ in $(seq 1 450); do
    "$check" && return 0
    sleep 0.2
  done
  report "$why within 90 s"
  return 1
}

# What went wrong, the node's state and the end of every log: all a failed start leaves to go on.
report() {
  trap - ERR
  echo "slurm_cluster.sh: $1; see $BASE/log" >&2
  sinfo -N -o '%N %T %E' >&2 2>&1 || true
  local log
  for log in "$BASE/log/daemons.out" "$BASE/log/slurmctld.log" "$BASE/log/slurmd.log" "$BASE/munge-priv/munged.log"; do
    if [ -f "$log" ]; then echo "--- $log" >&2; tail -n 20 "$log" >&2; fi
  done
}

stop() {
  local file pid
  for file in "$BASE/slurmd.pid" "$BASE/slurmctld.pid" "$BASE/munge/munged.pid"; do
    [ -f "$file" ] || continue
    pid=$(cat "$file")
    # SIGTERM, then SIGKILL after 2 s: here slurmd and munged do not always end on SIGTERM.
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$file"
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: BASE=DIR $0 start|stop" >&2; exit 2 ;;
esac
