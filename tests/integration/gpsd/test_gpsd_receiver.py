#!/usr/bin/python3
"""The test receiver + a real gpsd 3.22 (gpsdharness) behave as the bridge tests assume:

- gpsd autodetects the NMEA on the pty and reports TOFF with real - clock = -(delay + gpsd's
  read latency), i.e. within [-delay - 15 ms, -delay];
- "no fix" (SIGUSR1 to the receiver) turns TPV mode to <= 1 while TOFF keeps coming (so only
  the bridge's fix gate can stop samples), and the fix comes back (SIGUSR2);
- gpsd killed and restarted on the same pty and port reports again.
"""

import sys
import time

import gpsdharness

DELAY_MS = 180


def check(failed, ok, what):
    print(("PASS " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failed.append(what)


def main():
    failed = []
    t0 = time.monotonic()
    with gpsdharness.Gpsd(delay_ms=DELAY_MS) as g:
        print("gpsd reported a fix {:.1f} s after start".format(time.monotonic() - t0))
        reports = g.collect(4.2)
        toff = [r for r in reports if r.get("class") == "TOFF"]
        tpv = [r for r in reports if r.get("class") == "TPV"]
        d = [(r["real_sec"] + r["real_nsec"] * 1e-9) - (r["clock_sec"] + r["clock_nsec"] * 1e-9)
             for r in toff]
        print("TOFF real - clock:", [round(x, 6) for x in d])
        check(failed, len(toff) >= 3, "at least 3 TOFF in 4 s (got {})".format(len(toff)))
        check(failed, all(-DELAY_MS / 1000 - 0.015 <= x <= -DELAY_MS / 1000 for x in d),
              "TOFF real - clock within [-{0} ms - 15 ms, -{0} ms]".format(DELAY_MS))
        check(failed, all(r["real_nsec"] == 0 for r in toff), "TOFF real is a whole second")
        check(failed, bool(tpv) and all(r.get("mode") == 3 for r in tpv), "TPV mode 3 with a fix")

        g.set_fix(False)
        time.sleep(1.5)
        reports = g.collect(3.2)
        modes = [r.get("mode") for r in reports if r.get("class") == "TPV"]
        ntoff = len([r for r in reports if r.get("class") == "TOFF"])
        print("no fix: TPV modes", modes, "TOFF count", ntoff)
        check(failed, bool(modes) and all(m <= 1 for m in modes), "no fix -> TPV mode <= 1")
        check(failed, ntoff >= 2, "gpsd still sends TOFF without a fix (the bridge must gate)")

        g.set_fix(True)
        time.sleep(1.5)
        modes = [r.get("mode") for r in g.collect(2.2) if r.get("class") == "TPV"]
        check(failed, bool(modes) and all(m == 3 for m in modes), "fix back -> TPV mode 3")

        t1 = time.monotonic()
        g.restart()
        took = time.monotonic() - t1
        print("gpsd restart: fix reported again after {:.1f} s".format(took))
        again = [r for r in g.collect(2.2) if r.get("class") == "TOFF"]
        check(failed, len(again) >= 1, "TOFF again after gpsd restart")
    print("{} failed".format(len(failed)) if failed else "all checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
