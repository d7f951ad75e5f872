"""NTP SHM unit 2 (`refclock SHM 2:perm=0666`): ShmWriter samples claiming true - system =
-50 us make chronyd report the system clock 50 us FAST and select the source.

Runs in a private IPC namespace (the script re-executes itself under `unshare --ipc`), so the
segment with key 0x4e545032 cannot collide with a system gpsd/chronyd and vanishes at exit."""

import os
import shutil
import sys

from chronyharness import Chronyd, HarnessError
from refclockfeed import Feed

D_NS = -50_000
TOL_S = 0.1e-6
SUB_US_NS = -50_250
SUB_US_TOL_S = 20e-9


def in_private_ipc_namespace():
    if os.environ.get("NANOTIME_PRIVATE_IPC") == "1":
        return
    unshare = shutil.which("unshare")
    if not unshare:
        raise HarnessError("unshare (util-linux) is missing: cannot isolate the SHM segment")
    os.environ["NANOTIME_PRIVATE_IPC"] = "1"
    sys.stdout.flush()
    os.execv(unshare, [unshare, "--ipc", sys.executable, "-B", os.path.abspath(__file__)])


def main():
    in_private_ipc_namespace()
    with Chronyd(["refclock SHM 2:perm=0666 refid SHM dpoll -2 poll 0 filter 2"], name="chronyd-shm") as c, \
         Feed("shm", "--unit", 2, "--perm", "0666", "--offset-ns", D_NS, "--rate-hz", 4,
              "--status-every", 4) as f:
        c.wait_for(lambda: (s := c.source("SHM")) and s["mode"] == "#" and s["state"] == "*",
                   20, "SHM selected (#*)")
        want = D_NS * 1e-9
        t = c.wait_for(lambda: (t := c.tracking()) and abs(t["system_time_s"] - want) <= TOL_S and t,
                       15, f"System time {-want * 1e6:.3f} us fast")
        text = c.chronyc("tracking")
        assert "seconds fast of NTP time" in text, text
        print(f"tracking {t}\nfeed {f.counters()}")
        assert f.counters().get("written", 0) > 0
    print(f"system clock {-t['system_time_s'] * 1e6:.3f} us fast via SHM unit 2")
    # Same again with a sub-microsecond offset: exact only if chrony takes the NSec fields
    # (it does only when NSec / 1000 == USec for both stamps); with USec alone the two stamps
    # are truncated separately and the offset would come out as -50 or -51 us.
    with Chronyd(["refclock SHM 2:perm=0666 refid SHM dpoll -2 poll 0 filter 2"], ["log refclocks"],
                 name="chronyd-shm-ns") as c, \
         Feed("shm", "--unit", 2, "--perm", "0666", "--offset-ns", SUB_US_NS, "--rate-hz", 4,
              "--status-every", 4):
        want = SUB_US_NS * 1e-9
        t = c.wait_for(lambda: (t := c.tracking()) and abs(t["system_time_s"] - want) <= SUB_US_TOL_S and t,
                       20, f"System time {-want * 1e6:.3f} us fast (+-{SUB_US_TOL_S * 1e9:.0f} ns)")
        # Every single sample chronyd read must carry the exact offset (USec-only reads would
        # give -5.0e-05 or -5.1e-05).
        samples = c.refclock_samples("SHM")
        assert len(samples) >= 4, samples
        bad = [s for s in samples if abs(s["raw_offset_s"] - want) > 1e-9]
        assert not bad, f"{len(bad)} of {len(samples)} samples not exact, e.g. {bad[:3]}"
        print(f"sub-microsecond: system clock {-t['system_time_s'] * 1e6:.3f} us fast, all "
              f"{len(samples)} raw samples exactly {want * 1e6:.3f} us (nanoseconds used)")
    print("PASS")


if __name__ == "__main__":
    main()
