#!/usr/bin/python3
"""gps-sock-bridge's status endpoint (fake gpsd -> bridge -> real chronyd; HTTP on loopback).

The fake gpsd sends each second PPS at S + 10 ms and TOFF 130 ms after S, with a 3D fix and
qErr = 2500 ps. The bridge runs with offset_s = 0 and [gps-sock-bridge.status] listen on a free
loopback port, so:
- GET /metrics parses as Prometheus text (Debian's python3-prometheus-client) and shows
  nanotime_bridge_samples_total{source="toff",result="sent"} (and pps) increasing between two
  scrapes, the serial offset estimate (TOFF real - clock + 0) = -0.130 s +- 2 ms, the PPS qErr
  2.5 ns, gpsd connected with fix mode 3 and one connection;
- GET /status is JSON with the same fix and the serial offset history;
- `nanotime-status --phc <dead port> --bridge <endpoint> --json` reports the bridge reachable
  with that fix and offset (phc-pps-sync is absent, so the verdict is "failed", exit 2).
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import chronyharness  # noqa: E402
from gpsd.fakegpsd import FakeGpsd  # noqa: E402
from bridgeharness import (Checker, RefclockLog, CHRONY_LOG_CONF,  # noqa: E402
                           bridge_run, bridge_workdir, chrony_refclock_lines)

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError as e:  # a missing tool is a failure, never a skip
    print("FAIL python3-prometheus-client is not installed: {}".format(e))
    sys.exit(1)

SERIAL_DELAY_S = 0.130
QERR_PS = 2500


def nanotime_status_binary():
    path = os.path.join(os.environ.get("NANOTIME_BIN_DIR", ""), "nanotime-status")
    if not os.access(path, os.X_OK):
        raise AssertionError("nanotime-status not built: {!r}".format(path))
    return path


def get(endpoint, path):
    with urllib.request.urlopen("http://{}{}".format(endpoint, path), timeout=5) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read().decode()


def scrape(endpoint):
    """{(name, frozenset(labels.items())): value} of every sample in /metrics."""
    _, _, text = get(endpoint, "/metrics")
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def sample(m, name, **labels):
    return m.get((name, frozenset(labels.items())))


def unused_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_endpoint(bridge, timeout_s):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        m = re.search(r"status HTTP (127\.0\.0\.1:\d+)", bridge.log())
        if m:
            return m.group(1)
        time.sleep(0.1)
    return None


def main():
    ck = Checker()
    with bridge_workdir("nanotime-bridgestatus-") as workdir, \
            FakeGpsd(serial_delay_s=SERIAL_DELAY_S, qerr_ps=QERR_PS) as f, \
            chronyharness.Chronyd(chrony_refclock_lines(pps_sock=True), CHRONY_LOG_CONF) as c, \
            bridge_run(ck, c, workdir) as run:
        keys = {"gpsd_port": f.port, "time_socket": c.dir + "/time.sock",
                "pps_socket": c.dir + "/pps.sock", "offset_s": 0}
        bridge = run.start(keys, ["[gps-sock-bridge.status]", 'listen = "127.0.0.1:0"',
                                  "max_connections = 4"])
        ep = wait_endpoint(bridge, 5)
        if not ck.check(ep is not None, "bridge logs its status endpoint ({})".format(ep)):
            raise AssertionError("no status endpoint: nothing else can be checked")
        log = RefclockLog(c.dir)
        log.wait_samples_after("GPS", 0, 3, 30)

        m1 = scrape(ep)
        time.sleep(3)
        m2 = scrape(ep)
        sent1 = sample(m1, "nanotime_bridge_samples_total", source="toff", result="sent")
        sent2 = sample(m2, "nanotime_bridge_samples_total", source="toff", result="sent")
        pps1 = sample(m1, "nanotime_bridge_samples_total", source="pps", result="sent")
        pps2 = sample(m2, "nanotime_bridge_samples_total", source="pps", result="sent")
        print("toff sent {} -> {}, pps sent {} -> {}".format(sent1, sent2, pps1, pps2))
        ck.check(sent1 is not None and sent1 >= 1 and sent2 >= sent1 + 2,
                 "/metrics parses; toff samples sent increase (>= 2 in 3 s)")
        ck.check(pps1 is not None and pps2 >= pps1 + 2, "pps samples sent increase")
        ck.check(sample(m2, "nanotime_bridge_samples_total", source="toff",
                        result="not_delivered") == 0, "no toff sample undelivered")
        ck.check(sample(m2, "nanotime_bridge_samples_total", source="toff",
                        result="rejected") is not None, "rejected series exported")
        off = sample(m2, "nanotime_serial_offset_estimate_seconds")
        print("serial offset estimate {} s (fake delay {} s)".format(off, SERIAL_DELAY_S))
        ck.check(off is not None and abs(off + SERIAL_DELAY_S) <= 0.002,
                 "serial offset estimate = -0.130 s +- 2 ms (offset_s = 0)")
        qerr = sample(m2, "nanotime_pps_qerr_seconds")
        ck.check(qerr is not None and abs(qerr - QERR_PS * 1e-12) < 1e-13,
                 "PPS qErr = 2.5 ns (got {})".format(qerr))
        pps_off = sample(m2, "nanotime_pps_offset_seconds")
        ck.check(pps_off is not None and abs(pps_off) <= 0.002,
                 "PPS offset within +-2 ms of 0 (got {})".format(pps_off))
        ck.check(sample(m2, "nanotime_gpsd_connected") == 1, "gpsd connected = 1")
        ck.check(sample(m2, "nanotime_gpsd_fix_mode") == 3, "gpsd fix mode = 3")
        ck.check(sample(m2, "nanotime_gpsd_connects_total") == 1, "one gpsd connection")
        ck.check(sample(m2, "nanotime_build_info", daemon="gps-sock-bridge",
                        version=next((dict(k[1])["version"] for k in m2
                                      if k[0] == "nanotime_build_info"), "")) == 1,
                 "build_info names gps-sock-bridge")

        status, ctype, body = get(ep, "/status")
        doc = json.loads(body)
        metrics = doc.get("metrics", {})
        fix = metrics.get("nanotime_gpsd_fix_mode", {}).get("value")
        hist = doc.get("histories", {}).get("serial_offset_estimate_seconds", {})
        print("/status: {} {}, fix {}, serial offset history {} points".format(
            status, ctype, fix, len(hist.get("v", []))))
        ck.check(status == 200 and ctype.startswith("application/json"), "/status is JSON")
        ck.check(fix == 3, "/status has the gpsd fix (mode 3)")
        ck.check(len(hist.get("v", [])) >= 2 and all(
            abs(v + SERIAL_DELAY_S) <= 0.002 for v in hist["v"] if v is not None),
            "/status history of the serial offset")
        status, ctype, body = get(ep, "/")
        ck.check(status == 200 and ctype.startswith("text/html"), "/ serves the dashboard")

        p = subprocess.run([nanotime_status_binary(), "--phc",
                            "127.0.0.1:{}".format(unused_port()), "--bridge", ep,
                            "--chrony-socket", c.dir + "/chronyd.sock", "--json"],
                           capture_output=True, text=True, timeout=30)
        print("nanotime-status exit {}: {}".format(p.returncode, p.stdout[:2000]))
        ck.check(p.returncode == 2, "nanotime-status: phc-pps-sync down -> exit 2")
        try:
            b = json.loads(p.stdout).get("gps_sock_bridge", {})
        except ValueError:
            b = {}
        ck.check(b.get("reachable") is True and b.get("endpoint") == ep,
                 "nanotime-status reaches the bridge")
        ck.check(b.get("gpsd_connected") == 1 and b.get("fix_mode") == 3,
                 "nanotime-status shows the bridge's gpsd fix")
        so = b.get("serial_offset_s")
        ck.check(isinstance(so, (int, float)) and abs(so + SERIAL_DELAY_S) <= 0.002,
                 "nanotime-status shows the serial offset (got {})".format(so))

    return ck.finish()


if __name__ == "__main__":
    sys.exit(main())
