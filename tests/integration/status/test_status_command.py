"""nanotime-status against a real chronyd (4.3, private instance) and stand-ins for the daemons'
/status endpoints (phc-pps-sync and gps-sock-bridge are wired to lib/status separately; their
own integration tests check their real /status). Checks the exit code and the reasons for:

  chronyd up but not on PHC0 ...................... 2 (failed)
  PHC0 selected, phc-pps-sync tracking, bridge 3D .. 0 (locked), text and --json
  holdover ........................................ 1 (degraded)
  bridge without a fix ............................ 1
  PPS cross-check 200 us away from PHC0 ........... 1 (chronyc sources offsets)
  phc-pps-sync down ............................... 2
  chronyd down .................................... 2
"""

import http.server
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

import chronyharness as ch

SOCK_MAGIC = 0x534F434B


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        raise AssertionError(what)


def sock_sample(offset_s):
    """chrony 4.3 struct sock_sample, native layout (40 bytes on 64-bit, 32 on armhf)."""
    now = time.time()
    sec = int(now)
    usec = int((now - sec) * 1e6)
    return struct.pack("@lldiiii", sec, usec, offset_s, 0, 0, 0, SOCK_MAGIC)


def gauge(value, unit=""):
    return {"type": "gauge", "unit": unit, "help": "h", "value": value,
            "series": [{"labels": {}, "value": value}]}


def phc_doc(lock_state, clock_class=6, ptp4l_class=6):
    """The shape lib/status/status_json.cpp renders (GET /status?history=0)."""
    now = time.time()
    return {
        "time_s": now,
        "metrics": {
            "nanotime_build_info": {"type": "info", "help": "h",
                                    "labels": {"daemon": "phc-pps-sync", "version": "0.1.0"}},
            "nanotime_start_time_seconds": gauge(now - 100, "seconds"),
            "nanotime_lock_state": {"type": "stateset", "help": "h",
                                    "states": ["acquiring", "converging", "tracking", "holdover", "freerun"],
                                    "state": lock_state, "since_s": now - 50,
                                    "timeline": {"t": [now - 50], "state": [lock_state]}},
            "nanotime_clock_class": gauge(clock_class),
            "nanotime_error_bound_seconds": gauge(2e-8, "seconds"),
            "nanotime_phc_offset_seconds": gauge(-1e-9, "seconds"),
            "nanotime_phc_frequency_adjustment_ratio": gauge(1.5e-9, "ratio"),
            "nanotime_ptp4l_reachable": gauge(1),
            "nanotime_ptp4l_clock_class": gauge(ptp4l_class),
            "nanotime_pulses_total": {"type": "counter", "unit": "", "help": "h", "series": [
                {"labels": {"result": r}, "value": 10} for r in
                ("seen", "used", "lost", "ambiguous", "stale", "outlier")]},
        },
        "histories": {},
    }


def bridge_doc(fix_mode):
    now = time.time()
    return {"time_s": now, "metrics": {
        "nanotime_start_time_seconds": gauge(now - 100, "seconds"),
        "nanotime_gpsd_connected": gauge(1),
        "nanotime_gpsd_fix_mode": gauge(fix_mode),
        "nanotime_gpsd_satellites_used": gauge(9),
        "nanotime_serial_offset_estimate_seconds": gauge(0.123, "seconds"),
    }, "histories": {}}


class FakeDaemon:
    """Serves self.doc as /status on 127.0.0.1:<free port>."""

    def __init__(self, doc):
        self.doc = doc
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path.split("?")[0] != "/status":
                    self.send_error(404)
                    return
                body = json.dumps(outer.doc).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(timeout=5)
            self.server = None


def run_status(binary, phc, bridge, chrony_sock, json_out=True):
    args = [binary, "--phc", phc, "--bridge", bridge, "--chrony-socket", chrony_sock,
            "--timeout-ms", "2000"]
    if json_out:
        args.append("--json")
    r = subprocess.run(args, capture_output=True, text=True, timeout=30)
    if json_out:
        try:
            return r.returncode, json.loads(r.stdout), r.stderr
        except ValueError:
            return r.returncode, {"raw": r.stdout}, r.stderr
    return r.returncode, r.stdout, r.stderr


def main():
    binary = os.path.join(os.environ["NANOTIME_BIN_DIR"], "nanotime-status")
    check(os.access(binary, os.X_OK), f"{binary} is built")
    phc = FakeDaemon(phc_doc("tracking"))
    bridge = FakeDaemon(bridge_doc(3))
    socks = []
    try:
        lines = ["refclock SOCK {dir}/phc0.sock refid PHC0 poll 0 prefer trust",
                 "refclock SOCK {dir}/pps.sock refid PPS poll 0"]
        with ch.Chronyd(lines, name="chronyd-status") as c:
            for name in ("phc0.sock", "pps.sock"):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                s.connect(os.path.join(c.dir, name))
                socks.append(s)
            status = lambda **kw: run_status(binary, phc.endpoint, bridge.endpoint, c.sock_path, **kw)

            code, out, err = status()
            check(code == 2 and any("not selected the PHC" in r for r in out.get("reasons", [])),
                  f"chronyd without PHC0 samples: 2, 'not selected the PHC' ({code} {out.get('reasons')} {err})")

            pps_offset = [1e-6]

            def feed():
                socks[0].send(sock_sample(0.0))
                socks[1].send(sock_sample(pps_offset[0]))

            def until_code(want, reason_part=None):
                def step():
                    feed()
                    code, out, _ = status()
                    ok = code == want and (reason_part is None or
                                           any(reason_part in r for r in out.get("reasons", [])))
                    return (code, out) if ok else None
                return step

            code, out = c.wait_for(until_code(0), 60, "nanotime-status says locked", interval_s=1.0)
            print(c.chronyc("sources"), flush=True)
            check(out["verdict"] == "locked" and out["reasons"] == [], "locked: verdict and no reasons")
            check(out["chrony"]["reference"] == "PHC0", "the JSON names chrony's reference PHC0")
            check(out["phc_pps_sync"]["lock_state"] == "tracking", "the JSON carries the lock state")
            check(out["gps_sock_bridge"]["fix_mode"] == 3, "the JSON carries the bridge's fix")
            names = {s["name"] for s in out["chrony"]["sources"]}
            check(names == {"PHC0", "PPS"}, f"the JSON lists chrony's sources {sorted(names)}")

            feed()
            code, text, _ = status(json_out=False)
            print(text, flush=True)
            check(code == 0 and "verdict: locked (0)" in text and "lock state     tracking" in text
                  and "reference      PHC0 (stratum 1)" in text, "text output, exit 0")

            phc.doc = phc_doc("holdover", clock_class=7, ptp4l_class=7)
            code, out, _ = status()
            check(code == 1 and any("holdover" in r for r in out["reasons"]), f"holdover: 1 ({out['reasons']})")
            phc.doc = phc_doc("tracking")

            bridge.doc = bridge_doc(1)
            code, out, _ = status()
            check(code == 1 and any("no fix" in r for r in out["reasons"]), f"no fix: 1 ({out['reasons']})")
            bridge.doc = bridge_doc(3)

            phc.doc = phc_doc("tracking", clock_class=6, ptp4l_class=248)
            code, out, _ = status()
            check(code == 1 and any("ptp4l announces clockClass 248" in r for r in out["reasons"]),
                  f"ptp4l announces another class: 1 ({out['reasons']})")
            phc.doc = phc_doc("tracking")

            pps_offset[0] = 200e-6
            code, out = c.wait_for(until_code(1, "cross-check"), 60,
                                   "PPS 200 us away from PHC0 is seen", interval_s=1.0)
            print(c.chronyc("sources"), flush=True)
            check(code == 1, f"cross-check disagreement: 1 ({out['reasons']})")

            phc.stop()
            code, out, _ = status()
            check(code == 2 and any("phc-pps-sync is not reachable" in r for r in out["reasons"]),
                  f"phc-pps-sync down: 2 ({out['reasons']})")
            check(out["phc_pps_sync"]["reachable"] is False and "error" in out["phc_pps_sync"],
                  "the JSON says why phc-pps-sync is unreachable")
            c.stop()
            code, out, _ = status()
            check(code == 2 and any("chronyd is not reachable" in r for r in out["reasons"]),
                  f"chronyd down: 2 ({out['reasons']})")
    finally:
        for s in socks:
            s.close()
        phc.stop()
        bridge.stop()
    print("PASS", flush=True)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        sys.exit(1)
