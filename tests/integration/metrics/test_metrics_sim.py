"""/metrics of the real phc-pps-sync daemon in realtime simulation, parsed with Prometheus' own
text-format parser (Debian's python3-prometheus-client), tracks the simulation through a PPS
outage (profiles/rt-outage-short.toml: warm start, PPS cut at t = 40 s for 20 s; t = 0 is the
daemon's start, 1 simulated second = 1 real second). Checked, on every scrape:
  - the whole exposition parses; every family has HELP and TYPE; counters are *_total and never
    negative; the lock state is a one-hot set (all 0 only before the first update);
  1. right after start: build_info{daemon="phc-pps-sync"} 1, start time = the daemon's t = 0;
  2. tracking within 35 s: lock_state{state="tracking"} 1, clockClass 6, time traceable,
     |phc_offset| < 100 ns and inside the error bound, the frequency adjustment cancels the
     profile's 13400 ppb (within 200 ppb), pulses seen/used grow by ~1 per second;
  3. the outage: holdover (clockClass 7) entered between t = 40 and 47 s, no new pulses while
     it lasts, the error bound grows; the lock timeline in /status has the change then;
  4. the PPS back: tracking and clockClass 6 again by t = 70 s, pulses counted again, the
     lost pulses (~20) counted; counters never went down across all scrapes;
  5. /metrics and /status agree (offset gauge = newest /status history point).
Runtime ~75 s. Exit status non-zero on failure; the daemon and its temp dir are removed.
"""

import math
import re
import time

from statusclient import HttpPhcPpsSync, check, cleanup_on_sigterm

PROFILE = "rt-outage-short.toml"
OUTAGE_START_S, OUTAGE_S = 40, 20
PROFILE_FREQ_PPB = 13400


class Scraper:
    """Scrapes /metrics, remembers every counter to check they never go down."""

    def __init__(self, d, t0):
        self.d, self.t0 = d, t0
        self.counters = {}
        self.n = 0

    def scrape(self):
        m = self.d.metrics()
        self.n += 1
        state = m.state()
        if not (isinstance(state, str) or state == []):  # [] only before the first engine update
            raise AssertionError(f"nanotime_lock_state has several states: {state}")
        for (name, labels), v in m.samples.items():
            if name.endswith("_total"):
                old = self.counters.get((name, labels))
                if old is not None and v < old:
                    raise AssertionError(f"counter {name}{dict(labels)} went down: {old} -> {v}")
                self.counters[(name, labels)] = v
        return m

    def t(self):
        return time.time() - self.t0


def seen(m):
    return m.value("nanotime_pulses_total", result="seen")


def used(m):
    return m.value("nanotime_pulses_total", result="used")


def main():
    cleanup_on_sigterm()
    started = time.monotonic()
    with HttpPhcPpsSync(PROFILE, {"chrony_socket": "", "ptp4l_socket": ""}) as d:
        t0 = float(re.search(r"t = 0 at UTC (\d+)", d.log_text()).group(1))
        s = Scraper(d, t0)

        m = d.wait_for(lambda: (m := s.scrape()).state() != [] and m, 5, "a lock state")
        info = m.families["nanotime_build_info"].samples
        check(len(info) == 1 and info[0].labels.get("daemon") == "phc-pps-sync" and
              info[0].value == 1, f"build_info{{daemon=\"phc-pps-sync\"}} 1 ({info})")
        start = m.value("nanotime_start_time_seconds")
        check(abs(start - t0) < 2, f"start time {start:.1f} = the simulation's t = 0 ({t0:.0f})")
        check(m.state() in ("acquiring", "converging"), f"state {m.state()} at start")

        # -- tracking ------------------------------------------------------------------------
        m = d.wait_for(lambda: (m := s.scrape()).state() == "tracking" and m, 35,
                       "lock_state{state=\"tracking\"} 1 in /metrics")
        print(f"tracking at t = {s.t():.1f} s", flush=True)
        check(m.value("nanotime_lock_state", state="tracking") == 1 and
              sum(m.value("nanotime_lock_state", state=x) for x in
                  ("acquiring", "converging", "tracking", "holdover", "freerun")) == 1,
              "lock_state: tracking 1, the others 0")
        time.sleep(1.5)  # a pulse or two into tracking: offset and bound are the tracking ones
        m = s.scrape()
        check(m.value("nanotime_clock_class") == 6, "clockClass 6 while tracking")
        check(m.value("nanotime_time_traceable") == 1, "time traceable")
        check(m.value("nanotime_gpsd_connected") == 1 and m.value("nanotime_gpsd_fix_mode") == 3,
              "the simulated receiver's gpsd: connected, 3D fix")
        check(m.value("nanotime_gpsd_connects_total") == 1, "one gpsd connection counted")
        off = m.value("nanotime_phc_offset_seconds")
        bound = m.value("nanotime_error_bound_seconds")
        check(abs(off) < 100e-9, f"|PHC - TAI| = {off * 1e9:.1f} ns < 100 ns")
        check(math.isfinite(bound) and abs(off) <= bound < 1e-6,
              f"error bound {bound * 1e9:.1f} ns finite, covers the offset, < 1 us")
        freq_ppb = m.value("nanotime_phc_frequency_adjustment_ratio") * 1e9
        check(abs(freq_ppb + PROFILE_FREQ_PPB) < 200,
              f"frequency adjustment {freq_ppb:.1f} ppb cancels the PHC's +{PROFILE_FREQ_PPB} ppb")

        m1, t1 = m, time.monotonic()
        time.sleep(5)
        m2, t2 = s.scrape(), time.monotonic()
        rate = (seen(m2) - seen(m1)) / (t2 - t1)
        check(0.6 < rate < 1.4, f"pulses seen grow at {rate:.2f}/s (1 PPS)")
        check(used(m2) > used(m1), f"pulses used grow ({used(m1)} -> {used(m2)})")
        st = d.status("?since=0")
        h = st["histories"]["phc_offset_seconds"]
        m3 = s.scrape()
        st2 = d.status("?since=0")
        h2 = st2["histories"]["phc_offset_seconds"]
        newest = {h["v"][-1], h2["v"][-1]}
        check(m3.value("nanotime_phc_offset_seconds") in newest,
              "/metrics offset = the newest point of /status's offset history")

        # -- the outage ----------------------------------------------------------------------
        m = d.wait_for(lambda: (m := s.scrape()).state() != "tracking" and m,
                       OUTAGE_START_S + 10 - s.t(), "holdover after the PPS cut")
        t_hold = s.t()
        print(f"left tracking at t = {t_hold:.1f} s: {m.state()}", flush=True)
        check(m.state() == "holdover", f"tracking -> holdover (got {m.state()})")
        check(OUTAGE_START_S < t_hold < OUTAGE_START_S + 7,
              f"holdover seen at t = {t_hold:.1f} s (PPS cut at {OUTAGE_START_S} s)")
        check(m.value("nanotime_clock_class") == 7, "clockClass 7 in holdover")
        hold_seen, hold_bound = seen(m), m.value("nanotime_error_bound_seconds")
        time.sleep(4)
        m = s.scrape()
        check(m.state() == "holdover" and seen(m) == hold_seen,
              f"still holdover, no pulse seen in 4 s ({hold_seen} -> {seen(m)})")
        bound = m.value("nanotime_error_bound_seconds")
        check(bound > hold_bound, f"the error bound grows in holdover ({hold_bound * 1e9:.1f} -> "
                                  f"{bound * 1e9:.1f} ns in 4 s)")
        lock = d.status()["metrics"]["nanotime_lock_state"]
        tl = list(zip(lock["timeline"]["t"], lock["timeline"]["state"]))
        hold_t = [t for t, x in tl if x == "holdover"]
        check(hold_t and OUTAGE_START_S < hold_t[-1] - t0 < OUTAGE_START_S + 6,
              f"/status timeline: holdover from t = {hold_t[-1] - t0 if hold_t else None:.1f} s")

        # -- the PPS back --------------------------------------------------------------------
        m = d.wait_for(lambda: (m := s.scrape()).state() == "tracking" and m,
                       OUTAGE_START_S + OUTAGE_S + 12 - s.t(), "tracking again after the outage")
        t_back = s.t()
        print(f"tracking again at t = {t_back:.1f} s", flush=True)
        check(OUTAGE_START_S + OUTAGE_S <= t_back < OUTAGE_START_S + OUTAGE_S + 10,
              f"back to tracking at t = {t_back:.1f} s (PPS back at {OUTAGE_START_S + OUTAGE_S} s)")
        time.sleep(1.5)
        m = s.scrape()
        check(m.value("nanotime_clock_class") == 6, "clockClass 6 again: 6 -> 7 -> 6")
        check(seen(m) > hold_seen, f"pulses counted again ({hold_seen} -> {seen(m)})")
        lost = m.value("nanotime_pulses_total", result="lost")
        check(OUTAGE_S - 3 <= lost <= OUTAGE_S + 3, f"{lost:.0f} pulses lost (outage {OUTAGE_S} s)")
        check(abs(m.value("nanotime_phc_offset_seconds")) < 1e-6, "offset back under 1 us")
        states = d.status()["metrics"]["nanotime_lock_state"]["timeline"]["state"]
        check(states[-3:] == ["tracking", "holdover", "tracking"],
              f"/status lock timeline ends tracking, holdover, tracking ({states})")
        check(s.n >= 20, f"{s.n} scrapes parsed, counters never went down")

        rc = d.terminate()
        check(rc == 0, f"SIGTERM: exit status 0 (got {rc})")
    print(f"PASS ({time.monotonic() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
