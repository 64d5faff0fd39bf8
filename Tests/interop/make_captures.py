"""Generates captures for the capture stages' oracle tests (tshark and editcap are the oracles).

Packets are built with scapy; the containers (pcap in both byte orders and precisions, pcapng with
several sections, interfaces of different link types and timestamp resolutions, unknown blocks) are
written here by hand, so every variant is under the test's control.

Usage: make_captures.py DIR [--packets N] [--seed S]
Writes DIR/NAME.pcap|.pcapng (and .gz / .zst copies of some) and DIR/captures.json describing them.
"""
import argparse
import gzip
import json
import os
import random
import struct

from scapy.all import (ARP, DNS, DNSQR, GRE, ICMP, IP, TCP, UDP, Dot1AD, Dot1Q, Ether, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, ICMPv6DestUnreach,
                       ICMPv6EchoRequest, IPOption_RR, Raw, fragment)
from scapy.contrib.geneve import GENEVE
from scapy.layers.l2 import CookedLinux, CookedLinuxV2
from scapy.layers.sctp import SCTP, SCTPChunkData
from scapy.layers.vxlan import VXLAN

LINK = {"ethernet": 1, "null": 0, "raw": 101, "raw12": 12, "loop": 108, "sll": 113, "ipv4": 228, "ipv6": 229, "sll2": 276}
START_NS = 1_764_400_000_123_456_789

V4 = [f"10.1.{i // 8}.{i % 8 + 2}" for i in range(24)] + ["192.168.99.1", "10.96.0.10", "172.17.0.1"]
V6 = ["fd00::7", "fd00:0:0:1::2", "2001:db8::1", "2001:db8:0:0:1::1", "fe80::1:2:3:4", "fd00::a:0:0:1"]


def ip_packets(rng, family_filter=None):
    """One IP-layer packet (or several, for fragments) of a random kind, as scapy objects."""
    v4 = lambda: rng.choice(V4)
    v6 = lambda: rng.choice(V6)
    sport, dport = rng.randrange(1024, 65535), rng.choice([80, 443, 53, 3306, 8080, 6379])
    kinds = ["tcp4", "tcp4opt", "udp4", "dns4", "icmp4", "icmperr4", "sctp4", "frag4", "tcp6", "udp6ext", "icmp6",
             "icmperr6", "frag6", "vxlan", "vxlan8472", "geneve", "gre", "grekey", "ipip", "6in4"]
    if family_filter == 4:
        kinds = [k for k in kinds if not k.endswith("6") and k not in ("udp6ext", "frag6")]
    if family_filter == 6:
        kinds = ["tcp6", "udp6ext", "icmp6", "icmperr6", "frag6"]
    kind = rng.choice(kinds)
    payload = Raw(bytes(rng.randrange(256) for _ in range(rng.randrange(0, 300))))
    flags = rng.choice(["S", "SA", "A", "PA", "FA", "R", "RA"])
    inner = IP(src=v4(), dst=v4()) / TCP(sport=sport, dport=dport, flags=flags) / payload
    if kind == "tcp4":
        return [IP(src=v4(), dst=v4()) / TCP(sport=sport, dport=dport, flags=flags) / payload]
    if kind == "tcp4opt":
        return [IP(src=v4(), dst=v4(), options=[IPOption_RR()]) / TCP(sport=sport, dport=dport, flags=flags) / payload]
    if kind == "udp4":
        return [IP(src=v4(), dst=v4()) / UDP(sport=sport, dport=dport) / payload]
    if kind == "dns4":
        return [IP(src=v4(), dst="10.96.0.10") / UDP(sport=sport, dport=53) / DNS(rd=1, qd=DNSQR(qname="cart.default.svc.cluster.local"))]
    if kind == "icmp4":
        return [IP(src=v4(), dst=v4()) / ICMP(type=8) / payload]
    if kind == "icmperr4":
        quoted = IP(src=v4(), dst=v4()) / UDP(sport=sport, dport=dport)
        return [IP(src=v4(), dst=v4()) / ICMP(type=3, code=3) / bytes(quoted)[:28]]
    if kind == "sctp4":
        return [IP(src=v4(), dst=v4()) / SCTP(sport=sport, dport=36412) / SCTPChunkData(data=b"x" * 20)]
    if kind == "frag4":
        return fragment(IP(src=v4(), dst=v4()) / UDP(sport=sport, dport=dport) / Raw(b"f" * 3000), fragsize=1000)
    if kind == "tcp6":
        return [IPv6(src=v6(), dst=v6()) / TCP(sport=sport, dport=dport, flags=flags) / payload]
    if kind == "udp6ext":
        return [IPv6(src=v6(), dst=v6()) / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / IPv6ExtHdrRouting(addresses=[v6()])
                / UDP(sport=sport, dport=dport) / payload]
    if kind == "icmp6":
        return [IPv6(src=v6(), dst=v6()) / ICMPv6EchoRequest() / payload]
    if kind == "icmperr6":
        return [IPv6(src=v6(), dst=v6()) / ICMPv6DestUnreach() / bytes(IPv6(src=v6(), dst=v6()) / UDP())[:48]]
    if kind == "frag6":
        packet = IPv6(src=v6(), dst=v6()) / IPv6ExtHdrFragment() / UDP(sport=sport, dport=dport) / Raw(b"g" * 2500)
        from scapy.all import fragment6
        return fragment6(packet, 1280)
    if kind == "vxlan":
        return [IP(src="192.168.99.100", dst="192.168.99.101") / UDP(sport=sport, dport=4789) / VXLAN(vni=1) / Ether() / inner]
    if kind == "vxlan8472":
        return [IP(src="192.168.99.100", dst="192.168.99.102") / UDP(sport=sport, dport=8472) / VXLAN(vni=1) / Ether() / inner]
    if kind == "geneve":
        return [IP(src="192.168.99.101", dst="192.168.99.100") / UDP(sport=sport, dport=6081) / GENEVE(proto=0x6558) / Ether() / inner]
    if kind == "gre":
        return [IP(src="192.168.99.100", dst="192.168.99.103") / GRE(proto=0x0800) / inner]
    if kind == "grekey":
        return [IP(src="192.168.99.103", dst="192.168.99.100") / GRE(proto=0x0800, key_present=1, key=7) / inner]
    if kind == "ipip":
        return [IP(src="192.168.99.100", dst="192.168.99.104", proto=4) / inner]
    if kind == "6in4":
        return [IP(src="192.168.99.104", dst="192.168.99.100") / IPv6(src=v6(), dst=v6()) / UDP(sport=sport, dport=dport) / payload]
    raise ValueError(kind)


def frame(rng, ip, link):
    """`ip` (a scapy IP or IPv6 packet) framed for `link`, as bytes."""
    is6 = ip.version == 6 if hasattr(ip, "version") else False
    ethertype = 0x86DD if is6 else 0x0800
    raw = bytes(ip)
    if link == "ethernet":
        tags = rng.choice([0, 0, 1, 2])
        if tags == 1:
            return bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / Dot1Q(vlan=10) / ip)
        if tags == 2:
            return bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / Dot1AD(vlan=100) / Dot1Q(vlan=10) / ip)
        return bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / ip)
    if link == "sll":
        return bytes(CookedLinux(pkttype=0, lladdrtype=1, lladdrlen=6, src=b"\x02\x00\x00\x00\x00\x01\x00\x00", proto=ethertype)) + raw
    if link == "sll2":
        return bytes(CookedLinuxV2(proto=ethertype, ifindex=3, lladdrtype=1, pkttype=0, lladdrlen=6, src=b"\x02\x00\x00\x00\x00\x01\x00\x00")) + raw
    if link in ("raw", "raw12", "ipv4", "ipv6"):
        return raw
    if link == "null":
        return struct.pack("<I", 24 if is6 else 2) + raw
    if link == "loop":
        return struct.pack(">I", 24 if is6 else 2) + raw
    raise ValueError(link)


def non_ip(link):
    if link == "ethernet":
        return bytes(Ether(src="02:00:00:00:00:01", dst="ff:ff:ff:ff:ff:ff") / ARP(psrc="10.1.0.2", pdst="10.1.0.3"))
    if link == "sll2":
        return bytes(CookedLinuxV2(proto=0x0806, ifindex=3, lladdrtype=1, pkttype=0, lladdrlen=6)) + bytes(ARP())
    return None


def packet_stream(rng, count, links):
    """(timestamp_ns, link, bytes) in capture order: mostly increasing, some on exact window
    boundaries, a few slightly out of order, one long gap."""
    out = []
    t = START_NS
    while len(out) < count:
        link = rng.choice(links)
        family = 4 if link == "ipv4" else 6 if link == "ipv6" else None
        if rng.random() < 0.03 and non_ip(link):
            frames = [non_ip(link)]
        else:
            frames = [frame(rng, p, link) for p in ip_packets(rng, family)]
        for data in frames:
            step = int(rng.expovariate(1 / 40_000_000))
            if rng.random() < 0.01:
                t = START_NS + ((t - START_NS) // 10_000_000_000 + 1) * 10_000_000_000  # exactly on a boundary
            elif rng.random() < 0.002:
                t += 35_000_000_000  # a gap of empty windows
            else:
                t += step
            out.append([t, link, data])
    for i in range(1, len(out) - 1):
        if rng.random() < 0.01:
            out[i][0], out[i + 1][0] = out[i + 1][0], out[i][0]  # out of order by one packet
    return out[:count]


def write_pcap(path, packets, link, nanoseconds=False, big_endian=False, snaplen=262144):
    order = ">" if big_endian else "<"
    magic = 0xA1B23C4D if nanoseconds else 0xA1B2C3D4
    with open(path, "wb") as f:
        f.write(struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, snaplen, LINK[link]))
        for t, _, data in packets:
            sec, frac = divmod(t, 1_000_000_000)
            frac = frac if nanoseconds else frac // 1000
            caplen = min(len(data), snaplen)
            f.write(struct.pack(order + "IIII", sec, frac, caplen, len(data)) + data[:caplen])


def block(order, block_type, body):
    body += b"\0" * (-len(body) % 4)
    length = len(body) + 12
    return struct.pack(order + "II", block_type, length) + body + struct.pack(order + "I", length)


def option(order, code, value):
    return struct.pack(order + "HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def write_pcapng(path, sections):
    """sections: [{"big_endian": bool, "interfaces": [(link, tsresol byte, snaplen)],
                   "packets": [(t_ns, interface, bytes)], "unknown_block": bool}]"""
    with open(path, "wb") as f:
        for section in sections:
            order = ">" if section["big_endian"] else "<"
            f.write(block(order, 0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1)))
            for link, resolution, snaplen in section["interfaces"]:
                options = option(order, 9, bytes([resolution])) + option(order, 0, b"")
                f.write(block(order, 1, struct.pack(order + "HHI", LINK[link], 0, snaplen) + options))
            if section.get("unknown_block"):
                f.write(block(order, 0x0BADC0DE, b"custom block the reader must skip"))
            for t, interface, data in section["packets"]:
                _, resolution, snaplen = section["interfaces"][interface]
                ticks = to_ticks(t, resolution)
                caplen = min(len(data), snaplen)
                body = struct.pack(order + "IIIII", interface, ticks >> 32, ticks & 0xFFFFFFFF, caplen, len(data)) + data[:caplen]
                f.write(block(order, 6, body))


def to_ticks(t_ns, resolution):
    if resolution & 0x80:
        return (t_ns << (resolution & 0x7F)) // 1_000_000_000
    exponent = resolution
    return t_ns // 10 ** (9 - exponent) if exponent <= 9 else t_ns * 10 ** (exponent - 9)


def from_ticks(ticks, resolution):
    """What a reader makes of the ticks: nanoseconds, rounded toward the past."""
    if resolution & 0x80:
        return (ticks * 1_000_000_000) >> (resolution & 0x7F)
    return ticks * 10 ** (9 - resolution)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--packets", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()
    os.makedirs(arguments.directory, exist_ok=True)
    rng = random.Random(arguments.seed)
    captures = []

    def add(name, **details):
        captures.append({"file": name, **details})

    # pcap: one per link type, in both precisions and byte orders.
    variants = [("ethernet", False, False), ("sll2", True, False), ("sll", False, True), ("raw", True, True),
                ("raw12", False, False), ("ipv4", False, False), ("ipv6", True, False), ("null", False, False),
                ("loop", False, True)]
    for link, nanos, big in variants:
        packets = packet_stream(rng, arguments.packets, [link])
        name = f"{link}-{'ns' if nanos else 'us'}-{'be' if big else 'le'}.pcap"
        write_pcap(os.path.join(arguments.directory, name), packets, link, nanoseconds=nanos, big_endian=big)
        add(name, format="pcap", links=[link])

    # A snap length of 96 bytes cuts most packets (tcpdump -s 96).
    packets = packet_stream(rng, arguments.packets, ["ethernet"])
    write_pcap(os.path.join(arguments.directory, "ethernet-snaplen96.pcap"), packets, "ethernet", snaplen=96)
    add("ethernet-snaplen96.pcap", format="pcap", links=["ethernet"])

    # pcapng: two sections of opposite byte order; interfaces of different link types and resolutions.
    sections = []
    for big, interfaces in ((False, [("sll2", 9, 262144), ("ethernet", 6, 262144)]),
                            (True, [("raw", 0x80 | 20, 262144), ("sll", 3, 262144), ("ethernet", 9, 128)])):
        links = [i[0] for i in interfaces]
        stream = packet_stream(rng, arguments.packets // 2, links)
        if sections:  # the second section continues in time
            last = sections[-1]["packets"][-1][0]
            shift = last - START_NS + 1_000_000
            stream = [[t + shift, link, data] for t, link, data in stream]
        packets = []
        for t, link, data in stream:
            interface = links.index(link)
            ticks = to_ticks(t, interfaces[interface][1])
            packets.append((from_ticks(ticks, interfaces[interface][1]), interface, data))
        sections.append({"big_endian": big, "interfaces": interfaces, "packets": packets, "unknown_block": True})
    write_pcapng(os.path.join(arguments.directory, "mixed.pcapng"), sections)
    add("mixed.pcapng", format="pcapng", links=["sll2", "ethernet", "raw", "sll"])

    # One section with interfaces of three link types and resolutions: what editcap 4.0 can split
    # (it fails on files whose later sections redefine interfaces with other link types).
    interfaces = [("sll2", 9, 262144), ("ethernet", 6, 262144), ("raw", 0x80 | 20, 262144)]
    links = [i[0] for i in interfaces]
    packets = []
    for t, link, data in packet_stream(rng, arguments.packets, links):
        interface = links.index(link)
        packets.append((from_ticks(to_ticks(t, interfaces[interface][1]), interfaces[interface][1]), interface, data))
    write_pcapng(os.path.join(arguments.directory, "one-section.pcapng"),
                 [{"big_endian": False, "interfaces": interfaces, "packets": packets, "unknown_block": True}])
    add("one-section.pcapng", format="pcapng", links=links)

    # Compressed copies, recognised by content whatever their names.
    for source, target, method in (("sll2-ns-le.pcap", "sll2-ns-le.pcap.gz", "gzip"),
                                   ("one-section.pcapng", "one-section-pcapng.gz", "gzip"),
                                   ("ethernet-us-le.pcap", "ethernet-us-le.pcap.zst", "zstd")):
        with open(os.path.join(arguments.directory, source), "rb") as f:
            data = f.read()
        if method == "gzip":
            # Two gzip members, as `cat a.gz b.gz` makes; readers must take both.
            half = len(data) // 2
            compressed = gzip.compress(data[:half], mtime=0) + gzip.compress(data[half:], mtime=0)
        else:
            import subprocess
            compressed = subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True, check=True).stdout
        with open(os.path.join(arguments.directory, target), "wb") as f:
            f.write(compressed)
        add(target, format="pcapng" if "pcapng" in source else "pcap", links=[], compressed=method, same_as=source)

    with open(os.path.join(arguments.directory, "captures.json"), "w") as f:
        json.dump(captures, f, indent=1)
    print(f"wrote {len(captures)} captures to {arguments.directory}")


if __name__ == "__main__":
    main()
