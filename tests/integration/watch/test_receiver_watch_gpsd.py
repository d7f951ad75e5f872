#!/usr/bin/python3
"""phc-pps-sync's receiver watch (phc-pps-sync/daemon/receiver_watch.hpp, run alone by
tests/tools/receiver-watch-probe) on its own connection to the REAL gpsd 3.22, which reads the
fake LEA-M8T (ubxfake.py, time scale 100) on a pty:

- the test configures the receiver as `nanotime receiver configure` would (CFG-MSG: TIM-TP,
  TIM-SVIN, MON-HW at rate 1; CFG-TMODE2 survey-in, 300 s minimum, 10 m limit), written through
  gpsd; the watch itself never writes (its ?WATCH raw:2 is its only request);
- the watch sees, through gpsd's raw stream: TIM-TP present; the survey active with its
  duration growing and its accuracy shrinking, then fixed mode; the model LEA-M8T (TIM 1.10,
  generation 8) from gpsd's DEVICES reply at once, and from a MON-VER answer (polled by the test
  through gpsd) as it passes by; antenna short and jamming 150 set on the fake appear;
- gpsd stopped: the watch says disconnected (and does not spin); gpsd back: it reconnects by
  itself (back-off 1 s, 2 s, ...) and reports the receiver again;
- gpsd keeps serving a plain JSON client TPVs throughout.
Every wait is bounded; the fake, gpsd and the probe are stopped at the end.
"""

import json
import os
import struct
import subprocess
import sys
import threading
import time

import ubxharness

BIN = os.environ.get("NANOTIME_BIN_DIR", "build/bin")
PROBE = os.path.join(BIN, "receiver-watch-probe")
FAILED = []


def check(ok, what):
    print(("PASS " if ok else "FAIL ") + what, flush=True)
    if not ok:
        FAILED.append(what)


class Probe:
    """The probe's JSON lines, collected by a thread."""

    def __init__(self, port, seconds):
        self.proc = subprocess.Popen([PROBE, "--port", str(port), "--seconds", str(seconds)],
                                     stdout=subprocess.PIPE, text=True)
        self.states = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.states.append(json.loads(line))

    def wait(self, predicate, timeout_s, what):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                hit = next((s for s in self.states if predicate(s)), None)
            if hit is not None:
                return hit
            time.sleep(0.1)
        with self.lock:
            last = self.states[-1] if self.states else None
        print(f"  (waited {timeout_s} s for {what}; last state {last})", flush=True)
        return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def cfg_msg(g, cls, msg_id, rate):
    """UBX-CFG-MSG (06 01), 3-byte form: msgClass, msgID, rate on the current port."""
    ack, _ = g.transact(0x06, 0x01, bytes((cls, msg_id, rate)))
    return ack


def survey_in(g, min_dur_s, acc_limit_m):
    """UBX-CFG-TMODE2 (06 3D, 28 bytes): timeMode 1 = survey-in @0, flags @2, ECEF @4..15,
    fixedPosAcc @16, svinMinDur (s) @20, svinAccLimit (0.1 mm) @24."""
    payload = struct.pack("<BBHiiiIII", 1, 0, 0, 0, 0, 0, 0, min_dur_s, int(acc_limit_m * 1e4))
    ack, _ = g.transact(0x06, 0x3D, payload)
    return ack


def main():
    if not os.access(PROBE, os.X_OK):
        check(False, f"{PROBE} built")
        sys.exit(1)
    with ubxharness.UbxGpsd(personality="m8t", time_scale=100, duration_s=110) as g:
        for name, (cls, msg_id) in (("TIM-TP", (0x0D, 0x01)), ("TIM-SVIN", (0x0D, 0x04)),
                                    ("MON-HW", (0x0A, 0x09))):
            check(cfg_msg(g, cls, msg_id, 1) == "ack", f"CFG-MSG {name} rate 1 ACKed through gpsd")
        probe = Probe(g.port, 80)
        try:
            run(g, probe)
        finally:
            probe.stop()
    if FAILED:
        print(f"FAILED: {len(FAILED)}: {FAILED}")
        sys.exit(1)
    print("PASS: the receiver watch through gpsd 3.22")


def run(g, probe):
    first = probe.wait(lambda s: s["connected"] and s["timtp_present"], 15, "TIM-TP")
    check(first is not None, "watch connected to gpsd, TIM-TP present")
    check(first is not None and first["model"] == "LEA-M8T" and first["firmware"] == "TIM 1.10"
          and first["generation"] == 8,
          "the model from gpsd's DEVICES reply (its own start-up MON-VER probe), before any "
          f"MON-VER passes by: {first and first['model']}")
    check(survey_in(g, 300, 10.0) == "ack", "CFG-TMODE2 survey-in (300 s, 10 m) ACKed")
    active = probe.wait(lambda s: s["mode"] == "survey_in" and s["survey_active"] and
                        s["survey_duration_s"] > 0, 10, "survey active")
    check(active is not None, f"survey-in seen: {active and active['survey_duration_s']} s, "
          f"±{active and active['survey_accuracy_m']} m")
    fixed = probe.wait(lambda s: s["mode"] == "fixed", 15, "fixed mode")
    check(fixed is not None and not fixed["survey_active"] and fixed["survey_duration_s"] >= 300
          and fixed["survey_accuracy_m"] is not None and fixed["survey_accuracy_m"] <= 10
          and active is not None and fixed["survey_accuracy_m"] < active["survey_accuracy_m"],
          f"survey ended: fixed mode after {fixed and fixed['survey_duration_s']} s, "
          f"±{fixed and fixed['survey_accuracy_m']} m (shrinking)")
    ack, ver = g.transact(0x0A, 0x04)   # MON-VER poll, written by the test through gpsd
    check(ver is not None, "MON-VER answered through gpsd")
    model = probe.wait(lambda s: s["model"] == "LEA-M8T", 5, "model")
    check(model is not None and model["generation"] == 8,
          f"the watch names the model from gpsd's raw stream: {model and model['model']} "
          f"{model and model['firmware']} generation {model and model['generation']}")
    check(g.control("antenna short").startswith("ok") and g.control("jamming 150").startswith("ok"),
          "fake: antenna short, jamming 150")
    bad = probe.wait(lambda s: s["antenna"] == "short" and s["jamming_indicator"] == 150, 5,
                     "antenna short, jamming 150")
    check(bad is not None, "antenna short and jamming 150 seen")
    check(len(g.tpv(2)) > 0, "gpsd still serves TPVs to a JSON client")

    g.proc.terminate()
    g.proc.wait(5)
    t_stop = time.monotonic()
    n_before = len(probe.states)
    gone = probe.wait(lambda s: not s["connected"] and probe.states.index(s) >= n_before, 5,
                      "disconnected")
    check(gone is not None, "gpsd stopped: the watch says disconnected")
    time.sleep(3)
    check(len(probe.states) - n_before <= 3, f"no flood of states while gpsd is down "
          f"({len(probe.states) - n_before})")
    g.start_gpsd()
    back = probe.wait(lambda s: s["connected"] and s["timtp_present"] and
                      probe.states.index(s) > n_before, 30, "reconnected")
    check(back is not None, f"gpsd back: the watch reconnected by itself and sees TIM-TP "
          f"({time.monotonic() - t_stop:.1f} s after the stop)")


if __name__ == "__main__":
    main()
