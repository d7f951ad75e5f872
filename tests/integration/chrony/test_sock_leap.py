"""A SOCK sample with leap = insert makes chronyd announce "Leap status : Insert second".

chrony 4.3 accepts a leap announcement only on 30 June and 31 December (reference.c
is_leap_second_day); on other days it reports Normal whatever the source says. So chronyd and
refclock-feed both run with CLOCK_REALTIME shifted (libfaketime, the same offset for both) to
12:00 UTC of the next such day. Control first: leap = normal on that same day shows Normal,
so the Insert second that follows can only come from the writer's leap field."""

from chronyharness import Chronyd, faketime_env, seconds_until_next_leap_day
from refclockfeed import Feed

D_NS = 10_000


def feed(c, leap, env):
    return Feed("sock", "--path", f"{c.dir}/gps.sock", "--name", "GPS", "--mode", "time",
                "--offset-ns", D_NS, "--rate-hz", 4, "--status-every", 4, "--leap", leap, env=env)


def main():
    env = faketime_env(seconds_until_next_leap_day())
    with Chronyd(["refclock SOCK {dir}/gps.sock refid GPS poll 0 filter 2"], name="chronyd-leap",
                 env=env) as c:
        with feed(c, "normal", env):
            c.wait_for(lambda: (s := c.source("GPS")) and s["state"] == "*", 20, "GPS selected")
            t0 = c.tracking()
            t = c.wait_for(lambda: (t := c.tracking())["ref_time_s"] > t0["ref_time_s"] + 1.5 and t,
                           10, "two more updates")
            assert t["leap_status"] == "Normal", f"control (leap=normal) shows {t['leap_status']!r}"
            print(f"control: leap=normal -> {t['leap_status']} on "
                  f"{c.chronyc('tracking').splitlines()[2].split(':', 1)[1].strip()}")
        with feed(c, "insert", env) as f:
            f.wait_for(lambda n: n.get("sent", 0) > 0, 5, "insert samples delivered")
            t = c.wait_for(lambda: (t := c.tracking())["leap_status"] == "Insert second" and t,
                           15, "Leap status Insert second")
            text = c.chronyc("tracking")
            assert "Leap status     : Insert second" in text, text
            assert c.source("GPS")["state"] == "*", c.sources()
            print(f"leap=insert -> {t['leap_status']!r}; feed {f.counters()}")
    print("PASS")


if __name__ == "__main__":
    main()
