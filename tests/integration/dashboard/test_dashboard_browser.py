"""The dashboard of the REAL phc-pps-sync daemon (realtime simulation of
../metrics/profiles/rt-outage-short.toml: PPS cut at t = 40 s for 20 s) in headless Chromium
(Debian's chromium, driven over the DevTools protocol by cdp.py, standard library only).
Checked:
  1. the page loads from the daemon with its Content-Security-Policy and requests nothing but
     the daemon's own /status (air-gapped Pi); no JavaScript error, no failed poll;
  2. data arrives: the lock state card reaches "tracking" (data-state) with clockClass 6;
  3. the plotted points follow /status: for each history (offset, frequency, error bound) the
     points the page drew (window.__nanotime.plots) are exactly /status's points (same times,
     same values) over the range the page shows, none missing, the newest at most 3 s older
     than /status's; the canvases' data-points/data-last-v say the same, and ink was drawn;
     the value cards show /status's gauges;
  4. the outage: the page shows holdover (data-state, clockClass 7, the timeline's current
     segment) while /status says holdover, then tracking again; the timeline ends tracking,
     holdover, tracking; the offset plot has the ~20 s gap where the pulses were missing;
  5. screenshots (PNG, 1280 px wide, and a phone at 390 px: no sideways scrolling) saved to
     $NANOTIME_ARTIFACT_DIR (default: the working directory): dashboard-holdover.png,
     dashboard.png, dashboard-phone.png;
  6. the daemon stopped: the page says "no data from the daemon".
Runtime ~80 s. Exit status non-zero on failure; daemon, browser and temp dirs are removed.
"""

import http.server
import json
import os
import re
import sys
import threading
import time
import urllib.request

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_HERE, "..", "metrics"))

from cdp import Chromium, png_size  # noqa: E402
from statusclient import HttpPhcPpsSync, check, cleanup_on_sigterm  # noqa: E402

PROFILE = "rt-outage-short.toml"  # in ../metrics/profiles
OUTAGE_START_S, OUTAGE_S = 40, 20
HISTORIES = ("phc_offset_seconds", "phc_frequency_adjustment_ratio", "error_bound_seconds")
ARTIFACTS = os.environ.get("NANOTIME_ARTIFACT_DIR") or os.getcwd()
# lib/status keeps one point per 1 s slot and revises the newest one while its slot lasts (several
# updates a second in holdover): the page must replace a revised slot, not keep a stale point —
# the "every plotted point is /status's" check below catches that.
# To try a dashboard.html change without rebuilding the daemon: NANOTIME_DASHBOARD_HTML=FILE
# serves FILE as / from a local proxy that forwards /status to the daemon.
DASHBOARD_HTML = os.environ.get("NANOTIME_DASHBOARD_HTML")

# One snapshot of everything the page shows, taken in one JavaScript turn.
SNAPSHOT_JS = """(() => {
  const NT = window.__nanotime;
  const canvases = {};
  for (const c of document.querySelectorAll('canvas[data-history]')) {
    // Ink: pixels of the series colour (--info, #2e6fdb) on the canvas.
    const g = c.getContext('2d'), d = g.getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 4)
      if (Math.abs(d[i] - 0x2e) < 40 && Math.abs(d[i+1] - 0x6f) < 40 && Math.abs(d[i+2] - 0xdb) < 40 && d[i+3] > 128) ink++;
    canvases[c.dataset.history] = {points: c.dataset.points, last_t: c.dataset.lastT,
                                   last_v: c.dataset.lastV, ink: ink};
  }
  const cards = {};
  for (const e of document.querySelectorAll('.card .v[data-metric]'))
    cards[e.dataset.metric] = {value: e.dataset.value, text: e.textContent};
  const lock = document.getElementById('lock');
  const tl = document.getElementById('timeline');
  return JSON.stringify({polls: NT.polls, errors: NT.errors, time_s: NT.status && NT.status.time_s,
    plots: NT.plots, timeline: NT.timeline, canvases: canvases, cards: cards,
    state: lock ? lock.dataset.state : null, lock_class: lock ? lock.className : null,
    timeline_current: tl ? tl.dataset.current : null,
    conn: document.getElementById('conn').textContent});
})()"""


def snapshot(page):
    return json.loads(page.evaluate(SNAPSHOT_JS))


def check_plots_follow_status(snap, st):
    """The page's plotted points against /status fetched right after the page's snapshot."""
    for name in HISTORIES:
        plot = snap["plots"].get(name)
        hist = st["histories"].get(name)
        check(plot is not None and hist is not None, f"{name}: plotted, and in /status")
        ref = {t: v for t, v in zip(hist["t"], hist["v"]) if v is not None}
        pts = list(zip(plot["t"], plot["v"]))
        check(len(pts) >= 5, f"{name}: {len(pts)} points plotted")
        wrong = [(t, v, ref.get(t)) for t, v in pts if ref.get(t) != v]
        check(not wrong, f"{name}: every plotted point is /status's (same t, same v) "
                         f"{wrong[:3] if wrong else ''}")
        lo, hi = pts[0][0], pts[-1][0]
        plotted_t = {t for t, _ in pts}
        missing = [t for t in ref if lo <= t <= hi and t not in plotted_t]
        check(not missing, f"{name}: no /status point missing between the first and last "
                           f"plotted ({len(ref)} in /status) {missing[:3]}")
        newest = max(ref)
        check(newest - hi <= 3.0, f"{name}: newest plotted point {newest - hi:.1f} s behind /status")
        c = snap["canvases"][name]
        check(c["points"] == str(len(pts)) and float(c["last_v"]) == pts[-1][1] and
              float(c["last_t"]) == pts[-1][0],
              f"{name}: canvas data-points {c['points']}, data-last-v {c['last_v']} = the plot's")
        check(c["ink"] > 50, f"{name}: the series is drawn ({c['ink']} px of its colour)")


class DashboardProxy:
    """Serves DASHBOARD_HTML as / and forwards everything else (/status) to the daemon."""

    def __init__(self, html_path, upstream):
        with open(html_path, "rb") as f:
            html = f.read()

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path == "/" or self.path.startswith("/?"):
                    body, ctype, code = html, "text/html; charset=utf-8", 200
                else:
                    try:
                        with urllib.request.urlopen(upstream + self.path, timeout=5) as r:
                            body, ctype, code = r.read(), r.headers["Content-Type"], r.status
                    except OSError as e:
                        body, ctype, code = str(e).encode(), "text/plain", 502
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        print(f"serving {html_path} as / at {self.url} (/status from {upstream})", flush=True)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def main():
    cleanup_on_sigterm()
    started = time.monotonic()
    pngs = []
    with HttpPhcPpsSync(PROFILE, {"chrony_socket": "", "ptp4l_socket": ""}) as d, \
            Chromium() as browser:
        t0 = float(re.search(r"t = 0 at UTC (\d+)", d.log_text()).group(1))
        tsim = lambda: time.time() - t0  # noqa: E731
        code, headers, html = d.get("/")
        check(code == 200 and headers.get("content-type", "").startswith("text/html"),
              "GET / serves the dashboard (text/html)")
        csp = headers.get("content-security-policy", "")
        check("default-src 'none'" in csp and "connect-src 'self'" in csp,
              f"Content-Security-Policy: nothing but this server ({csp})")

        proxy = DashboardProxy(DASHBOARD_HTML, d.base_url) if DASHBOARD_HTML else None
        page_url = proxy.url if proxy else d.base_url
        page = browser.page()
        page.set_viewport(1280, 900)
        page.navigate(f"{page_url}/?interval_ms=500")
        check(page.evaluate("document.title").startswith("nanotime"), "page title nanotime")

        # -- 2. data, tracking -------------------------------------------------------------------
        page.wait_for("window.__nanotime.polls >= 1", 10, "the first poll")
        page.wait_for("(e => e && e.dataset.state === 'tracking')(document.getElementById('lock'))",
                      40, "the lock card says tracking")
        print(f"page shows tracking at t = {tsim():.1f} s", flush=True)
        page.wait_for("(window.__nanotime.plots.phc_offset_seconds || {t: []}).t.length >= 8", 15,
                      "8 offset points plotted")

        # -- 3. plotted points = /status -----------------------------------------------------------
        for _ in range(2):
            snap = snapshot(page)
            st = d.status("?since=0")
            check(snap["state"] == "tracking" and st["metrics"]["nanotime_lock_state"]["state"] ==
                  "tracking", "page and /status: tracking")
            check(snap["cards"]["nanotime_clock_class"]["value"] == "6", "clockClass card: 6")
            check_plots_follow_status(snap, st)
            sysc = snap["cards"].get("nanotime_system_bound_seconds")
            # No chronyd here: no sample yet, so no bound — a dash, then the method and model.
            system = st.get("system", {})
            how = ", ".join(x for x in (system.get("method"), system.get("latch_model")) if x)
            check("system" in st and sysc is not None and
                  sysc["text"].startswith("–" if system.get("bound_ns") is None else "±") and
                  (not how or f"({how})" in sysc["text"]),
                  f"the system clock (NTP) card shows /status's system bound and method: {sysc}")
            off = snap["cards"]["nanotime_phc_offset_seconds"]
            check(float(off["value"]) == snap["plots"]["phc_offset_seconds"]["v"][-1] and
                  float(off["value"]) in st["histories"]["phc_offset_seconds"]["v"],
                  f"PHC - TAI card {off['text']} = the newest plotted point, a /status value")
            page.pump(3)

        # -- 4. the outage -------------------------------------------------------------------------
        page.wait_for("document.getElementById('lock').dataset.state === 'holdover'",
                      OUTAGE_START_S + 10 - tsim(), "the page shows holdover")
        t_hold = tsim()
        st = d.status()
        snap = snapshot(page)
        print(f"page shows holdover at t = {t_hold:.1f} s", flush=True)
        check(OUTAGE_START_S < t_hold < OUTAGE_START_S + 8,
              f"holdover on the page at t = {t_hold:.1f} s (PPS cut at {OUTAGE_START_S} s)")
        check(st["metrics"]["nanotime_lock_state"]["state"] == "holdover", "/status: holdover too")
        check("st-holdover" in snap["lock_class"], "the lock card is coloured as holdover")
        page.wait_for("document.querySelector('.card .v[data-metric=nanotime_clock_class]')"
                      ".dataset.value === '7'", 3, "clockClass 7 on the page")
        check(snap["timeline_current"] == "holdover" and snap["timeline"][-1]["state"] == "holdover",
              "the timeline's current segment is holdover")
        path = os.path.join(ARTIFACTS, "dashboard-holdover.png")
        pngs.append((path, page.screenshot(path, 1280)))

        page.wait_for("document.getElementById('lock').dataset.state === 'tracking'",
                      OUTAGE_START_S + OUTAGE_S + 12 - tsim(), "the page shows tracking again")
        print(f"page shows tracking again at t = {tsim():.1f} s", flush=True)
        page.wait_for("window.__nanotime.plots.phc_offset_seconds.t.slice(-1)[0] > "
                      f"{t0 + OUTAGE_START_S + OUTAGE_S + 2}", 10, "offset points after the outage")
        snap = snapshot(page)
        st = d.status("?since=0")
        states = [s["state"] for s in snap["timeline"]]
        check(states[-3:] == ["tracking", "holdover", "tracking"],
              f"timeline: ... tracking, holdover, tracking ({states})")
        hold = snap["timeline"][-2]
        check(abs(hold["from"] - t0 - OUTAGE_START_S) < 6 and
              OUTAGE_S - 6 < hold["to"] - hold["from"] < OUTAGE_S + 6,
              f"holdover segment t = {hold['from'] - t0:.1f} .. {hold['to'] - t0:.1f} s")
        ts = snap["plots"]["phc_offset_seconds"]["t"]
        gaps = [(a - t0, b - t0) for a, b in zip(ts, ts[1:]) if b - a > 10]
        check(len(gaps) == 1 and OUTAGE_START_S - 3 < gaps[0][0] < OUTAGE_START_S + 2 and
              gaps[0][1] - gaps[0][0] > OUTAGE_S - 3,
              f"the offset plot has one gap where the pulses were missing: {gaps}")
        check_plots_follow_status(snap, st)

        # -- 5. screenshots ------------------------------------------------------------------------
        path = os.path.join(ARTIFACTS, "dashboard.png")
        pngs.append((path, page.screenshot(path, 1280)))
        path = os.path.join(ARTIFACTS, "dashboard-phone.png")
        pngs.append((path, page.screenshot(path, 390, scale=2, mobile=True)))
        overflow = page.evaluate("document.documentElement.scrollWidth")
        check(overflow <= 390, f"phone (390 px): no sideways scrolling (page {overflow} px wide)")
        for path, (w, h) in pngs:
            with open(path, "rb") as f:
                check(png_size(f.read()) == (w, h) and w in (1280, 780) and h > 600,
                      f"screenshot {path} {w}x{h}")

        # -- 1. nothing but the daemon, no errors ------------------------------------------------
        snap = snapshot(page)
        check(snap["errors"] == 0 and snap["polls"] > 50, f"{snap['polls']} polls, none failed")
        check(not page.exceptions, f"no JavaScript errors {page.exceptions}")
        foreign = [u for u in page.requests if not u.startswith(page_url + "/")]
        check(not foreign and len(page.requests) > 50,
              f"{len(page.requests)} requests, all to the daemon {foreign[:3]}")

        # -- 6. the daemon gone ---------------------------------------------------------------------
        rc = d.terminate()
        check(rc == 0, f"daemon stopped (exit {rc})")
        if proxy:
            proxy.close()
        page.wait_for("document.getElementById('conn').className === 'down'", 5,
                      "the page notices the daemon is gone")
        conn = page.evaluate("document.getElementById('conn').textContent")
        check("no data from the daemon" in conn, f"the page says: {conn}")
    print(f"PASS ({time.monotonic() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
