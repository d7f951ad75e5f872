"""SOCK full-time samples claiming true - system = +123.456 us (through SockWriter, via
refclock-feed) make a real chronyd 4.3 select the source and report the system clock
123.456 us SLOW of NTP time.

Tolerance: 0.1 us. Exact offsets come back exact from chronyd -x (measured), so this also
catches a writer that biases the offset by the sub-microsecond remainder (~0.5 us)."""

from chronyharness import Chronyd
from refclockfeed import Feed

D_NS = 123_456
TOLERANCE_S = 0.1e-6


def main():
    with Chronyd(["refclock SOCK {dir}/gps.sock refid GPS poll 0 filter 2"], ["log refclocks"],
                 name="chronyd-sock-time") as c, \
         Feed("sock", "--path", f"{c.dir}/gps.sock", "--name", "GPS", "--mode", "time",
              "--offset-ns", D_NS, "--rate-hz", 4, "--status-every", 4) as feed:
        src = c.wait_for(lambda: (s := c.source("GPS")) and s["mode"] == "#" and s["state"] == "*" and s,
                         20, "GPS selected (#*)")
        print(f"selected: {src}")

        want = D_NS * 1e-9
        t = c.wait_for(lambda: (t := c.tracking()) and abs(t["system_time_s"] - want) <= TOLERANCE_S and t,
                       15, f"tracking System time {want * 1e6:.3f} us slow (+-{TOLERANCE_S * 1e6} us)")
        print(f"tracking: {t}")
        assert t["ref_name"] == "GPS" and t["stratum"] == 1, t
        # The text format says the same with words: the sign convention is chrony's, not ours.
        text = c.chronyc("tracking")
        assert "seconds slow of NTP time" in text, text
        # Still there on the next updates (not a value passing by).
        for _ in range(3):
            c.wait_for(lambda: c.tracking()["ref_time_s"] > t["ref_time_s"], 5, "a newer update")
            t = c.tracking()
            assert abs(t["system_time_s"] - want) <= TOLERANCE_S, f"drifted away: {t}"
        # Each datagram as chronyd decoded it: exactly D, whatever the sub-microsecond part of
        # the send time was (a writer moving that remainder into the offset fails here).
        samples = c.refclock_samples("GPS")
        assert len(samples) >= 8, samples
        bad = [s for s in samples if abs(s["raw_offset_s"] - want) > 1e-9 or s["leap"] != "N"]
        assert not bad, f"{len(bad)} of {len(samples)} samples not exactly {want}: {bad[:3]}"
        print(f"all {len(samples)} samples decoded by chronyd as exactly {want * 1e6:.3f} us")
        counters = feed.counters()
        assert counters.get("sent", 0) > 0 and counters.get("not_delivered") == 0, counters
        print(f"PASS: system clock {t['system_time_s'] * 1e6:.3f} us slow, GPS #*, feed {counters}")


if __name__ == "__main__":
    main()
