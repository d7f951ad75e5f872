#!/usr/bin/python3
"""The fake gpsd (fakegpsd.py) speaks like a real gpsd 3.22, so bridge tests against it mean
something:
- VERSION identical to the real gpsd's; WATCH, DEVICE and TOFF objects with the same fields;
  TPV fields a subset of the real ones;
- TOFF/PPS only for clients that asked for "pps":true (as gpsd); values exactly as scripted:
  PPS real - clock = -clock_offset_ns, TOFF real - clock = -serial_delay - clock_offset_ns,
  qErr present only when set;
- the bad-input modes really are bad (1 MB line, unparsable line, closed mid-line).
"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import gpsdharness  # noqa: E402
from gpsd.fakegpsd import FakeGpsd  # noqa: E402


def check(failed, ok, what):
    print(("PASS " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failed.append(what)


def first_of(reports, cls):
    for r in reports:
        if r.get("class") == cls:
            return r
    return None


def fields(obj):
    return set(k for k in obj if not k.startswith("_")) if obj else set()


def raw_lines(port, seconds, watch=b'?WATCH={"enable":true,"json":true,"pps":true};\n'):
    data = b""
    deadline = time.monotonic() + seconds
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(watch)
        while time.monotonic() < deadline:
            s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = s.recv(1 << 20)
            except socket.timeout:
                break
            if not chunk:
                return data, True
            data += chunk
    return data, False


def main():
    failed = []
    with gpsdharness.Gpsd(delay_ms=180) as g:
        real = g.collect(2.5)
    with FakeGpsd(serial_delay_s=0.130, clock_offset_ns=-2000, qerr_ps=None) as f:
        fake = list(gpsdharness.read_reports(f.port, 2.5))
        check(failed, first_of(fake, "VERSION") is not None and
              fields(first_of(fake, "VERSION")) == fields(first_of(real, "VERSION")) and
              all(first_of(fake, "VERSION")[k] == first_of(real, "VERSION")[k]
                  for k in fields(first_of(real, "VERSION"))),
              "VERSION identical to gpsd 3.22's: {}".format(first_of(real, "VERSION")))
        for cls in ("WATCH", "TOFF"):
            check(failed, fields(first_of(fake, cls)) == fields(first_of(real, cls)),
                  "{} has gpsd's fields {}".format(cls, sorted(fields(first_of(real, cls)))))
        rd = first_of(real, "DEVICES")["devices"][0]
        fd = first_of(fake, "DEVICES")["devices"][0]
        check(failed, fields(fd) <= fields(rd) | {"driver"}, "DEVICE fields are gpsd's")
        check(failed, fields(first_of(fake, "TPV")) <= fields(first_of(real, "TPV")) | {"altHAE"},
              "TPV fields are a subset of gpsd's")

        pps = [r for r in fake if r.get("class") == "PPS"]
        toff = [r for r in fake if r.get("class") == "TOFF"]
        ns = lambda r, p: r[p + "_sec"] * 10**9 + r[p + "_nsec"]  # noqa: E731
        check(failed, pps and all(ns(r, "real") - ns(r, "clock") == 2000 for r in pps)
              and all("qErr" not in r for r in pps), "PPS real - clock = +2000 ns, no qErr")
        check(failed, toff and all(ns(r, "real") - ns(r, "clock") == -130_000_000 + 2000
                                   for r in toff), "TOFF real - clock = -130 ms + 2 us")

        f.qerr_ps = 800000
        later = list(gpsdharness.read_reports(f.port, 2.2))
        check(failed, all(r.get("qErr") == 800000 for r in later if r.get("class") == "PPS")
              and any(r.get("class") == "PPS" for r in later), "qErr sent when set")

        nopps = list(gpsdharness.read_reports(f.port, 2.2, pps=False))
        check(failed, not any(r.get("class") in ("PPS", "TOFF") for r in nopps)
              and any(r.get("class") == "TPV" for r in nopps),
              "no TOFF/PPS without WATCH pps:true (as gpsd)")

        f.inject("huge")
        data, _ = raw_lines(f.port, 2.5)
        check(failed, max(len(l) for l in data.split(b"\n")) >= 1 << 20, "huge: a 1 MB line")
        f.inject("malformed")
        data, _ = raw_lines(f.port, 2.5)
        bad = [l for l in data.split(b"\r\n") if l.startswith(b"{") and b"}}{" in l]
        check(failed, len(bad) == 1, "malformed: one unparsable line")
        f.inject("midline_close")
        data, closed = raw_lines(f.port, 3.0)
        check(failed, closed and not data.endswith(b"\n"), "midline_close: closed mid-line")
    print("{} failed".format(len(failed)) if failed else "all checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
