#!/usr/bin/python3
"""PPS with qErr (fake gpsd -> gps-sock-bridge -> real chronyd, refclocks log).

The fake gpsd reports every PPS edge with real = S, clock = S - 2 us (system clock 2 us behind),
so without qErr the PPS sample is true - system = +2.000 us exactly. The sign rule of the bridge
(gps-sock-bridge.8, bridge.hpp): true - system = (real - qErr) - clock. So
  qErr = +800000 ps (+0.8 us) -> +1.200 us;   qErr = -800000 ps -> +2.800 us,
each checked to 2 ns on every sample chronyd received (refclocks log, raw offsets); a qErr
beyond +-1 us (5 us) is ignored: +2.000 us again.
The time (TOFF) stream with offset_s = serial delay stays at +2 us: qErr does not touch it.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import chronyharness  # noqa: E402
from gpsd.fakegpsd import FakeGpsd  # noqa: E402
from bridgeharness import (Checker, RefclockLog, CHRONY_LOG_CONF,  # noqa: E402
                           chrony_refclock_lines, bridge_run, bridge_workdir)

CLOCK_OFFSET_NS = -2000
QERR_PS = 800_000
TOL_S = 2e-9
SETTLE_S = 1.5     # reports in flight when a value changes
PHASE_SAMPLES = 4


def phase(ck, f, log, what, qerr_ps, expect_pps_s):
    f.qerr_ps = qerr_ps
    t = time.time() + SETTLE_S
    pps = log.wait_samples_after("PPS", t, PHASE_SAMPLES, 15)
    got = [o for _, o in pps]
    print("{}: PPS raw samples {}".format(what, got))
    ck.check(len(got) >= PHASE_SAMPLES, "{}: {} PPS samples".format(what, len(got)))
    ck.check(all(abs(o - expect_pps_s) <= TOL_S for o in got),
             "{}: every PPS sample is {:+.9f} s (+-2 ns)".format(what, expect_pps_s))
    gps = [o for _, o in log.samples_after("GPS", t)]
    ck.check(bool(gps) and all(abs(o - 2e-6) <= 1e-7 for o in gps),
             "{}: time samples unaffected by qErr (+2 us): {}".format(what, gps))


def main():
    ck = Checker()
    with bridge_workdir() as workdir, \
            FakeGpsd(serial_delay_s=0.130, clock_offset_ns=CLOCK_OFFSET_NS) as f, \
            chronyharness.Chronyd(chrony_refclock_lines(pps_sock=True), CHRONY_LOG_CONF) as c, \
            bridge_run(ck, c, workdir) as run:
        log = RefclockLog(c.dir)
        bridge = run.start({"gpsd_port": f.port, "time_socket": c.dir + "/time.sock",
                            "pps_socket": c.dir + "/pps.sock", "offset_s": 0.130})
        ck.check(f.wait_for_watcher(10), "the bridge WATCHes with pps:true")
        phase(ck, f, log, "no qErr", None, 2e-6)
        phase(ck, f, log, "qErr +0.8 us", QERR_PS, 2e-6 - 0.8e-6)
        phase(ck, f, log, "qErr -0.8 us", -QERR_PS, 2e-6 + 0.8e-6)
        # The man page: a qErr beyond +-1 us is ignored, the pulse used uncorrected.
        phase(ck, f, log, "qErr +5 us (implausible)", 5_000_000, 2e-6)
    return ck.finish()


if __name__ == "__main__":
    sys.exit(main())
