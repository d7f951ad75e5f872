"""chronyd is SIGKILLed and restarted while refclock-feed (SockWriter) keeps sending:
  - while chronyd is down the writer counts samples as not delivered (and does not stall);
  - after the restart (new socket inode at the same path) it delivers again by itself;
  - chronyd selects the source again."""

import time

from chronyharness import Chronyd
from refclockfeed import Feed

D_NS = 20_000


def selected(c):
    return (s := c.source("GPS")) is not None and s["state"] == "*"


def main():
    with Chronyd(["refclock SOCK {dir}/gps.sock refid GPS poll 0 filter 2"], name="chronyd-restart") as c, \
         Feed("sock", "--path", f"{c.dir}/gps.sock", "--name", "GPS", "--mode", "time",
              "--offset-ns", D_NS, "--rate-hz", 4, "--status-every", 1) as f:
        c.wait_for(lambda: selected(c), 20, "GPS selected before the kill")
        before = f.wait_for(lambda n: n["sent"] >= 8 and n["not_delivered"] == 0, 10,
                            "samples delivered before the kill")
        print(f"before kill: {before}")

        c.kill()
        down = f.wait_for(lambda n: n["not_delivered"] >= 8, 10,
                          "samples reported not delivered while chronyd is down")
        assert down["sent"] <= before["sent"] + 2, f"sent grew while chronyd was dead: {down}"
        assert down["connected"] == 0, down
        print(f"while down: {down}")

        c.start()
        up = f.wait_for(lambda n: n["sent"] >= down["sent"] + 8, 10,
                        "sent counter growing again after the restart")
        settled = f.counters()["not_delivered"]
        time.sleep(1)
        after = f.counters()
        assert after["not_delivered"] == settled, f"still dropping after the restart: {after}"
        assert after["connected"] == 1, after
        print(f"after restart: {after}")
        c.wait_for(lambda: selected(c), 20, "GPS selected again after the restart")
        t = c.wait_for(lambda: (t := c.tracking()) and abs(t["system_time_s"] - D_NS * 1e-9) <= 0.1e-6 and t,
                       10, "tracking back at the claimed offset")
        print(f"tracking after restart: system time {t['system_time_s'] * 1e6:.3f} us slow")
    print("PASS")


if __name__ == "__main__":
    main()
