#!/usr/bin/python3
"""Makes docs/dashboard.png: runs the real phc-pps-sync daemon in realtime simulation (feeding
a private chronyd) for a while, then photographs its dashboard in headless Chromium. Not a test
(it takes as long as the history you want to see); the test is test_dashboard_browser.py.

    NANOTIME_BIN_DIR=build/bin PYTHONPATH=tests/integration \\
      tests/integration/dashboard/make_screenshot.py --seconds 2400 --out docs/dashboard.png \\
      [--phone-out /tmp/dashboard-phone.png] [--profile profiles/rt-screenshot.toml]
"""

import argparse
import os
import sys
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_HERE, "..", "metrics"))

from cdp import Chromium  # noqa: E402
from chronyharness import Chronyd  # noqa: E402
from statusclient import HttpPhcPpsSync, cleanup_on_sigterm  # noqa: E402

REFCLOCK = "refclock SOCK {dir}/phc0.sock refid PHC0 poll 0 filter 4 precision 1e-8 prefer"


def main():
    cleanup_on_sigterm()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default=os.path.join(_HERE, "profiles", "rt-screenshot.toml"))
    ap.add_argument("--seconds", type=float, default=2400, help="run this long before the photo")
    ap.add_argument("--out", required=True, help="desktop PNG (1280 CSS px wide)")
    ap.add_argument("--phone-out", help="also a phone-sized PNG (390 CSS px, scale 2)")
    a = ap.parse_args()
    with Chronyd([REFCLOCK], name="chronyd-screenshot") as c:
        with HttpPhcPpsSync(os.path.abspath(a.profile),
                            {"chrony_socket": f"{c.dir}/phc0.sock", "ptp4l_socket": ""}) as d:
            t0 = time.monotonic()
            while time.monotonic() - t0 < a.seconds:
                time.sleep(min(30.0, a.seconds - (time.monotonic() - t0)))
                if not d.running():
                    raise SystemExit(f"the daemon died:\n{d.log_tail()}")
                print(f"{time.monotonic() - t0:6.0f} s: {d.lock_state()}, class {d.clock_class()}",
                      flush=True)
            with Chromium() as b:
                p = b.page()
                p.set_viewport(1280, 900)
                p.navigate(f"{d.base_url}/")
                p.wait_for("window.__nanotime.polls >= 2", 20, "two polls")
                size = p.screenshot(a.out, 1280)
                print(f"wrote {a.out} {size}", flush=True)
                if a.phone_out:
                    size = p.screenshot(a.phone_out, 390, scale=2, mobile=True)
                    print(f"wrote {a.phone_out} {size}", flush=True)
                if p.exceptions:
                    raise SystemExit(f"page errors: {p.exceptions}")


if __name__ == "__main__":
    main()
