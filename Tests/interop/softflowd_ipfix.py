"""Runs softflowd (Debian's) over a capture and stores the IPFIX messages it sends, back to back, as
a collector would write them: a UDP listener on 127.0.0.1 receives them until softflowd has exited
and the socket has been quiet for a second.

Usage: softflowd_ipfix.py CAPTURE OUT.ipfix [SOFTFLOWD OPTION ...]
e.g. softflowd_ipfix.py capture.pcap out.ipfix -b     (bidirectional records, RFC 5103)
     softflowd_ipfix.py capture.pcap out.ipfix -A nano (flowStart/EndNanoseconds)
Prints the messages and bytes stored; exits with softflowd's status if it failed."""
import os
import socket
import subprocess
import sys
import tempfile


def main(capture, out, options):
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    with tempfile.TemporaryDirectory() as scratch:
        command = ["softflowd", "-d", "-r", capture, "-n", f"127.0.0.1:{port}", "-v", "10",
                   "-c", "none", "-p", os.path.join(scratch, "softflowd.pid")] + options
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
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
        output = process.stdout.read().decode(errors="replace")
    if process.returncode != 0:
        print(output)
        return process.returncode
    print(f"{messages} messages, {os.path.getsize(out)} bytes from softflowd {' '.join(options)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
