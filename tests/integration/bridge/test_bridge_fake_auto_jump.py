#!/usr/bin/python3
"""offset_s = "auto" and the one-report jump gate (fake gpsd -> bridge -> real chronyd).

The fake gpsd sends each second's TOFF 130 ms after its PPS (TOFF real - clock = -0.130 s).
- "auto": the bridge estimates the serial delay from TOFF.clock - PPS.clock; it must log an
  estimate within 130 +- 2 ms, and every time sample chronyd receives must be within +-2 ms of
  0 (with offset_s = 0 they would be -130 ms).
- A TOFF that says S+1 for one report (a 1 s jump) must not reach chronyd (no sample with
  |offset| > 0.5 s), and samples continue right after it.
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import chronyharness  # noqa: E402
from gpsd.fakegpsd import FakeGpsd  # noqa: E402
from bridgeharness import (Checker, RefclockLog, CHRONY_LOG_CONF,  # noqa: E402
                           chrony_refclock_lines, bridge_run, bridge_workdir)

SERIAL_DELAY_S = 0.130


def main():
    ck = Checker()
    with bridge_workdir() as workdir, \
            FakeGpsd(serial_delay_s=SERIAL_DELAY_S) as f, \
            chronyharness.Chronyd(chrony_refclock_lines(pps_sock=True), CHRONY_LOG_CONF) as c, \
            bridge_run(ck, c, workdir) as run:
        log = RefclockLog(c.dir)
        bridge = run.start({"gpsd_port": f.port, "time_socket": c.dir + "/time.sock",
                            "pps_socket": c.dir + "/pps.sock", "offset_s": "auto"})
        t0 = time.time()
        gps = log.wait_samples_after("GPS", 0, 4, 30)
        print("auto: first time sample {:.1f} s after start; samples {}".format(
            gps[0][0] - t0 if gps else float("nan"), [o for _, o in gps]))
        ck.check(len(gps) >= 4, "auto: time samples once the delay is estimated")
        ck.check(all(abs(o) <= 0.002 for _, o in gps),
                 "auto: every time sample within +-2 ms of 0 (serial delay applied)")
        est = [float(m) for m in re.findall(r"serial delay estimate: ([0-9.]+) ms",
                                            bridge.log())]
        print("auto: logged estimates (ms):", est)
        ck.check(bool(est) and abs(est[-1] - SERIAL_DELAY_S * 1000) <= 2.0,
                 "auto: logged estimate within 130 +- 2 ms")

        before = len([s for s in f.sent if s[0] == "TOFF"])
        f.jump_next_toff_s = 1
        t_jump = time.time()
        time.sleep(2.5)
        jumped = [s[1] for s in f.sent[before:] if s[0] == "TOFF"
                  and s[1]["real_sec"] - s[1]["clock_sec"] >= 1]
        ck.check(len(jumped) == 1, "the fake sent exactly one TOFF jumped by 1 s")
        after = log.wait_samples_after("GPS", t_jump + 2.5, 3, 10)
        ck.check(len(after) >= 3, "time samples continue after the jump")
        bad = [s for s in log.samples("GPS") if abs(s[1]) > 0.5]
        ck.check(not bad, "no time sample carries the 1 s jump (got {})".format(bad))
        ck.check(all(abs(o) <= 0.002 for _, o in log.samples("GPS")),
                 "all time samples within +-2 ms of 0")
    return ck.finish()


if __name__ == "__main__":
    sys.exit(main())
