#!/usr/bin/python3
"""Real gpsd -> gps-sock-bridge -> real chronyd: no fix, no samples; fix back, samples resume.

gpsd keeps sending TOFF without a fix (checked in tests/integration/gpsd), so only the bridge's
fix gate can stop the samples. "No sample" is read from chronyd's refclocks log, which lists
every raw sample the SOCK refclock received.
"""

import sys
import time

import chronyharness
import gpsdharness
from bridgeharness import (Checker, RefclockLog, CHRONY_LOG_CONF, chrony_refclock_lines,
                           bridge_run, bridge_workdir)

GRACE_S = 2.0        # reports already under way when the fix goes
NO_FIX_WINDOW_S = 6.0
RESUME_LIMIT_S = 10.0


def main():
    ck = Checker()
    with bridge_workdir() as workdir, \
            gpsdharness.Gpsd(delay_ms=180) as gpsd, \
            chronyharness.Chronyd(chrony_refclock_lines(), CHRONY_LOG_CONF) as c, \
            bridge_run(ck, c, workdir) as run:
        log = RefclockLog(c.dir)
        bridge = run.start({"gpsd_port": gpsd.port, "time_socket": c.dir + "/time.sock",
                            "offset_s": 0.180})
        first = log.wait_samples_after("GPS", 0, 3, 20)
        ck.check(len(first) >= 3, "samples flow with a fix ({} samples)".format(len(first)))

        t_off = time.time()
        gpsd.set_fix(False)
        time.sleep(GRACE_S + NO_FIX_WINDOW_S)
        late = log.samples_after("GPS", t_off + GRACE_S)
        ck.check(not late, "no sample from {:.0f} s after the fix was lost, for {:.0f} s "
                 "(got {}: {})".format(GRACE_S, NO_FIX_WINDOW_S, len(late), late[:3]))

        t_on = time.time()
        gpsd.set_fix(True)
        back = log.wait_samples_after("GPS", t_on, 2, RESUME_LIMIT_S)
        took = back[0][0] - t_on if back else float("nan")
        ck.check(len(back) >= 2, "samples resume after the fix returns (first after "
                 "{:.1f} s, limit {:.0f} s)".format(took, RESUME_LIMIT_S))
        ck.check(all(abs(o) < 0.005 for _, o in back),
                 "resumed samples are good (|true-system| < 5 ms): {}".format(
                     [round(o, 6) for _, o in back]))
    return ck.finish()


if __name__ == "__main__":
    sys.exit(main())
