"""Send gratuitous ARP for an address from an interface, with a raw AF_PACKET socket.

After a VIP moves, neighbours still map it to the old holder's MAC until their cache
entry expires; a gratuitous ARP makes them switch at once.  We build the frame ourselves
instead of depending on ``arping`` (not installed by default on Debian).  The socket must
be opened inside the new holder's network namespace, so this file also runs as a script
(stdlib only) under ``ip netns exec NAME python3 garp.py IFNAME ADDRESS``.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import sys
import time

ETH_P_ARP = 0x0806
ARPOP_REQUEST = 1
ARPOP_REPLY = 2
BROADCAST = b"\xff" * 6


def build_garp_frame(mac: bytes, address: str, op: int = ARPOP_REQUEST) -> bytes:
    """An Ethernet broadcast ARP frame announcing ``address`` at ``mac`` (sender = target).

    The request form has a zero target MAC (RFC 5227 announcement); the reply form names
    the broadcast MAC, which some older stacks need to update their caches.
    """
    if len(mac) != 6:
        raise ValueError("mac must be 6 bytes")
    ip = ipaddress.IPv4Address(address).packed
    target_mac = b"\x00" * 6 if op == ARPOP_REQUEST else BROADCAST
    eth = BROADCAST + mac + struct.pack("!H", ETH_P_ARP)
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + mac + ip + target_mac + ip
    return eth + arp


def send_garp(ifname: str, address: str, count: int = 2, interval: float = 0.2) -> int:
    """Send ``count`` announcements (alternating request/reply); returns frames sent."""
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP)) as sock:
        sock.bind((ifname, ETH_P_ARP))
        mac: bytes = sock.getsockname()[4]
        for i in range(count):
            op = ARPOP_REQUEST if i % 2 == 0 else ARPOP_REPLY
            sock.send(build_garp_frame(mac, address, op))
            if i + 1 < count:
                time.sleep(interval)
    return count


def main(argv: list[str]) -> int:
    if len(argv) not in (3, 4):
        print("usage: garp.py IFNAME ADDRESS [COUNT]", file=sys.stderr)
        return 2
    count = int(argv[3]) if len(argv) == 4 else 2
    send_garp(argv[1], argv[2], count)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
