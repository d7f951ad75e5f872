"""nanotime-doctor verdicts on fixtures (tests/fixtures/doctor; see its README.md for where each
file comes from -- the command outputs are recorded from real chronyd 4.3 / ptp4l 3.1.1 /
gpsd 3.22).

Proves, for each scenario, the exact verdict of EVERY check and the exit status:
  healthy            all 11 OK, exit 0 (text and --json); system: the bound NTP can promise
                     (GPIO-calibrated ±3.2 µs), brackets p50/p99/max, slow reads, GPIO − PHC
  system-alarm       the GPIO PPS alarm: system WARN naming the disagreement, exit 1
  system-no-gpio     no GPIO PPS, bound ±52.1 µs, but the drop-in's PHC0 delay 1e-5 tells
                     clients ±5 µs: system WARN (chronyd is told less than the bound), exit 1
  no-pulses          pulses FAIL (counter did not move in 5 s), lock WARN (holdover), exit 2
  no-fix             gpsd FAIL (TPV mode 1), exit 2
  phc-not-selected   chrony FAIL (PHC0 '?', reach 0, PPS selected), exit 2
  ptp4l-248          ptp4l FAIL (MASTER announcing clockClass 248 while phc-pps-sync tracks), exit 2
  leap-expired       leap FAIL (#@ = 2016-07-08), exit 2
  leap-soon          healthy files, "now" 10 days before the expiry: leap WARN, exit 1
  stopped            nothing running (outputs of the real chronyc/pmc against absent daemons,
                     pin function unset, no status endpoint, no gpsd): exit 2, each check FAIL
                     with the right reason
and: the status endpoint read over real HTTP (two documents, the pulses counted between
them), --check selecting checks, a usage error exiting 64 (not 2, which means "failures").
Settings come from the daemons (--print-config), not from a copy in the doctor:
  the file's [phc-pps-sync.status] listen (and the deprecated status_listen) is the URL read;
  enabled = false is reported as off; a key the daemons reject (either table) or a top-level
  [status] fails the config check with file:line; a stub phc-pps-sync's defaults are the ones
  used; without the programs the config check warns that it could not check.
"""

import http.server
import json
import os
import shutil
import subprocess
import threading

import sys

from doctorhelpers import FIXTURES, NOW, SOURCE, Scenario, check, run_doctor, verdicts

sys.path.insert(0, os.path.join(SOURCE, "scripts"))
from nanotime import doctor as doctor_tool  # noqa: E402

CHECKS = ("config", "phc", "link", "pulses", "lock", "system", "gpsd", "receiver", "leap", "chrony",
          "ptp4l", "daemons")
LEAP_EXPIRY = 3991593600 - 2208988800  # healthy leap-seconds.list "#@": 2026-06-28 00:00 UTC


def expect(**overrides):
    v = {c: "OK" for c in CHECKS}
    v.update(overrides)
    return v


SCENARIOS = [
    ("healthy", {}, expect(), 0, {}),
    ("no-pulses", {}, expect(pulses="FAIL", lock="WARN"), 2,
     {"pulses": "no PPS edge captured by the PHC in 5.0 s", "lock": "holdover, clockClass 7, error bound 130 ns"}),
    ("no-fix", {}, expect(gpsd="FAIL"), 2, {"gpsd": "no fix (TPV mode 1)"}),
    ("phc-not-selected", {}, expect(chrony="FAIL"), 2,
     {"chrony": "PHC0 not selected: PHC0 state '?', reach 0 (selected: PPS)"}),
    ("ptp4l-248", {}, expect(ptp4l="FAIL"), 2,
     {"ptp4l": "port MASTER, announcing clockClass 248"}),
    ("system-alarm", {}, expect(system="WARN"), 1,
     {"system": "GPIO PPS ALARM: GPIO and PHC disagree by 7.3 µs; NTP can promise ±3.2 µs "
                "(gpio-calibrated, bcm-phy-ptp); PHC read bracket p50 47.5 µs, p99 52.1 µs, "
                "max 61.0 µs, 0.3 % slow (3 of 1000); GPIO − PHC (/dev/pps0) median 2.4 µs, "
                "min 1.9 µs"}),
    ("system-no-gpio", {}, expect(system="WARN"), 1,
     {"system": "chronyd tells clients ±5.0 µs (PHC0 delay 1e-05 in "
                "/etc/chrony/conf.d/nanotime.conf) but the bound is ±52.1 µs; NTP can promise "
                "±52.1 µs (latch-model, bcm-phy-ptp); PHC read bracket p50 47.5 µs, p99 52.1 µs, "
                "max 61.0 µs, 0.3 % slow (3 of 1000)"}),
    ("leap-expired", {}, expect(leap="FAIL"), 2,
     {"leap": "/usr/share/zoneinfo/leap-seconds.list expired on 2016-07-08"}),
    ("healthy", {"now": LEAP_EXPIRY - 10 * 86400}, expect(leap="WARN"), 1,
     {"leap": "/usr/share/zoneinfo/leap-seconds.list expires on 2026-06-28 (10 days)"}),
]


def scenarios():
    for name, kw, want, code, messages in SCENARIOS:
        label = name if not kw else f"{name} (now {kw['now']})"
        with Scenario(name) as s:
            r = s.doctor("--json", **kw)
            got, doc = verdicts(r)
            check(got == want, f"{label}: verdicts {got}")
            check(r.returncode == code, f"{label}: exit {code}")
            msgs = {c["check"]: c for c in doc["checks"]}
            for c, text in messages.items():
                check(msgs[c]["message"] == text and msgs[c]["hint"],
                      f"{label}: {c} says {text!r} and what to do ({msgs[c]['hint'][:60]}...)")


def healthy_text():
    with Scenario("healthy") as s:
        r = s.doctor()
        lines = r.stdout.splitlines()
        check(r.returncode == 0 and len(lines) == 13, "healthy text: 12 lines + summary, exit 0")
        expected = [
            "OK   config   /etc/nanotime/nanotime.toml valid (interface eth0)",
            "OK   phc      /dev/ptp0 (bcm_phy_ptp) behind eth0; pin SYNC_OUT = EXTTS channel 0",
            "OK   link     eth0 carrier up",
            "OK   pulses   1.00 pulses/s (5 in 5.0 s), 0 lost",
            "OK   lock     tracking, clockClass 6, error bound 25 ns",
            "OK   system   NTP can promise ±3.2 µs (gpio-calibrated, bcm-phy-ptp); PHC read bracket "
            "p50 47.5 µs, p99 52.1 µs, max 61.0 µs, 0.3 % slow (3 of 1000); GPIO − PHC (/dev/pps0) "
            "median 2.4 µs, min 1.9 µs",
            "OK   gpsd     3D fix, 4 PPS (with qErr), 4 TOFF",
            "OK   receiver ZED-F9T (TIM 2.20), fixed, antenna ok, jamming 12, 24 satellites, "
            "TIM-TP present",
            "OK   leap     leap-seconds.list valid until 2026-06-28 (146 days)",
            "OK   chrony   PHC0 selected, reach 377, offset +0 ns",
            "OK   ptp4l    port MASTER, announcing clockClass 6",
            "OK   daemons  phc-pps-sync active, gps-sock-bridge active",
            "nanotime-doctor: 12 OK, 0 WARN, 0 FAIL",
        ]
        for want, got in zip(expected, lines):
            check(got == want, f"text: {want}")
        r = s.doctor("--check", "chrony", "--check", "ptp4l", "--chrony-socket", "/x/c.sock",
                     "--ptp4l-socket", "/x/p", "--ptp4l-domain", "24", "--json")
        got, _ = verdicts(r)
        check(list(got) == ["chrony", "ptp4l"], "--check runs only the checks asked for")
        # The commands behind the checks, with the documented arguments (in-process).
        args = doctor_tool.parse_args(["--root", s.root, "--fixtures", s.dir, "--check", "chrony",
                                       "--check", "ptp4l", "--chrony-socket", "/x/c.sock",
                                       "--ptp4l-socket", "/x/p", "--ptp4l-domain", "24"])
        env = doctor_tool.FixtureEnv(args.root, args.fixtures, NOW)
        doctor_tool.Doctor(args, env).run(args.check)
        check(env.commands == [
            ("chronyc-sources", ["chronyc", "-c", "-n", "-h", "/x/c.sock", "sources"]),
            ("pmc-port-data-set", ["pmc", "-u", "-b", "0", "-d", "24", "-s", "/x/p",
                                   "GET PORT_DATA_SET"]),
            ("pmc-grandmaster-settings-np", ["pmc", "-u", "-b", "0", "-d", "24", "-s", "/x/p",
                                             "GET GRANDMASTER_SETTINGS_NP"])],
            f"commands run: {env.commands}")


def stopped():
    """Nothing running yet: real outputs of chronyc and pmc against absent daemons."""
    with Scenario("healthy") as s:
        for f in ("status.1.json", "status.2.json", "gpsd.jsonl"):
            os.unlink(os.path.join(s.dir, f))
        shutil.rmtree(os.path.join(s.dir, "commands"))
        os.makedirs(os.path.join(s.dir, "commands"))
        pin = os.path.join(s.root, "sys/class/ptp/ptp0/pins/SYNC_OUT")
        with open(pin, "w") as f:
            f.write("0 0\n")
        real = {
            "chronyc-sources": ["chronyc", "-c", "-n", "-h", os.path.join(s.dir, "absent.sock"),
                                "sources"],
            "pmc-port-data-set": ["pmc", "-u", "-b", "0", "-d", "0", "-s",
                                  os.path.join(s.dir, "absent-ptp4l"), "GET PORT_DATA_SET"],
        }
        for key, argv in real.items():
            r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
            for ext, data in ((".out", r.stdout), (".err", r.stderr), (".rc", str(r.returncode))):
                with open(os.path.join(s.dir, "commands", key + ext), "w") as f:
                    f.write(data)
        for key, out in (("pidof-phc-pps-sync", ""), ("pidof-gps-sock-bridge", "")):
            for ext, data in ((".out", out), (".rc", "1")):
                with open(os.path.join(s.dir, "commands", key + ext), "w") as f:
                    f.write(data)
        r = s.doctor("--json")
        got, doc = verdicts(r)
        want = expect(phc="FAIL", pulses="FAIL", lock="FAIL", system="FAIL", gpsd="FAIL",
                      receiver="FAIL", chrony="FAIL", ptp4l="FAIL", daemons="FAIL")
        check(got == want and r.returncode == 2, f"stopped: verdicts {got}, exit 2")
        msgs = {c["check"]: c["message"] for c in doc["checks"]}
        for c, part in (("phc", "pin function not set (SYNC_OUT = none)"),
                        ("pulses", "cannot read phc-pps-sync's status"),
                        ("gpsd", "gpsd not reachable at 127.0.0.1:2947"),
                        ("chrony", "chronyd does not answer"),
                        ("ptp4l", "ptp4l does not answer on /var/run/ptp4l (domain 0)"),
                        ("daemons", "phc-pps-sync not running, gps-sock-bridge not running")):
            check(part in msgs[c], f"stopped: {c}: {msgs[c]}")


def with_receiver(s, **fields):
    """Rewrites the scenario's status documents with these receiver fields."""
    for n in (1, 2):
        path = os.path.join(s.dir, f"status.{n}.json")
        with open(path) as f:
            doc = json.load(f)
        doc["receiver"].update(fields)
        with open(path, "w") as f:
            json.dump(doc, f)


RECEIVER_SCENARIOS = [
    # (fields, verdict, exit, message)
    ({"time_mode": "survey_in", "survey_active": True, "survey_duration_s": 420,
      "survey_accuracy_m": 2.5, "position_limited": True}, "WARN", 1,
     "receiver surveying its position (420 s, ±2.5 m): accuracy limited by position until the "
     "survey ends (ZED-F9T (TIM 2.20), survey_in, antenna ok, jamming 12, 24 satellites)"),
    ({"time_mode": "navigation"}, "WARN", 1,
     "receiver not in a time mode (navigation): accuracy limited by position (ZED-F9T (TIM "
     "2.20), navigation, antenna ok, jamming 12, 24 satellites)"),
    ({"antenna": "short", "jamming_indicator": 180, "timtp_present": False}, "FAIL", 2,
     "antenna short circuit; jamming indicator 180 of 255 (high); no UBX-TIM-TP: the pulses' "
     "qErr is not corrected (a few ns worse) (ZED-F9T (TIM 2.20), fixed, antenna short, "
     "jamming 180, 24 satellites)"),
    ({"model": "", "firmware": "", "time_mode": "unknown"}, "WARN", 1,
     "no UBX messages from the receiver (not a u-blox, or its UBX output is off): time mode, "
     "antenna and jamming unknown"),
    ({"connected": False}, "WARN", 1, "the receiver watch is not connected to gpsd"),
    ({"watched": False}, "OK", 0, None),
]


def receiver_findings():
    """The receiver check on the healthy box with the receiver's state changed: each finding
    with its verdict, exit status and a hint naming what to do."""
    for fields, verdict, code, message in RECEIVER_SCENARIOS:
        with Scenario("healthy") as s:
            with_receiver(s, **fields)
            r = s.doctor("--json")
            got, doc = verdicts(r)
            check(got == expect(receiver=verdict) and r.returncode == code,
                  f"receiver {fields}: {got['receiver']}, exit {r.returncode}")
            c = {c["check"]: c for c in doc["checks"]}["receiver"]
            if message is not None:
                check(c["message"] == message, f"receiver message: {c['message']}")
            if verdict != "OK":
                check("nanotime receiver" in c["hint"] or "gpsd" in c["hint"] or
                      "cable" in c["hint"], f"receiver hint says what to do: {c['hint']}")


class StatusServer:
    """Serves status.1.json, status.2.json, ... of a fixture dir on GET /status over HTTP."""

    def __init__(self, docs):
        self.docs, self.requests = docs, []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append(self.path)
                body = json.dumps(outer.docs[min(len(outer.requests), len(outer.docs)) - 1]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/status?history=0"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def status_over_http():
    for name, want in (("healthy", {"pulses": "OK", "lock": "OK"}),
                       ("no-pulses", {"pulses": "FAIL", "lock": "WARN"})):
        docs = []
        for n in (1, 2):
            path = os.path.join(FIXTURES, name, f"status.{n}.json")
            with open(path) as f:
                docs.append(json.load(f))
        server = StatusServer(docs)
        try:
            with Scenario("healthy") as s:
                r = s.doctor("--check", "pulses", "--check", "lock", "--status", server.url,
                             "--window", "0.3", "--json", fixtures=False)
                got, _ = verdicts(r)
                check(got == want, f"HTTP status endpoint, {name}: {got}")
                check(server.requests == ["/status?history=0"] * 2,
                      f"two GETs of /status?history=0: {server.requests}")
        finally:
            server.close()
    with Scenario("healthy") as s:  # nothing listening on that port
        r = s.doctor("--check", "pulses", "--status", "http://127.0.0.1:9/status", "--json",
                     fixtures=False)
        got, doc = verdicts(r)
        check(got == {"pulses": "FAIL"} and "Connection refused" in doc["checks"][0]["message"],
              f"endpoint down: pulses FAIL ({doc['checks'][0]['message']})")


def pulses_message(s, **kw):
    r = s.doctor("--check", "pulses", "--json", fixtures=False, **kw)
    got, doc = verdicts(r)
    return got["pulses"], doc["checks"][0]["message"]


def settings_from_daemons():
    pps = '[phc-pps-sync]\ninterface = "eth0"\n'
    with Scenario("healthy") as s:
        s.write_config(pps + '[phc-pps-sync.status]\nlisten = "127.0.0.1:9"\n')
        verdict, msg = pulses_message(s)
        check(verdict == "FAIL" and "http://127.0.0.1:9/status" in msg,
              f"[phc-pps-sync.status] listen is the URL read: {msg}")
        s.write_config(pps + 'status_listen = "127.0.0.1:19"\n')
        verdict, msg = pulses_message(s)
        check("http://127.0.0.1:19/status" in msg, f"the deprecated status_listen still counts: {msg}")
        s.write_config(pps + '[phc-pps-sync.status]\nenabled = false\n')
        verdict, msg = pulses_message(s)
        check(verdict == "FAIL" and "off" in msg, f"enabled = false: reported as off: {msg}")

        for text, where, what in ((pps + "pin = 99\n", ":3:", "pin"),
                                  (pps + "[gps-sock-bridge]\nmedian_window = 0\n", ":4:", "median_window"),
                                  (pps + "[status]\n", ":3:", "[status]")):
            s.write_config(text)
            r = s.doctor("--check", "config", "--json")
            got, doc = verdicts(r)
            msg = doc["checks"][0]["message"]
            check(got == {"config": "FAIL"} and where in msg and what in msg,
                  f"a file the daemons reject: config FAIL naming the line: {msg}")

        # Defaults from the program: a stub phc-pps-sync with a gpsd port of its own.
        s.write_config(pps)
        stub_dir = os.path.join(s.dir, "bin")
        os.makedirs(stub_dir)
        keys = [{"table": "phc-pps-sync", "key": "gpsd_host", "value": "127.0.0.1"},
                {"table": "phc-pps-sync", "key": "gpsd_port", "value": 7}]
        stub = os.path.join(stub_dir, "phc-pps-sync")
        with open(stub, "w") as f:
            f.write("#!/bin/sh\ncat <<'EOF'\n" + json.dumps({"program": "phc-pps-sync", "keys": keys})
                    + "\nEOF\n")
        os.chmod(stub, 0o755)
        r = s.doctor("--check", "gpsd", "--json", fixtures=False, env={"NANOTIME_BIN_DIR": stub_dir})
        got, doc = verdicts(r)
        check("127.0.0.1:7" in doc["checks"][0]["message"],
              f"gpsd's address from phc-pps-sync --print-config: {doc['checks'][0]['message']}")

        if not any(shutil.which(p) or os.path.exists(f"/usr/sbin/{p}")
                   for p in ("phc-pps-sync", "gps-sock-bridge")):
            r = s.doctor("--check", "config", "--json", env={"NANOTIME_BIN_DIR": None})
            got, doc = verdicts(r)
            check(got == {"config": "WARN"} and "not found" in doc["checks"][0]["message"],
                  f"no daemons to ask: config WARN: {doc['checks'][0]['message']}")


def usage():
    r = run_doctor("--check", "nonsense")
    check(r.returncode == 64 and "invalid choice" in r.stderr, "usage error: exit 64")


def main():
    scenarios()
    healthy_text()
    stopped()
    receiver_findings()
    status_over_http()
    settings_from_daemons()
    usage()
    print(f"PASS: nanotime-doctor verdicts on {len(SCENARIOS) + 1} fixture scenarios, "
          f"{len(RECEIVER_SCENARIOS)} receiver states, HTTP status, usage")


if __name__ == "__main__":
    main()
