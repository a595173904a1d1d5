"""Gratuitous ARP frame layout and VIP parameter resolution (no namespaces needed)."""

from __future__ import annotations

import struct

import pytest

from hub.drivers.base import TargetNotAllowedError
from hub.drivers.garp import ARPOP_REPLY, build_garp_frame
from hub.drivers.vip import VipConfig, VipHost, failback, resolve_vip

MAC = bytes.fromhex("02aabbccddee")


def test_garp_request_frame() -> None:
    frame = build_garp_frame(MAC, "10.231.0.100")
    assert len(frame) == 42
    assert frame[:6] == b"\xff" * 6 and frame[6:12] == MAC
    assert struct.unpack("!H", frame[12:14])[0] == 0x0806
    htype, ptype, hlen, plen, op = struct.unpack("!HHBBH", frame[14:22])
    assert (htype, ptype, hlen, plen, op) == (1, 0x0800, 6, 4, 1)
    sha, spa, tha, tpa = frame[22:28], frame[28:32], frame[32:38], frame[38:42]
    assert sha == MAC and spa == tpa == bytes([10, 231, 0, 100]) and tha == b"\0" * 6


def test_garp_reply_frame_and_bad_input() -> None:
    frame = build_garp_frame(MAC, "10.231.0.100", ARPOP_REPLY)
    assert struct.unpack("!H", frame[20:22])[0] == 2 and frame[32:38] == b"\xff" * 6
    with pytest.raises(ValueError):
        build_garp_frame(b"\x00", "10.231.0.100")
    with pytest.raises(ValueError):
        build_garp_frame(MAC, "not-an-ip")


def cfg(*hosts: str) -> dict[str, VipConfig]:
    return {"web": VipConfig("10.231.0.100", 24, {h: VipHost(h, "eth0", h) for h in hosts})}


def test_resolve_vip_by_name_or_address() -> None:
    vips = cfg("a", "b")
    assert resolve_vip(vips, {"vip": "web", "to": "b"})[1].name == "b"
    assert resolve_vip(vips, {"vip": "10.231.0.100", "to": "a"})[1].name == "a"
    for params in ({"vip": "db", "to": "a"}, {"vip": "web", "to": "c"}, {"to": "a"}):
        with pytest.raises(TargetNotAllowedError):
            resolve_vip(vips, params)


def test_failback() -> None:
    assert failback(cfg("a", "b")["web"], {"vip": "web", "to": "b"}) == (
        "vip.failover", {"vip": "web", "to": "a", "from": "b"})
    three = cfg("a", "b", "c")["web"]
    assert failback(three, {"vip": "web", "to": "b"}) is None
    assert failback(three, {"vip": "web", "to": "b", "from": "c"}) == (
        "vip.failover", {"vip": "web", "to": "c", "from": "b"})
