#!/usr/bin/python3
"""The receiver's state through the REAL phc-pps-sync daemon (realtime simulation of
profiles/rt-survey-short.toml: the receiver surveys for 30 s, then fixed mode): the simulated
world's receiver watch → the conductor → the engine and the status hook. Checked:
  1. during the survey: /metrics (parsed by Prometheus' own parser) has every agreed receiver
     series — nanotime_receiver_time_mode{mode="survey_in"} 1 (the others 0),
     survey_active 1, survey_duration_seconds growing, survey_accuracy_meters, info{model},
     antenna_state{state="ok"} 1, jamming_indicator, satellites_used, timtp_present 1,
     watch_connected 1; /status's "receiver" says position_limited with the note; once
     tracking, clockClass stays 6 while surveying; nanotime-status prints the receiver line
     and the note;
  2. after the survey: time_mode{mode="fixed"} 1, survey_active 0, position_limited false, no
     note; nanotime-status without the note;
  3. the dashboard (headless Chromium): the "GNSS receiver" card shows "SIM-T: survey_in …"
     in amber (warn) during the survey, "SIM-T: fixed …" without colour after.
Runtime ~45 s. Exit status non-zero on failure; the daemon and its temp dir are removed.
"""

import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "metrics"))
sys.path.insert(0, os.path.join(HERE, "..", "dashboard"))

from cdp import Chromium  # noqa: E402
from statusclient import HttpPhcPpsSync, check, cleanup_on_sigterm  # noqa: E402

PROFILE = os.path.join(HERE, "profiles", "rt-survey-short.toml")
SURVEY_S = 30
NOTE = "receiver surveying (navigation mode): accuracy limited by position"
MODES = ("fixed", "survey_in", "navigation", "unknown")


def mode_of(m):
    on = [x for x in MODES if m.value("nanotime_receiver_time_mode", mode=x) == 1]
    off = [x for x in MODES if m.value("nanotime_receiver_time_mode", mode=x) == 0]
    return on[0] if len(on) == 1 and len(off) == 3 else None


def nanotime_status(d):
    binary = os.path.join(os.environ["NANOTIME_BIN_DIR"], "nanotime-status")
    r = subprocess.run([binary, "--phc", f"{d.host}:{d.port}", "--no-bridge", "--timeout-ms",
                        "2000"], capture_output=True, text=True, timeout=30)
    return r.stdout


CARD_JS = """(e => e ? {text: e.textContent, cls: e.className, mode: e.dataset.mode}
                : null)(document.querySelector('#card-receiver .v'))"""


def main():
    cleanup_on_sigterm()
    with HttpPhcPpsSync(PROFILE, {"chrony_socket": "", "ptp4l_socket": ""}) as d, \
            Chromium() as browser:
        start = time.monotonic()
        page = browser.page()
        page.set_viewport(1280, 900)
        page.navigate(f"{d.base_url}/?interval_ms=500")
        m = d.wait_for(lambda: (m := d.metrics()) and mode_of(m) == "survey_in" and m, 8,
                       "the receiver surveying")
        check(m.value("nanotime_receiver_survey_active") == 1, "survey_active 1")
        check(m.value("nanotime_receiver_watch_connected") == 1, "watch_connected 1")
        check(m.value("nanotime_receiver_antenna_state", state="ok") == 1 and
              m.value("nanotime_receiver_antenna_state", state="short") == 0, "antenna ok")
        check(m.value("nanotime_receiver_jamming_indicator") == 3, "jamming indicator 3")
        check(m.value("nanotime_receiver_satellites_used") == 12, "12 satellites")
        check(m.value("nanotime_receiver_timtp_present") == 1, "TIM-TP present")
        check(m.value("nanotime_receiver_info", model="SIM-T", firmware="simulated",
                      generation="9") == 1, "info{model=SIM-T, firmware, generation 9}")
        d1 = m.value("nanotime_receiver_survey_duration_seconds")
        acc = m.value("nanotime_receiver_survey_accuracy_meters")
        check(acc is not None and 0 < acc < 10, f"survey accuracy {acc} m")
        time.sleep(3)
        m2 = d.metrics()
        d2 = m2.value("nanotime_receiver_survey_duration_seconds")
        check(d2 is not None and d1 is not None and d2 >= d1 + 2,
              f"survey duration grows ({d1} → {d2} s)")
        st = d.wait_for(lambda: (s := d.status()) and
                        s["metrics"]["nanotime_lock_state"]["state"] == "tracking" and s, 20,
                        "tracking while surveying")
        rx = st["receiver"]
        elapsed = time.monotonic() - start
        check(elapsed < SURVEY_S - 2, f"still surveying when tracking ({elapsed:.0f} s)")
        check(rx["watched"] and rx["time_mode"] == "survey_in" and rx["position_limited"] and
              rx["note"] == NOTE, f"/status receiver: survey_in, position limited, note ({rx})")
        check(st["metrics"]["nanotime_clock_class"]["value"] == 6,
              "clockClass 6 while surveying (still traceable)")
        page.wait_for("(e => e && e.dataset.mode === 'survey_in')"
                      "(document.querySelector('#card-receiver .v'))", 10, "the receiver card")
        card = page.evaluate(CARD_JS)
        check(card["text"].startswith("SIM-T: survey_in") and "antenna ok" in card["text"] and
              "warn" in card["cls"].split(), f"dashboard card during the survey: {card}")
        text = nanotime_status(d)
        check(re.search(r"receiver +SIM-T \(simulated\), survey_in \d+ s ±[\d.]+ m, antenna ok, "
                        r"jamming 3, 12 satellites, TIM-TP yes", text) is not None and NOTE in text,
              "nanotime-status: receiver line and the note\n" + text)

        m = d.wait_for(lambda: (m := d.metrics()) and mode_of(m) == "fixed" and m,
                       SURVEY_S + 10, "fixed mode")
        check(time.monotonic() - start >= SURVEY_S - 3, "fixed after the survey's 30 s")
        check(m.value("nanotime_receiver_survey_active") == 0, "survey_active 0 after")
        rx = d.status()["receiver"]
        check(rx["time_mode"] == "fixed" and not rx["position_limited"] and rx["note"] == "",
              f"/status receiver after the survey: fixed, not position limited ({rx})")
        page.wait_for("(e => e && e.dataset.mode === 'fixed')"
                      "(document.querySelector('#card-receiver .v'))", 10, "the card: fixed")
        card = page.evaluate(CARD_JS)
        check(card["text"].startswith("SIM-T: fixed") and card["cls"] == "v",
              f"dashboard card after the survey: {card}")
        text = nanotime_status(d)
        check("receiver       SIM-T (simulated), fixed, antenna ok" in text and NOTE not in text,
              "nanotime-status after the survey: fixed, no note\n" + text)
    print("PASS: the receiver's state through the real daemon")


if __name__ == "__main__":
    main()
