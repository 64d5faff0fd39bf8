"""make bench: mimir-records against mimir-flows on the same traffic (issue 19).

The simulator writes a Sock Shop capture (whole packets, uncompressed pcap) and, of the very same
packets, a flow exporter's IPFIX and Zeek's conn.log. The exporter's timeouts are 1 s (active and
idle), so that its records are many (at 60 s and 15 s a simulated hour makes too few to time);
conn.log has one line per connection whatever the timeouts.

Each input is also written repeated in place: every packet of the capture twice, every IPFIX data
record and every conn.log line sixteen times, where the original has it (IPFIX sequence numbers
scaled to match): the records' files are small, and sixteen copies make their extra time long
enough to measure (a fraction of a second). The repeats fall in the same windows, pairs and flows, so a stage writes the same
rows from them: the difference between the two runs is the cost of the items alone, without the
run's fixed work (starting, writing the tables), which a file of few records cannot amortise.

1. Speed, windows 10,60, in rounds (one run of each per round, the best counts: the machine's speed
   moves). Printed per packet for flows and per record for records, over the whole run and at the
   margin (the extra items over the extra seconds); target: records' marginal rate at least flows'
   marginal rate per packet, for both formats.
2. Memory: peak resident memory of mimir-records on each file and on its repeat (16x the records,
   the same windows and pairs); target: flat (within 1.1x): memory grows with the windows and the
   flows in them, not with the records.
3. Memory when records keep windows open: a generated day of conn.log (400 connections every 10 s
   among 800 addresses) with one 12-hour connection logged at noon, which keeps twelve hours of
   windows open from then on, and the same day without it; target: the difference within the open
   windows' budget (256 MiB, docs/records.md).

Usage: records_bench.py --bin DIR [--hours H] [--users N] [--rounds R]"""
import argparse
import itertools
import os
import random
import re
import struct
import subprocess
import sys
import tempfile

from bounds_bench import measured

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def simulate(binary, out, hours, users):
    command = [binary, "--app", f"{ROOT}/pipelines/apps/sockshop.yaml", "--cluster", f"{ROOT}/pipelines/clusters/minikube.yaml",
               "--duration", str(int(hours * 3600)), "--users", str(users), "--curve", "flat", "--ipfix", "--conn-log",
               "--active-timeout", "1", "--idle-timeout", "1", "--out", out]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"simulate failed: {result.stderr[-2000:]}")


def repeat_capture(source, target, times):
    """A pcap whose every packet record is written `times` times in a row (same time, same bytes)."""
    with open(source, "rb") as inp, open(target, "wb") as out:
        header = inp.read(24)
        endian = "<" if header[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        out.write(header)
        while record := inp.read(16):
            length = struct.unpack(endian + "IIII", record)[2]
            out.write((record + inp.read(length)) * times)


def repeat_ipfix(source, target, times):
    """IPFIX messages whose every data record (flow and options) is written `times` times in a row;
    sequence numbers (RFC 7011: data records sent before the message) scaled to match. Needs
    fixed-length templates, as the simulator's exporter writes."""
    data = open(source, "rb").read()
    lengths = {}
    out = bytearray()
    offset = 0
    while offset < len(data):
        version, length, export, sequence, domain = struct.unpack_from(">HHIII", data, offset)
        assert version == 10
        message, body = data[offset:offset + length], bytearray()
        position = 16
        while position + 4 <= length:
            set_id, set_length = struct.unpack_from(">HH", message, position)
            contents = message[position + 4:position + set_length]
            if set_id in (2, 3):
                read_templates(contents, set_id == 3, domain, lengths)
                body += message[position:position + set_length]
            else:
                size = lengths[(domain, set_id)]
                records = len(contents) // size
                repeated = b"".join(contents[i * size:(i + 1) * size] * times for i in range(records))
                body += struct.pack(">HH", set_id, 4 + len(repeated)) + repeated
            position += set_length
        out += struct.pack(">HHIII", 10, 16 + len(body), export, (sequence * times) % (1 << 32), domain) + body
        offset += length
    open(target, "wb").write(out)


def read_templates(contents, options, domain, lengths):
    position = 0
    while position + 4 <= len(contents):
        template, fields = struct.unpack_from(">HH", contents, position)
        position += 6 if options else 4
        size = 0
        for _ in range(fields):
            element, field_length = struct.unpack_from(">HH", contents, position)
            assert field_length != 65535, "variable-length fields are not repeated"
            position += 8 if element & 0x8000 else 4
            size += field_length
        lengths[(domain, template)] = size


def repeat_lines(source, target, times):
    """A log whose every data line (not its # header lines) is written `times` times in a row."""
    with open(source, "rb") as inp, open(target, "wb") as out:
        for line in inp:
            out.write(line if line.startswith(b"#") else line * times)


def write_busy_day(path, header_from, long_connection, connections=400, hours=24):
    """A day of conn.log with the header of the simulator's `header_from`: `connections` short ones
    every 10 s between 400 clients and 400 servers (in time order, as Zeek logs them), and with
    `long_connection` one of twelve hours logged when it ends, at noon."""
    rng = random.Random(1)
    base = 1_795_860_000
    with open(header_from) as simulated:
        header = "".join(itertools.takewhile(lambda line: line.startswith("#"), simulated))
    with open(path, "w") as out:
        out.write(header)
        for window in range(hours * 360):
            lines = []
            for number in range(connections):
                start = base + window * 10 + rng.random() * 9
                client, server = rng.randrange(400), rng.randrange(400)
                lines.append(f"{start:.6f}\tC{window}x{number}\t10.1.{client // 200}.{client % 200}\t{rng.randrange(32768, 61000)}\t"
                             f"10.2.{server // 200}.{server % 200}\t8080\ttcp\t-\t0.040000\t100\t80\tSF\t-\t-\t0\tShADdFf\t6\t360\t3\t200\t-\n")
            out.write("".join(lines))
            if long_connection and window == 12 * 360:
                out.write(f"{base + 10:.6f}\tClong\t10.3.0.1\t40000\t10.3.0.2\t5432\ttcp\t-\t{12 * 3600 - 10:.6f}\t100000\t80000\t"
                          f"SF\t-\t-\t0\tShADdFf\t5000\t300000\t3000\t200000\t-\n")


def counted(summary_line, noun):
    """The count of `noun` in a stage's summary line (`1.47 M packets`, `20.0 k records`)."""
    match = re.search(r"([\d.]+)( [kMG])? " + noun, summary_line)
    scale = {" k": 1e3, " M": 1e6, " G": 1e9, None: 1}[match.group(2)]
    return float(match.group(1)) * scale


def summary(command):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed: {result.stderr[-2000:]}")
    return result.stderr.strip().splitlines()[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True)
    parser.add_argument("--hours", type=float, default=1)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    binary = lambda name: os.path.join(arguments.bin, name)
    with tempfile.TemporaryDirectory(dir=os.path.join(ROOT, ".build")) as scratch:
        sim = os.path.join(scratch, "sim")
        simulate(binary("mimir-simulate"), sim, arguments.hours, arguments.users)
        capture, ipfix, conn = (os.path.join(sim, name) for name in ("capture.pcap", "records.ipfix", "conn.log"))
        inputs = {"flows (capture)": (capture, 2, repeat_capture, "packets", "mimir-flows"),
                  "records (IPFIX)": (ipfix, 16, repeat_ipfix, "records", "mimir-records"),
                  "records (conn.log)": (conn, 16, repeat_lines, "records", "mimir-records")}
        out = os.path.join(scratch, "out")
        jobs = {}
        for name, (path, times, repeat, noun, stage) in inputs.items():
            repeated = path + f".x{times}"
            repeat(path, repeated, times)
            for label, file in ((name, path), (f"{name} x{times}", repeated)):
                command = [binary(stage), file, "--windows", "10,60", "--out", out]
                jobs[label] = (command, counted(summary(command), noun))
        best = {label: (float("inf"), float("inf")) for label in jobs}
        for _ in range(arguments.rounds):
            for label, (command, _) in jobs.items():
                seconds, megabytes = measured(command)
                best[label] = (min(best[label][0], seconds), min(best[label][1], megabytes))
        print(f"records_bench: Sock Shop, {arguments.hours:g} h at {arguments.users} users (flat curve); sizes: capture "
              f"{os.path.getsize(capture) / 1e6:.0f} MB, IPFIX {os.path.getsize(ipfix) / 1e6:.1f} MB, conn.log {os.path.getsize(conn) / 1e6:.1f} MB")
        print(f"{'input':<24} {'items':>12} {'best s':>8} {'items/s':>12} {'peak MB':>8}")
        for label, (command, items) in jobs.items():
            seconds, megabytes = best[label]
            print(f"{label:<24} {items:>12,.0f} {seconds:>8.2f} {items / seconds:>12,.0f} {megabytes:>8.0f}")
        margin = {}
        for name, (_, times, _, noun, _) in inputs.items():
            (_, few), (_, many) = jobs[name], jobs[f"{name} x{times}"]
            extra = best[f"{name} x{times}"][0] - best[name][0]
            margin[name] = (many - few) / extra if extra > 0 else float("inf")
            print(f"{name}: {margin[name]:,.0f} {noun}/s at the margin ({many - few:,.0f} more in {extra:.2f} s more)")
        for name in ("records (IPFIX)", "records (conn.log)"):
            times = inputs[name][1]
            ratio = margin[name] / margin["flows (capture)"]
            print(f"{name}: {ratio:.2f}x flows' marginal rate per packet, per record (target: at least 1.0x): "
                  f"{'met' if ratio >= 1 else 'NOT met'}; over the whole run "
                  f"{jobs[name][1] / best[name][0] / (jobs['flows (capture)'][1] / best['flows (capture)'][0]):.2f}x")
            growth = best[f"{name} x{times}"][1] / best[name][1]
            print(f"memory, {name}: {best[name][1]:.0f} MB; with {times}x the records {best[f'{name} x{times}'][1]:.0f} MB: {growth:.2f}x "
                  f"(target: flat, within 1.1x): {'met' if growth <= 1.1 else 'NOT met'}")
        peaks = {}
        for long_connection in (False, True):
            day = os.path.join(scratch, "day.conn.log")
            write_busy_day(day, conn, long_connection)
            peaks[long_connection] = measured([binary("mimir-records"), day, "--windows", "10,60", "--out", out])
        extra = peaks[True][1] - peaks[False][1]
        print(f"memory, a busy day of conn.log: {peaks[False][1]:.0f} MB ({peaks[False][0]:.1f} s); with a 12-hour connection logged "
              f"at noon {peaks[True][1]:.0f} MB ({peaks[True][0]:.1f} s): {extra:.0f} MB more (target: within the open windows' "
              f"budget, 256 MiB): {'met' if extra <= 256 else 'NOT met'}")


if __name__ == "__main__":
    main()
