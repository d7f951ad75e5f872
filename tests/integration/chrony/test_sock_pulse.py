"""A pulse refclock locked to a SOCK time source (`refclock SOCK pps.sock refid PPS lock GPS`),
fed by SockWriter::send_pulse through refclock-feed.

The GPS time source claims true - system = +D; the pulses are edges at the top of each TRUE
second (system time = true - D) with offset = system - true = -D (opposite sign to a full-time
sample: docs/hardware-notes.md#chrony-sock). GPS is `noselect`, so the system clock can only
follow PPS:
  right sign: PPS is selected (#*), tracking says D slow, PPS agrees with GPS;
  wrong sign (--wrong-sign, the control): the same checks FAIL -- tracking says D fast and PPS
  disagrees with GPS by 2D. Showing both proves the test can tell the signs apart."""

from chronyharness import Chronyd, HarnessError
from refclockfeed import Feed

D_NS = 250_000
D_S = D_NS * 1e-9
TOL_S = 1e-6
CONF = [
    "refclock SOCK {dir}/gps.sock refid GPS poll 0 filter 2 noselect",
    "refclock SOCK {dir}/pps.sock refid PPS poll 0 filter 1 lock GPS",
]


def observe(wrong_sign):
    """Run one chronyd with both feeds; return (pps source, gps source, tracking) once PPS has
    been selected and two more updates have happened."""
    label = "wrong-sign" if wrong_sign else "right-sign"
    with Chronyd(CONF, name=f"chronyd-pulse-{label}") as c, \
         Feed("sock", "--path", f"{c.dir}/gps.sock", "--name", "GPS", "--mode", "time",
              "--offset-ns", D_NS, "--rate-hz", 4, "--status-every", 4), \
         Feed("sock", "--path", f"{c.dir}/pps.sock", "--name", "PPS", "--mode", "pulse",
              "--offset-ns", D_NS, "--rate-hz", 1, "--status-every", 1,
              *(["--wrong-sign"] if wrong_sign else [])) as pps_feed:
        c.wait_for(lambda: (s := c.source("PPS")) and s["mode"] == "#" and s["state"] == "*",
                   25, f"PPS selected ({label})")
        t0 = c.tracking()
        c.wait_for(lambda: c.tracking()["ref_time_s"] > t0["ref_time_s"] + 1.5, 10,
                   "two more clock updates")
        pps, gps, t = c.source("PPS"), c.source("GPS"), c.tracking()
        print(f"[{label}] PPS {pps}\n[{label}] GPS {gps}\n[{label}] tracking {t}\n"
              f"[{label}] pulse feed {pps_feed.counters()}")
        assert pps_feed.counters().get("sent", 0) >= 3, pps_feed.counters()
        return pps, gps, t


def consistent(pps, gps, t):
    """The checks of the right-sign case, as one predicate, with the reasons it is false."""
    problems = []
    if pps["state"] != "*":
        problems.append(f"PPS not selected (state {pps['state']!r})")
    if t["ref_name"] != "PPS":
        problems.append(f"reference is {t['ref_name']!r}, not PPS")
    if abs(t["system_time_s"] - D_S) > TOL_S:
        problems.append(f"system time {t['system_time_s'] * 1e6:+.3f} us, expected {D_S * 1e6:+.3f} us (slow)")
    if abs(pps["offset_s"] - gps["offset_s"]) > TOL_S:
        problems.append(f"PPS offset {pps['offset_s'] * 1e6:+.3f} us vs GPS {gps['offset_s'] * 1e6:+.3f} us")
    return problems


def main():
    pps, gps, t = observe(wrong_sign=False)
    problems = consistent(pps, gps, t)
    assert not problems, f"right sign should be consistent: {problems}"
    print("right sign: PPS #*, system clock "
          f"{t['system_time_s'] * 1e6:.3f} us slow, PPS agrees with GPS")

    pps, gps, t = observe(wrong_sign=True)
    problems = consistent(pps, gps, t)
    assert problems, "wrong sign passed the same checks: the test cannot tell the signs apart"
    # And it is wrong by exactly what a sign error predicts: 2D between PPS and GPS, and the
    # clock steered D the wrong way.
    diff = gps["offset_s"] - pps["offset_s"]
    assert abs(abs(diff) - 2 * D_S) <= 2 * TOL_S, f"PPS - GPS = {diff * 1e6:+.3f} us, expected 2D"
    assert abs(t["system_time_s"] + D_S) <= TOL_S, t
    print(f"wrong sign (control): rejected by the checks ({'; '.join(problems)}); "
          f"PPS and GPS differ by {abs(diff) * 1e6:.3f} us = 2D")
    print("PASS")


if __name__ == "__main__":
    main()
