#!/usr/bin/env python3
"""The demo's alert log (scripts/demo --prometheus): polls a Prometheus' HTTP API and records,
every POLL_S, which alerts are pending and firing and phc-pps-sync's lock state, as one JSON
line per poll in TIMELINE; prints a line to stdout whenever an alert starts or stops firing.

    demo-alertlog.py URL TIMELINE [--t0 UNIX_S] [--duration-s N]

Python 3 standard library only. A Prometheus that does not answer (still starting, or gone)
is recorded as {"t": ..., "error": "..."}: the poller never stops early on its own.
"""

import argparse
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

POLL_S = 0.5
TIMEOUT_S = 2


def get(url, path, **params):
    query = ("?" + urllib.parse.urlencode(params)) if params else ""
    with urllib.request.urlopen(url + path + query, timeout=TIMEOUT_S) as resp:
        doc = json.load(resp)
    if doc.get("status") != "success":
        raise ValueError(f"{path}: {doc.get('error', 'status ' + str(doc.get('status')))}")
    return doc["data"]


def alert_key(alert):
    labels = dict(alert["labels"])
    name = labels.pop("alertname", "?")
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}"


def sample(url):
    alerts = get(url, "/api/v1/alerts")["alerts"]
    lock = get(url, "/api/v1/query", query='nanotime_lock_state == 1')["result"]
    return {
        "t": time.time(),
        "firing": sorted(alert_key(a) for a in alerts if a["state"] == "firing"),
        "pending": sorted(alert_key(a) for a in alerts if a["state"] == "pending"),
        "lock_state": lock[0]["metric"].get("state") if lock else None,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("url", help="Prometheus base URL, e.g. http://127.0.0.1:9090")
    ap.add_argument("timeline", help="file to append one JSON line per poll to")
    ap.add_argument("--t0", type=float, default=None,
                    help="Unix time printed lines count from (the demo's start); default: now")
    ap.add_argument("--duration-s", type=float, default=600, help="stop after this long")
    args = ap.parse_args()
    url = args.url.rstrip("/")
    t0 = time.time() if args.t0 is None else args.t0
    firing = set()
    t_end = time.monotonic() + args.duration_s
    with open(args.timeline, "a", buffering=1) as out:
        while time.monotonic() < t_end:
            try:
                entry = sample(url)
            except (OSError, ValueError, KeyError, urllib.error.URLError) as e:
                entry = {"t": time.time(), "error": str(e)}
            out.write(json.dumps(entry) + "\n")
            now = set(entry.get("firing", firing))
            stamp = f"t={entry['t'] - t0:3.0f}s"
            for key in sorted(now - firing):
                print(f"{stamp}  firing   {key}", flush=True)
            for key in sorted(firing - now):
                print(f"{stamp}  resolved {key}", flush=True)
            firing = now
            time.sleep(POLL_S)
    return 0


if __name__ == "__main__":
    sys.exit(main())
