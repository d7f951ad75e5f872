"""phc-pps-sync against a hostile "ptp4l": a Unix datagram socket that answers the daemon's
management requests first with malformed datagrams only (garbage, a truncated header, a wrong
message type, a lying length, an unknown TLV) for 8 s, then like linuxptp (RESPONSE with the
settings it holds). Checked: the daemon keeps running and keeps asking, then settles with the
fake holding clockClass 6 (the simulation tracks) and /status reports ptp4l reachable.
"""

import os
import socket
import struct
import tempfile
import time

from daemonharness import PhcPpsSync


def check(cond, what):
    if not cond:
        raise AssertionError(f"FAILED: {what}")
    print(f"ok: {what}", flush=True)


GM_SETTINGS_NP = 0xC001


def response(req, data):
    """The request turned into a RESPONSE carrying `data` (8 bytes of GRANDMASTER_SETTINGS_NP)."""
    header = bytearray(req[:48])
    header[46] = (header[46] & 0xF0) | 2  # actionField RESPONSE
    tlv = struct.pack(">HHH", 1, 2 + len(data), GM_SETTINGS_NP) + data
    msg = header + tlv
    struct.pack_into(">H", msg, 2, len(msg))
    return bytes(msg)


def malformed(req):
    good = response(req, bytes(8))
    lying = bytearray(good)
    struct.pack_into(">H", lying, 2, 4000)
    wrong_type = bytearray(good)
    wrong_type[0] = 0x0B  # an Announce
    unknown_tlv = bytearray(good)
    struct.pack_into(">H", unknown_tlv, 48, 0x7777)
    return [b"\xde\xad\xbe\xef", good[:20], bytes(wrong_type), bytes(lying), bytes(unknown_tlv),
            good[:52]]


def main():
    with tempfile.TemporaryDirectory(prefix="nanotime-bad-ptp4l-") as d:
        path = os.path.join(d, "ptp4l")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(path)
        s.settimeout(0.2)
        held = bytes([248, 0xFE, 0xFF, 0xFF, 0, 37, 0, 0xA0])
        with PhcPpsSync("rt-basic.toml", {"chrony_socket": "", "ptp4l_socket": path}) as daemon:
            t0 = time.monotonic()
            bad_sent, requests = 0, 0
            while time.monotonic() - t0 < 8:
                try:
                    req, addr = s.recvfrom(1500)
                except socket.timeout:
                    continue
                requests += 1
                for b in malformed(req):
                    s.sendto(b, addr)
                    bad_sent += 1
            check(daemon.running(), f"alive after {bad_sent} malformed answers to {requests} requests")
            check(requests >= 3, "kept asking (retries every second)")
            check("malformed" in daemon.log_text(), "malformed answers logged")

            def serve_until_class_6():
                nonlocal held
                try:
                    req, addr = s.recvfrom(1500)
                except socket.timeout:
                    return False
                action = req[46] & 0x0F
                if action == 1 and len(req) >= 62:  # SET: keep its 8 data bytes
                    held = bytes(req[54:62])
                s.sendto(response(req, held), addr)
                return held[0] == 6

            daemon.wait_for(serve_until_class_6, 60, "the fake ptp4l holds clockClass 6")
            # A few more rounds as linuxptp, so the daemon sees its settings confirmed.
            t1 = time.monotonic()
            while time.monotonic() - t1 < 7:
                serve_until_class_6()
            check(held[0] == 6 and held[4:6] == b"\x00\x25" and (held[6] & 0x18) == 0x18,
                  f"held settings: class 6, UTC offset 37, ptpTimescale+timeTraceable ({held.hex()})")
            reachable = daemon.metric("nanotime_ptp4l_reachable").get("value")
            check(reachable == 1, f"/status: ptp4l reachable ({reachable})")
            check(daemon.terminate() == 0, "SIGTERM: exit 0")
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
