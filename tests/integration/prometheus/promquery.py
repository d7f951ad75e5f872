#!/usr/bin/env python3
"""Instant queries against a Prometheus' HTTP API, for tests that must run inside a network
namespace (`ip netns exec NS python3 -B promquery.py URL`): reads a JSON list of
{"expr": ..., "time": unix_s or null} on stdin, writes a JSON list of answers on stdout, each
{"expr", "status", "result" (the API's data.result) or "error"}. Standard library only."""

import json
import sys
import urllib.error
import urllib.parse
import urllib.request

TIMEOUT_S = 5


def query(url, expr, at):
    params = {"query": expr}
    if at is not None:
        params["time"] = f"{at:.3f}"
    try:
        with urllib.request.urlopen(f"{url}/api/v1/query?{urllib.parse.urlencode(params)}",
                                    timeout=TIMEOUT_S) as resp:
            doc = json.load(resp)
    except urllib.error.HTTPError as e:  # 400/422: a bad expression; the body says why
        try:
            doc = json.load(e)
        except ValueError:
            doc = {"status": "error", "error": str(e)}
    except (OSError, ValueError) as e:
        doc = {"status": "error", "error": str(e)}
    answer = {"expr": expr, "status": doc.get("status")}
    if doc.get("status") == "success":
        answer["result"] = doc["data"]["result"]
    else:
        answer["error"] = doc.get("error", "no answer")
    return answer


def main():
    url = sys.argv[1].rstrip("/")
    asks = json.load(sys.stdin)
    json.dump([query(url, a["expr"], a.get("time")) for a in asks], sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
