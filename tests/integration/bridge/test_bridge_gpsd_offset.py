#!/usr/bin/python3
"""Real gpsd -> gps-sock-bridge -> real chronyd: the configured serial delay is applied.

The test receiver writes NMEA 180 ms after each second, so gpsd's TOFF says the serial time
arrives ~181 ms late (180 ms + gpsd's read latency).
  offset_s = 0.180 -> chronyd (-x) tracks within 5 ms of the receiver's time;
  offset_s = 0     -> chronyd says the system clock is ~181 ms FAST (system_time_s, which is
                      true - system, between -0.190 and -0.170 s).
Both come from `chronyc tracking` and from the raw samples in chronyd's refclocks log.
"""

import os
import sys
import tempfile
import shutil

import chronyharness
import gpsdharness
from bridgeharness import (Bridge, Checker, RefclockLog, CHRONY_LOG_CONF, chrony_refclock_lines,
                           dump_on_failure, median)

DELAY_MS = 180


def phase(ck, gpsd, workdir, offset_s, lo, hi):
    """Run chronyd + bridge with offset_s; check tracking's true - system lies in [lo, hi]."""
    bridge = None
    with chronyharness.Chronyd(chrony_refclock_lines(), CHRONY_LOG_CONF,
                               name="chronyd-off{}".format(offset_s)) as c:
        try:
            bridge = Bridge({"gpsd_port": gpsd.port, "time_socket": c.dir + "/time.sock",
                             "offset_s": offset_s}, workdir, name="bridge-off{}".format(offset_s))
            bridge.start()
            c.wait_for(lambda: (c.source("GPS") or {}).get("state") == "*", 40,
                       "GPS refclock selected (offset_s={})".format(offset_s))
            c.wait_for(lambda: c.tracking()["ref_name"] == "GPS", 10, "tracking GPS")
            tr = c.tracking()
            raw = [off for _, off in RefclockLog(c.dir).samples("GPS")]
            print("offset_s={}: tracking system_time_s (true - system) = {:+.6f} s; "
                  "{} raw samples, median {:+.6f} s".format(offset_s, tr["system_time_s"],
                                                            len(raw), median(raw)))
            print(c.chronyc("tracking"))
            ck.check(lo <= tr["system_time_s"] <= hi,
                     "offset_s={}: tracking true-system {:+.6f} s in [{:+.3f}, {:+.3f}]".format(
                         offset_s, tr["system_time_s"], lo, hi))
            ck.check(lo <= median(raw) <= hi,
                     "offset_s={}: median raw sample {:+.6f} s in [{:+.3f}, {:+.3f}]".format(
                         offset_s, median(raw), lo, hi))
            ck.check(bridge.running(), "bridge still running")
        except BaseException:
            dump_on_failure(bridge, c)
            raise
        finally:
            if bridge is not None:
                rc = bridge.stop()
                ck.check(rc == 0, "bridge exits 0 on SIGTERM (got {})".format(rc))


def main():
    ck = Checker()
    workdir = tempfile.mkdtemp(prefix="nanotime-bridgetest-")
    try:
        with gpsdharness.Gpsd(delay_ms=DELAY_MS) as gpsd:
            phase(ck, gpsd, workdir, 0.180, -0.005, 0.005)
            phase(ck, gpsd, workdir, 0.0, -0.190, -0.170)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return ck.finish()


if __name__ == "__main__":
    sys.exit(main())
