#!/usr/bin/python3
"""gpsd killed and restarted, then chronyd killed and restarted: samples resume within 10 s
each, and the bridge (same process all along) never needed a restart.

"Resume" = a new raw sample in chronyd's refclocks log, timed from the moment the restarted
daemon serves again: for chronyd its start, for gpsd its first fix report (gpsd 3.22 itself
needs 4-7 s to probe a pty before reporting; that time is printed, not charged to the bridge).
"""

import sys
import time

import chronyharness
import gpsdharness
from bridgeharness import (Checker, RefclockLog, CHRONY_LOG_CONF, chrony_refclock_lines,
                           bridge_run, bridge_workdir)

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
        pid = bridge.proc.pid
        ck.check(len(log.wait_samples_after("GPS", 0, 3, 20)) >= 3, "samples flow")

        # gpsd crash: samples stop, then resume after gpsd is back.
        t_kill = time.time()
        gpsd.kill()
        time.sleep(3)
        ck.check(not log.samples_after("GPS", t_kill + 1.5),
                 "no samples while gpsd is dead")
        t_start = time.time()
        gpsd.start_gpsd(wait_s=20)
        t_back = time.time()
        back = log.wait_samples_after("GPS", t_start, 1, RESUME_LIMIT_S + 2)
        took = back[0][0] - t_back if back else float("inf")
        print("gpsd restart: gpsd itself reported a fix {:.1f} s after its start; first "
              "sample {:.1f} s after that".format(t_back - t_start, took))
        ck.check(took <= RESUME_LIMIT_S, "samples resume within {:.0f} s once the "
                 "restarted gpsd reports (took {:.1f} s)".format(RESUME_LIMIT_S, took))

        # chronyd crash: its socket is gone / refused; the bridge must reconnect.
        c.kill()
        time.sleep(2)
        t_start = time.time()
        c.start()
        back = log.wait_samples_after("GPS", t_start, 1, RESUME_LIMIT_S + 2)
        took = back[0][0] - t_start if back else float("inf")
        print("chronyd restart: first sample {:.1f} s after chronyd was started".format(took))
        ck.check(took <= RESUME_LIMIT_S, "samples resume within {:.0f} s of the chronyd "
                 "restart (took {:.1f} s)".format(RESUME_LIMIT_S, took))

        ck.check(bridge.running() and bridge.proc.pid == pid,
                 "the same bridge process ran through both restarts")
    return ck.finish()


if __name__ == "__main__":
    sys.exit(main())
