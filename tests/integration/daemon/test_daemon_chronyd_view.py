"""chronyd's view on phc-pps-sync's /metrics, with the real chronyd 4.3 (`chronyd -x`) and the
daemon in realtime simulation (rt-basic: true time = system clock + 123 us). Checked:
  1. once chronyd selects PHC0, /metrics (parsed by the real Prometheus parser) says
     nanotime_chronyd_reachable 1, phc_selected 1, stratum 1, and the system time offset, root
     delay and root dispersion that `chronyc -c tracking` (run here, by the test) reports, and
     PHC0's reach as `chronyc -c sources` reports it;
  2. nanotime_leap_seconds_file_expiry_timestamp_seconds is the "#@" line of the leap file the
     daemon loaded, converted by hand from NTP to Unix seconds;
  3. chronyd stopped: reachable 0, the other nanotime_chronyd_* series absent (not stale), one
     "cannot ask chronyd" log line for several failed queries (rate-limited);
  4. chronyd back: reachable 1 and "chronyd answers again" in the log.
Exit status non-zero on failure.
"""

import http.client
import os
import socket
import sys
import time

from chronyharness import Chronyd
from daemonharness import PhcPpsSync

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "metrics"))
from statusclient import parse_metrics  # noqa: E402

REFCLOCK = "refclock SOCK {dir}/phc0.sock refid PHC0 poll 0 filter 4 precision 1e-8 prefer"
PROFILE_OFFSET_S = 0.000123
EXPIRY_NTP_S = 4102444800                 # 2030-01-01 00:00:00 UTC in NTP seconds
EXPIRY_UNIX_S = EXPIRY_NTP_S - 2208988800  # 1900 -> 1970: 70 years incl. 17 leap days
LEAP_FILE = f"""#$\t3960835200
#@\t{EXPIRY_NTP_S}
2272060800\t10\t# 1 Jan 1972
3692217600\t37\t# 1 Jan 2017
"""
CHRONYD_GAUGES = ["nanotime_chronyd_phc_selected", "nanotime_chronyd_stratum",
                  "nanotime_chronyd_system_time_offset_seconds",
                  "nanotime_chronyd_root_delay_seconds", "nanotime_chronyd_root_dispersion_seconds",
                  "nanotime_chronyd_phc_reach"]


def check(cond, what):
    if not cond:
        raise AssertionError(f"FAILED: {what}")
    print(f"ok: {what}", flush=True)


class UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=5)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(self.path)


def scrape(d):
    c = UnixHTTP(d.status_path)
    c.request("GET", "/metrics")
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    if r.status != 200:
        raise AssertionError(f"/metrics: HTTP {r.status}")
    return body, parse_metrics(body)


def main():
    with Chronyd([REFCLOCK], name="chronyd-view") as c:
        leap_path = os.path.join(c.dir, "leap-seconds.list")
        with open(leap_path, "w") as f:
            f.write(LEAP_FILE)
        settings = {"chrony_socket": f"{c.dir}/phc0.sock", "ptp4l_socket": "",
                    "leap_seconds_file": leap_path, "chronyd_query_interval_s": 1,
                    "chronyd_command_socket": c.sock_path}
        with PhcPpsSync("rt-basic.toml", settings) as d:
            c.wait_for(lambda: (s := c.source("PHC0")) and s["state"] == "*", 60, "PHC0 selected")
            # The reach register shifts at each of chronyd's polls: retry until the daemon's last
            # query and the test's own chronyc saw the same register.
            _, m = d.wait_for(lambda: (x := scrape(d)) and x[1].value("nanotime_chronyd_phc_selected") == 1
                              and x[1].value("nanotime_chronyd_phc_reach") == c.source("PHC0")["reach"] > 0
                              and x, 30, "/metrics: chronyd selects PHC0, reach as chronyc sources says")
            print(f"PHC0 reach {int(m.value('nanotime_chronyd_phc_reach')):o} (octal)", flush=True)
            t = c.tracking()
            check(m.value("nanotime_chronyd_reachable") == 1, "nanotime_chronyd_reachable 1")
            check(m.value("nanotime_chronyd_stratum") == t["stratum"] == 1, "stratum 1, as chronyc says")
            off = m.value("nanotime_chronyd_system_time_offset_seconds")
            check(abs(off - PROFILE_OFFSET_S) < 1e-6,
                  f"system time offset {off * 1e6:.3f} us: the profile's 123 us (slow) +-1 us")
            check(abs(off - t["system_time_s"]) < 1e-6, "system time offset as chronyc tracking says")
            check(m.value("nanotime_chronyd_root_delay_seconds") == t["root_delay_s"],
                  f"root delay {t['root_delay_s']} s as chronyc tracking says")
            disp = m.value("nanotime_chronyd_root_dispersion_seconds")
            check(0 < disp < 1e-3 and abs(disp - t["root_dispersion_s"]) < 1e-4,
                  f"root dispersion {disp} s, near chronyc's {t['root_dispersion_s']} s")
            check(m.value("nanotime_leap_seconds_file_expiry_timestamp_seconds") == EXPIRY_UNIX_S,
                  f"leap file expiry {EXPIRY_UNIX_S} (2030-01-01, from the file's #@ line)")
            status = d.status()
            check(status.get("chronyd", {}).get("selected_source") == "PHC0",
                  "/status chronyd.selected_source is PHC0")

            c.stop()
            body, m = d.wait_for(lambda: (x := scrape(d)) and x[1].value("nanotime_chronyd_reachable") == 0
                                 and x, 20, "/metrics: nanotime_chronyd_reachable 0")
            for name in CHRONYD_GAUGES:
                check(m.value(name) is None and f"\n{name} " not in body, f"{name} absent")
            # Several more failed queries (1 s apart); still one line.
            n_failed = 4
            time.sleep(n_failed + 0.5)
            lines = [l for l in d.log_text().splitlines() if "ask chronyd" in l]
            check(len(lines) == 1, f"one rate-limited log line for {n_failed}+ failures: {lines}")
            check(m.value("nanotime_leap_seconds_file_expiry_timestamp_seconds") == EXPIRY_UNIX_S,
                  "the leap file's expiry stays while chronyd is away")

            c.start()
            d.wait_for(lambda: scrape(d)[1].value("nanotime_chronyd_reachable") == 1, 20,
                       "/metrics: reachable 1 again")
            d.wait_for(lambda: "chronyd answers again" in d.log_text(), 10, "recovery logged")
            check(d.running(), "daemon still running")
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
