"""Runs a real flow exporter over a capture and stores the IPFIX messages it sends, back to back, as a
collector would write them: a UDP listener on 127.0.0.1 receives them until the exporter has exited
and the socket has been quiet for a second.

- softflowd (Debian's): `softflowd -d -r CAPTURE -n 127.0.0.1:PORT -v 10 -c none` and any options.
- pmacct (Debian's pmacctd with its nfprobe plugin, reading the capture as a savefile, IPFIX). Its
  core ends at the file's end and stops the plugin whether or not it has taken in every packet: on a
  busy machine it may send less than the capture (the tests try it again). Waiting to be stopped
  (`pcap_savefile_wait`) made it count some packets twice, and so did short timeouts.

Usage: exporter_ipfix.py softflowd|pmacct CAPTURE OUT.ipfix [SOFTFLOWD OPTION ...]
e.g. exporter_ipfix.py softflowd capture.pcap out.ipfix -b     (bidirectional records, RFC 5103)
     exporter_ipfix.py softflowd capture.pcap out.ipfix -A nano (flowStart/EndNanoseconds)
Prints the messages and bytes stored; exits with the exporter's status if it failed."""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading

PMACCT_CONFIG = """daemonize: false
pcap_savefile: {capture}
pcap_savefile_delay: 0
plugins: nfprobe
nfprobe_receiver: 127.0.0.1:{port}
nfprobe_version: 10
aggregate: src_host, dst_host, src_port, dst_port, proto, tos
"""


def command(exporter, capture, port, scratch, options):
    if exporter == "softflowd":
        return ["softflowd", "-d", "-r", capture, "-n", f"127.0.0.1:{port}", "-v", "10", "-c", "none",
                "-p", os.path.join(scratch, "softflowd.pid")] + options
    config = os.path.join(scratch, "pmacctd.conf")
    with open(config, "w") as file:
        file.write(PMACCT_CONFIG.format(capture=os.path.abspath(capture), port=port))
    return ["pmacctd", "-f", config]


def clean_signals():
    """In the exporter's process: no signal blocked or ignored. A test runner's mask is inherited, and
    pmacctd's core process waits for its plugin's end by SIGCHLD: blocked, it waits for ever."""
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    for number in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(number, signal.SIG_DFL)


def main(exporter, capture, out, options):
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    listener.bind(("127.0.0.1", 0))
    with tempfile.TemporaryDirectory() as scratch:
        process = subprocess.Popen(command(exporter, capture, listener.getsockname()[1], scratch, options),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   preexec_fn=clean_signals)
        log = []
        reader = threading.Thread(target=lambda: log.extend(line.decode(errors="replace") for line in process.stdout), daemon=True)
        reader.start()
        messages = 0
        with open(out, "wb") as stored:
            while True:
                listener.settimeout(1.0 if process.poll() is not None else 0.2)
                try:
                    data = listener.recv(65535)
                except socket.timeout:
                    if process.poll() is not None:
                        break
                    continue
                stored.write(data)
                messages += 1
        reader.join(5)
        output = "".join(log)
    if process.returncode != 0 or messages == 0:
        print(output[-3000:])
        return process.returncode or 1
    print(f"{messages} messages, {os.path.getsize(out)} bytes from {exporter} {' '.join(options)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]))
