"""End to end with the real chronyd 4.3: `phc-pps-sync --simulate rt-basic --realtime` feeds
chronyd's SOCK refclock PHC0 (true time = system clock + 123 us in the profile). Checked:
  1. the daemon reaches TRACKING and announces clockClass 6 (its /status);
  2. chronyd selects PHC0 (#*) and `chronyc tracking` shows the system clock 123 us SLOW of
     NTP time (system_time_s = true - system = +0.000123 s) within 1 us;
  3. chronyd restarted (SIGKILL, socket left behind, new socket inode): the daemon reconnects
     by itself and chronyd selects PHC0 again with the same offset;
  4. SIGHUP with an unchanged configuration keeps it running; SIGTERM: exit status 0.
Exit status non-zero on failure; chronyd, the daemon and temp dirs are removed in any case.
"""

import signal
import time

from chronyharness import Chronyd
from daemonharness import PhcPpsSync

PROFILE_OFFSET_S = 0.000123
TOLERANCE_S = 1e-6
REFCLOCK = "refclock SOCK {dir}/phc0.sock refid PHC0 poll 0 filter 4 precision 1e-8 prefer"


def check(cond, what):
    if not cond:
        raise AssertionError(f"FAILED: {what}")
    print(f"ok: {what}", flush=True)


def wait_selected_with_offset(c, what):
    src = c.wait_for(lambda: (s := c.source("PHC0")) and s["mode"] == "#" and s["state"] == "*"
                     and s, 40, f"PHC0 selected (#*) {what}")
    print(f"chronyc sources: {src}", flush=True)
    t = c.wait_for(lambda: (t := c.tracking()) and t["ref_name"] == "PHC0"
                   and abs(t["system_time_s"] - PROFILE_OFFSET_S) <= TOLERANCE_S and t,
                   40, f"tracking: system clock {PROFILE_OFFSET_S * 1e6} us slow (+-1 us) {what}")
    print(f"chronyc tracking: {t}", flush=True)
    return t


def main():
    with Chronyd([REFCLOCK], ["log refclocks"], name="chronyd-ppsd") as c:
        sock = f"{c.dir}/phc0.sock"
        with PhcPpsSync("rt-basic.toml", {"chrony_socket": sock, "ptp4l_socket": ""}) as d:
            d.wait_for(lambda: d.lock_state() == "tracking", 60, "daemon TRACKING")
            check(d.clock_class() == 6, "daemon announces clockClass 6 while tracking")

            t = wait_selected_with_offset(c, "at start")
            check(t["stratum"] == 1, "chronyd is stratum 1 with PHC0 as its reference")
            check("seconds slow of NTP time" in c.chronyc("tracking"),
                  "chronyc's own words: the system clock is slow (true - system > 0)")
            for _ in range(3):
                c.wait_for(lambda: c.tracking()["ref_time_s"] > t["ref_time_s"], 10, "a newer update")
                t = c.tracking()
                check(abs(t["system_time_s"] - PROFILE_OFFSET_S) <= TOLERANCE_S,
                      f"still {t['system_time_s'] * 1e6:.4f} us (want 123 +- 1 us)")
            samples = c.refclock_samples("PHC0")
            worst = max(abs(s["raw_offset_s"] - PROFILE_OFFSET_S) for s in samples[-10:])
            check(worst < 0.5e-6, f"last raw PHC0 samples within 500 ns of 123 us (worst "
                                  f"{worst * 1e9:.1f} ns)")

            # chronyd restart: SIGKILL leaves the socket file; the new chronyd binds a new one.
            c.kill()
            time.sleep(2)
            c.start()
            wait_selected_with_offset(c, "after a chronyd restart")
            check(d.running(), "the daemon survived the chronyd restart")

            d.signal(signal.SIGHUP)
            d.wait_for(lambda: "configuration reloaded" in d.log_text(), 10, "reload logged")
            check(d.running() and d.lock_state() == "tracking", "SIGHUP: reloaded, still tracking")

            # A key that needs a restart is named, and the daemon goes on with the old value.
            d.write_config({"status_listen": f"unix:{d.status_path}", "leap_seconds_file": "",
                            "temperature_file": "", "chrony_socket": sock, "ptp4l_socket": "",
                            "servo": "pi"})
            d.signal(signal.SIGHUP)
            d.wait_for(lambda: "need a restart" in d.log_text(), 10, "restart-needing keys logged")
            line = [l for l in d.log_text().splitlines() if "need a restart" in l][-1]
            check(line.rstrip().endswith("servo"), f"SIGHUP names `servo` as needing a restart: {line}")
            # A broken file on SIGHUP: reported, the running configuration kept.
            with open(d.conf_path, "a") as f:
                f.write("servo_typo = 1\n")
            d.signal(signal.SIGHUP)
            d.wait_for(lambda: "reload failed" in d.log_text(), 10, "failed reload logged")
            check("servo_typo" in d.log_text(), "the bad key is named")
            check(d.running(), "still running after a bad reload")
            wait_selected_with_offset(c, "after the reloads")

            rc = d.terminate()
            check(rc == 0, f"SIGTERM: exit status 0 (got {rc})")
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
