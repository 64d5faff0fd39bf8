"""make bench: mimir-split and mimir-flows against the tools they replace, on the same generated
capture of about 500 MB (SLL2, as `tcpdump -i any` writes it, three hours of traffic made of TCP
connections and DNS exchanges between pod addresses).

- mimir-split --interval 10 against `editcap -i 10` (target: at least 2x as fast) and against `cp`
  of the same file (the floor: split reads and writes every byte; target: within 1.2x).
- mimir-flows against libpcap's bare read, `tcpdump -r capture -w /dev/null` (the floor of any
  reader; target: at least 0.8x its speed).
- mimir-flows --windows 10,60 against the original pipeline for 10-second windows, `editcap -i 10`
  then `tshark -z conv,ip -q` on every shard (target: at least 30x as fast), and in packets per
  second (target: at least 2 million on one core).
- Peak memory (maximum resident set size, from GNU time) of every command.
- With --baseline-bin DIR: mimir-flows of another build (an earlier commit's release binaries)
  against ours, interleaved, median of --baseline-runs runs each (target: ours within 5%).

Times are wall-clock seconds on a shared machine whose speed moves by a factor of four within
minutes (cp of the capture: 0.22 to 1.2 s): the fast commands run in five rounds, one run of each
per round, so all meet the same spells, and each one's best counts; the slow original pipeline runs
once. Read them as ratios, and run nothing else meanwhile."""
import argparse
import glob
import os
import random
import re
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Tests", "interop"))


def conversation(rng):
    """The packets of one exchange, framed in SLL2 as `tcpdump -i any` writes them: a TCP connection
    (handshake, request, response segments with ACKs, teardown) or a DNS query and answer."""
    from scapy.all import DNS, DNSQR, IP, TCP, UDP, Raw
    from scapy.layers.l2 import CookedLinuxV2
    import make_captures as generator
    sll2 = lambda packet: bytes(CookedLinuxV2(proto=0x0800, ifindex=3, lladdrtype=1, pkttype=0, lladdrlen=6)) + bytes(packet)
    client, server = rng.sample(generator.V4, 2)
    if rng.random() < 0.2:
        port = rng.randrange(30000, 60000)
        query = IP(src=client, dst="10.96.0.10") / UDP(sport=port, dport=53) / DNS(rd=1, qd=DNSQR(qname="db.default.svc.cluster.local"))
        answer = IP(src="10.96.0.10", dst=client) / UDP(sport=53, dport=port) / DNS(qr=1, qd=DNSQR(qname="db.default.svc.cluster.local"))
        return [sll2(query), sll2(answer)]
    sport, dport = rng.randrange(30000, 60000), rng.choice([80, 443, 3306, 8080, 6379])
    out = lambda flags, size=0: sll2(IP(src=client, dst=server) / TCP(sport=sport, dport=dport, flags=flags) / Raw(b"q" * size))
    back = lambda flags, size=0: sll2(IP(src=server, dst=client) / TCP(sport=dport, dport=sport, flags=flags) / Raw(b"r" * size))
    packets = [out("S"), back("SA"), out("A"), out("PA", rng.randrange(100, 700)), back("A")]
    for _ in range(rng.randrange(1, 12)):
        packets += [back("PA", rng.choice([1448, 1448, rng.randrange(100, 1448)])), out("A")]
    return packets + [out("FA"), back("FA"), out("A")]


def make_capture(path, target_bytes, seed=3):
    """A pool of conversations, written one after another with advancing time (SLL2, microseconds)."""
    rng = random.Random(seed)
    pool = [conversation(rng) for _ in range(600)]
    average = sum(sum(len(p) + 16 for p in c) for c in pool) / sum(len(c) for c in pool)
    count = int(target_bytes / average)
    step = 3 * 3600 * 1_000_000_000 // count
    t = 1_764_400_000_123_456_000
    written = 0
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 276))
        chunk = []
        while written < count:
            for data in pool[rng.randrange(len(pool))]:
                t += step
                chunk.append(struct.pack("<IIII", t // 1_000_000_000, t % 1_000_000_000 // 1000, len(data), len(data)) + data)
                written += 1
            if len(chunk) >= 10000:
                f.write(b"".join(chunk))
                chunk = []
        f.write(b"".join(chunk))
    os.rename(path + ".tmp", path)


def interleaved_best(runs, commands):
    """Runs every command once per round, `runs` rounds, so each one meets the same spells of a shared
    machine; per command, the fastest run's seconds and the largest peak memory. `commands` maps a name
    to (command for an output directory, a function giving the next fresh output directory)."""
    results = {name: [] for name in commands}
    for _ in range(runs):
        for name, (command, prepare) in commands.items():
            results[name].append(measure(command(prepare())))
    return {name: (min(r[0] for r in rs), max(r[1] for r in rs)) for name, rs in results.items()}


def measure(command, **kwargs):
    """(seconds, peak resident megabytes) of one run under GNU time."""
    start = time.perf_counter()
    completed = subprocess.run(["/usr/bin/time", "-v"] + command, capture_output=True, text=True, **kwargs)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{completed.stderr[-2000:]}")
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", completed.stderr).group(1)) / 1024
    return elapsed, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True, help="directory of the release binaries")
    parser.add_argument("--megabytes", type=int, default=500)
    parser.add_argument("--dir", default="artifacts/bench")
    parser.add_argument("--runs", type=int, default=5, help="rounds of the fast commands; each one's best counts")
    parser.add_argument("--baseline-bin", help="release binaries of another build: compare its mimir-flows with ours")
    parser.add_argument("--baseline-runs", type=int, default=9, help="interleaved runs of each mimir-flows for the comparison")
    parser.add_argument("--baseline-only", action="store_true", help="run only the comparison with --baseline-bin")
    arguments = parser.parse_args()
    os.makedirs(arguments.dir, exist_ok=True)
    capture = os.path.join(arguments.dir, f"capture-{arguments.megabytes}MB.pcap")
    if not os.path.exists(capture):
        print(f"generating {capture} ...", flush=True)
        make_capture(capture, arguments.megabytes * 1_000_000)
    if arguments.baseline_bin:
        compare_flows(arguments, capture)
        if arguments.baseline_only:
            return
    size = os.path.getsize(capture)
    packets = int(subprocess.run(["capinfos", "-c", "-M", capture], capture_output=True, text=True).stdout.split()[-1])

    with tempfile.TemporaryDirectory(dir=arguments.dir) as scratch:
        def fresh(name):
            """A new, empty directory for `name`'s next run, with earlier runs' writes on disk. Nothing is
            deleted between runs: ext4 scans recently deleted inodes when it creates a file, so removing a
            thousand shards just before a run made the next run's file creation most of its time
            (perf: 65% of mimir-split's time in ext4's recently_deleted)."""
            path = os.path.join(scratch, name)
            runs = len(glob.glob(path + "-*"))
            os.makedirs(f"{path}-{runs}")
            os.sync()
            return f"{path}-{runs}"

        subprocess.run(["cat", capture], stdout=subprocess.DEVNULL, check=True)  # warm the page cache
        editcap_runs = []
        best = interleaved_best(arguments.runs, {
            "cp": (lambda out: ["cp", capture, os.path.join(out, "copy.pcap")], lambda: fresh("cp")),
            "split": (lambda out: [os.path.join(arguments.bin, "mimir-split"), capture, "--interval", "10", "--out", out],
                      lambda: fresh("split")),
            "editcap": (lambda out: ["editcap", "-i", "10", capture, os.path.join(out, "shard.pcap")],
                        lambda: editcap_runs.append(fresh("editcap")) or editcap_runs[-1]),
            "flows": (lambda out: [os.path.join(arguments.bin, "mimir-flows"), capture, "--windows", "10,60", "--out", out],
                      lambda: fresh("flows")),
            # libpcap's bare read: every packet read and written to nowhere, the floor of any reader.
            "tcpdump": (lambda out: ["tcpdump", "-r", capture, "-w", "/dev/null"], lambda: fresh("tcpdump")),
        })
        (cp_s, cp_mb), (split_s, split_mb), (editcap_s, editcap_mb), (flows_s, flows_mb), (tcpdump_s, tcpdump_mb) = (
            best["cp"], best["split"], best["editcap"], best["flows"], best["tcpdump"])
        editcap_dir = editcap_runs[-1]
        shards = sorted(glob.glob(os.path.join(editcap_dir, "shard_*")))
        tshark_s, tshark_mb = 0.0, 0.0
        for shard in shards:
            seconds, peak = measure(["tshark", "-n", "-q", "-r", shard, "-z", "conv,ip"])
            tshark_s += seconds
            tshark_mb = max(tshark_mb, peak)

    original_s = editcap_s + tshark_s
    print(f"capture: {size / 1e6:.0f} MB, {packets:,} packets (SLL2), {len(shards)} ten-second shards")
    print(f"{'command':44}{'seconds':>10}{'peak MB':>10}")
    for name, seconds, peak in (("cp", cp_s, cp_mb), ("mimir-split --interval 10", split_s, split_mb),
                                ("editcap -i 10", editcap_s, editcap_mb),
                                ("mimir-flows --windows 10,60", flows_s, flows_mb),
                                ("tcpdump -r capture -w /dev/null", tcpdump_s, tcpdump_mb),
                                (f"tshark -z conv,ip on {len(shards)} shards", tshark_s, tshark_mb),
                                ("editcap -i 10 + tshark (original, 10 s only)", original_s, max(editcap_mb, tshark_mb))):
        print(f"{name:44}{seconds:>10.2f}{peak:>10.1f}")
    checks = [
        ("split vs editcap -i 10 (speed-up)", editcap_s / split_s, ">=", 2.0),
        ("split vs cp (time ratio)", split_s / cp_s, "<=", 1.2),
        ("flows vs tcpdump's bare read (speed ratio)", tcpdump_s / flows_s, ">=", 0.8),
        ("flows vs editcap + tshark (speed-up)", original_s / flows_s, ">=", 30.0),
        ("flows packets per second (millions)", packets / flows_s / 1e6, ">=", 2.0),
        ("split peak memory (MB)", split_mb, "<=", 100.0),
    ]
    missed = 0
    for name, value, relation, target in checks:
        ok = value >= target if relation == ">=" else value <= target
        missed += not ok
        print(f"{name:44}{value:>10.2f}  target {relation} {target}  {'ok' if ok else 'MISSED'}")
    print("all targets met" if missed == 0 else f"{missed} targets missed")


def compare_flows(arguments, capture):
    """Our mimir-flows against another build's on the capture: alternate runs, so both meet the same
    spells of the machine, and compare medians (the bounds-checked cursor's cost was measured so)."""
    import statistics
    subprocess.run(["cat", capture], stdout=subprocess.DEVNULL, check=True)
    times = {"baseline": [], "ours": []}
    with tempfile.TemporaryDirectory(dir=arguments.dir) as scratch:
        for run in range(arguments.baseline_runs):
            for name, directory in (("baseline", arguments.baseline_bin), ("ours", arguments.bin)):
                out = os.path.join(scratch, f"{name}-{run}")
                times[name].append(measure([os.path.join(directory, "mimir-flows"), capture, "--windows", "10,60", "--out", out])[0])
        same = all(open(os.path.join(scratch, f"baseline-{arguments.baseline_runs - 1}", table), "rb").read()
                   == open(os.path.join(scratch, f"ours-{arguments.baseline_runs - 1}", table), "rb").read()
                   for table in ("pairs.parquet", "flows.parquet", "summary.parquet"))
    baseline, ours = statistics.median(times["baseline"]), statistics.median(times["ours"])
    ratio = ours / baseline
    print(f"mimir-flows, {arguments.baseline_runs} interleaved runs each: baseline median {baseline:.3f} s, ours {ours:.3f} s, "
          f"ratio {ratio:.3f}  target <= 1.05  {'ok' if ratio <= 1.05 else 'MISSED'}; tables {'identical' if same else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
