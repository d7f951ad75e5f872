"""`nanotime-status` exit codes against the REAL phc-pps-sync daemon (realtime simulation,
profiles/rt-outage-short.toml: PPS cut at t = 40 s for 20 s) feeding a real, private chronyd
(4.3) through its SOCK refclock PHC0:

  daemon tracking and chronyd has selected PHC0 ........ 0 locked (no reasons)
  PPS outage: daemon in holdover, chronyd still on PHC0 .. 1 degraded ("holdover")
  the PPS back ......................................... 0 again
  daemon stopped (SIGTERM) ............................. 2 failed ("not reachable")

Also: the samples the daemon sent are counted in its /metrics (chrony_samples_total{sent} grows
while chronyd gets them). Runtime ~75 s. Exit status non-zero on failure; chronyd, the daemon
and their temp dirs are removed in any case.
"""

import json
import os
import subprocess
import time

from chronyharness import Chronyd
from statusclient import HttpPhcPpsSync, check, cleanup_on_sigterm

PROFILE = "rt-outage-short.toml"
OUTAGE_START_S, OUTAGE_S = 40, 20
REFCLOCK = "refclock SOCK {dir}/phc0.sock refid PHC0 poll 0 filter 4 precision 1e-8 prefer"


def nanotime_status(endpoint, chrony_sock):
    binary = os.path.join(os.environ["NANOTIME_BIN_DIR"], "nanotime-status")
    argv = [binary, "--phc", endpoint, "--no-bridge", "--pps-refid", "", "--chrony-socket",
            chrony_sock, "--timeout-ms", "2000", "--json"]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    try:
        out = json.loads(r.stdout)
    except ValueError:
        out = {"raw": r.stdout, "stderr": r.stderr}
    return r.returncode, out


def main():
    cleanup_on_sigterm()
    started = time.monotonic()
    binary = os.path.join(os.environ["NANOTIME_BIN_DIR"], "nanotime-status")
    check(os.access(binary, os.X_OK), f"{binary} is built")
    with Chronyd([REFCLOCK], name="chronyd-status-real") as c:
        sock = f"{c.dir}/phc0.sock"
        with HttpPhcPpsSync(PROFILE, {"chrony_socket": sock, "ptp4l_socket": ""}) as d:
            endpoint = f"{d.host}:{d.port}"
            t0 = time.monotonic()
            status = lambda: nanotime_status(endpoint, c.sock_path)  # noqa: E731

            code, out = status()
            print(f"at start: {code} {out.get('reasons')}", flush=True)
            check(code in (1, 2), f"not locked at start: exit {code}")

            def until(want, part=None):
                def step():
                    code, out = status()
                    reasons = out.get("reasons", [])
                    ok = code == want and (part is None or any(part in r for r in reasons))
                    return (code, out) if ok else None
                return step

            code, out = d.wait_for(until(0), 60, "nanotime-status exit 0 (locked)", interval_s=0.5)
            print(f"locked at t = {time.monotonic() - t0:.1f} s: {json.dumps(out)}", flush=True)
            print(c.chronyc("sources"), flush=True)
            check(out.get("verdict") == "locked" and out.get("reasons") == [],
                  "locked: verdict 'locked', no reasons")
            check(out["phc_pps_sync"]["lock_state"] == "tracking", "the JSON says tracking")
            check(out["chrony"]["reference"] == "PHC0", "chronyd's reference is PHC0")
            sent = d.counter("nanotime_chrony_samples_total", result="sent")
            check(sent > 0 and d.counter("nanotime_chrony_samples_total",
                                         result="not_delivered") == 0,
                  f"/status: {sent} samples sent to chronyd, none undelivered")

            code, out = d.wait_for(until(1, "holdover"), OUTAGE_START_S + 12 - (time.monotonic() - t0),
                                   "nanotime-status exit 1 (holdover)", interval_s=0.5)
            print(f"degraded at t = {time.monotonic() - t0:.1f} s: {out.get('reasons')}", flush=True)
            check(out.get("verdict") == "degraded" and d.lock_state() == "holdover",
                  "holdover: exit 1, verdict 'degraded', daemon in holdover")
            check(out["chrony"]["reference"] == "PHC0",
                  "chronyd stays on PHC0 in holdover (the daemon keeps sending)")
            time.sleep(3)
            sent2 = d.counter("nanotime_chrony_samples_total", result="sent")
            check(sent2 > sent, f"samples keep going to chronyd in holdover ({sent} -> {sent2})")

            code, out = d.wait_for(until(0), OUTAGE_START_S + OUTAGE_S + 15 - (time.monotonic() - t0),
                                   "nanotime-status exit 0 after the outage", interval_s=0.5)
            print(f"locked again at t = {time.monotonic() - t0:.1f} s", flush=True)
            check(out.get("reasons") == [], "locked again, no reasons")

            rc = d.terminate()
            check(rc == 0, f"daemon stopped (exit {rc})")
            code, out = status()
            print(f"daemon down: {code} {out.get('reasons')}", flush=True)
            check(code == 2 and out.get("verdict") == "failed" and
                  any("phc-pps-sync is not reachable" in r for r in out.get("reasons", [])),
                  "daemon down: exit 2, 'phc-pps-sync is not reachable'")
    print(f"PASS ({time.monotonic() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
