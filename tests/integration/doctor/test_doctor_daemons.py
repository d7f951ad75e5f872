"""nanotime-doctor against the REAL daemons (no fixtures for these checks).

Proves:
  chrony  a private chronyd 4.3 -x with `refclock SOCK ... refid PHC0`, fed at 8 Hz (chrony 4.3 wants >= 4 SOCK samples per poll) by the
          refclock-feed tool: the chrony check turns OK (PHC0 '*', reach 377); after the feed
          stops it turns WARN/FAIL, and FAIL once chronyd no longer selects PHC0.
  ptp4l   ptp4l 3.1.1 with the shipped gm-cm4-cm5.cfg (software timestamps, in a network
          namespace): MASTER announcing 248 -> ptp4l FAIL; after SET GRANDMASTER_SETTINGS_NP
          clockClass 6 (what phc-pps-sync does once locked) -> OK.
  gpsd    gpsd 3.22 reading the test receiver on a pty: a 3D fix but no PPS (a pty has no
          /dev/pps) -> WARN; the receiver loses its fix -> FAIL "no fix".
Every wait is bounded; chronyd, ptp4l, gpsd, the feeder and the namespaces are cleaned up.
"""

import os
import subprocess
import time

from chronyharness import Chronyd, die_with_parent
from doctorhelpers import BIN, SOURCE, check, run_doctor, verdicts
from gpsdharness import Gpsd
from netnsharness import NetnsPair, SLAVE_STATES, read_config_lines, software_variant

EMPTY_ROOT = "/nonexistent-nanotime-root"  # no nanotime.toml: the defaults and the flags count


def doctor_until(args, predicate, timeout_s, what):
    """Run the doctor (--json) until predicate(verdicts, doc) holds; bounded."""
    deadline = time.monotonic() + timeout_s
    while True:
        r = run_doctor("--root", EMPTY_ROOT, "--json", *args)
        got, doc = verdicts(r)
        if predicate(got, doc):
            return got, doc
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}: {doc}")
        time.sleep(1)


def message(doc, name):
    return next(c["message"] for c in doc["checks"] if c["check"] == name)


def chrony():
    feeder = os.path.join(BIN, "refclock-feed")
    check(os.access(feeder, os.X_OK), f"{feeder} is built")
    with Chronyd(["refclock SOCK {dir}/phc0.sock refid PHC0 poll 0 precision 1e-7 prefer trust"],
                 name="chronyd-doctor") as c:
        args = ["--check", "chrony", "--chrony-socket", c.sock_path]
        feed = subprocess.Popen([feeder, "sock", "--path", f"{c.dir}/phc0.sock", "--mode", "time",
                                 "--offset-ns", "250", "--rate-hz", "8", "--duration-s", "120"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                preexec_fn=die_with_parent)
        try:
            got, doc = doctor_until(args, lambda g, d: g["chrony"] == "OK", 60,
                                    "chrony OK (PHC0 selected, reach 377)")
            check(message(doc, "chrony").startswith("PHC0 selected, reach 377"),
                  f"real chronyd, PHC0 fed: {message(doc, 'chrony')}")
        finally:
            feed.terminate()
            feed.wait(timeout=5)
        got, doc = doctor_until(args, lambda g, d: g["chrony"] != "OK", 30, "chrony not OK")
        check(got["chrony"] in ("WARN", "FAIL"), f"feed stopped: {got['chrony']}: "
                                                f"{message(doc, 'chrony')}")
        got, doc = doctor_until(args, lambda g, d: g["chrony"] == "FAIL", 90, "chrony FAIL")
        check("PHC0 not selected" in message(doc, "chrony"),
              f"feed stopped long enough: FAIL {message(doc, 'chrony')}")
    r = run_doctor("--root", EMPTY_ROOT, "--json", "--check", "chrony", "--chrony-socket",
                   "/nonexistent/chronyd.sock")
    got, doc = verdicts(r)
    check(got["chrony"] == "FAIL" and "chronyd does not answer" in message(doc, "chrony"),
          f"no chronyd: {message(doc, 'chrony')}")


def ptp4l():
    cfg = software_variant(read_config_lines(os.path.join(SOURCE, "ptp4l-configs",
                                                          "gm-cm4-cm5.cfg")))
    with NetnsPair("doctor") as net:
        gm = net.ptp4l(net.ns_a, cfg, name="gm")
        client = net.ptp4l(net.ns_b, ["[global]", "slaveOnly 1", "time_stamping software",
                                      "free_running 1"], name="client")
        gm.wait_for_port_state("MASTER", 30)
        client.wait_for_port_state(SLAVE_STATES, 30)
        args = ["--check", "ptp4l", "--ptp4l-socket", gm.uds, "--ptp4l-domain", "0",
                "--status", "http://127.0.0.1:9/status"]  # no phc-pps-sync here
        got, doc = doctor_until(args, lambda g, d: "MASTER" in message(d, "ptp4l"), 20,
                                "ptp4l MASTER seen")
        check(got["ptp4l"] == "FAIL" and message(doc, "ptp4l") ==
              "port MASTER, announcing clockClass 248", f"real ptp4l at start: {doc['checks']}")
        gm.pmc("SET GRANDMASTER_SETTINGS_NP clockClass 6 clockAccuracy 0x21 "
               "offsetScaledLogVariance 0x4e5d currentUtcOffset 37 leap61 0 leap59 0 "
               "currentUtcOffsetValid 1 ptpTimescale 1 timeTraceable 1 frequencyTraceable 1 "
               "timeSource 0x20")
        got, doc = doctor_until(args, lambda g, d: g["ptp4l"] == "OK", 20, "ptp4l OK")
        check(message(doc, "ptp4l") == "port MASTER, announcing clockClass 6",
              "after SET clockClass 6: OK")
        # What the client sees confirms the doctor read the same thing ptp4l announces.
        deadline = time.monotonic() + 15  # the next Announce (every 2 s) carries it
        while (parent := client.parent_data_set())["grandmasterClockClass"] != 6 \
                and time.monotonic() < deadline:
            time.sleep(0.5)
        check(parent["grandmasterClockClass"] == 6, f"the client sees clockClass 6: {parent}")


def gpsd():
    with Gpsd() as g:
        args = ["--check", "gpsd", "--gpsd", f"127.0.0.1:{g.port}", "--gpsd-seconds", "4"]
        got, doc = doctor_until(args, lambda gv, d: gv["gpsd"] == "WARN", 30, "gpsd WARN")
        check(message(doc, "gpsd").startswith("3D fix, but no PPS report"),
              f"real gpsd on a pty: {message(doc, 'gpsd')}")
        g.set_fix(False)
        got, doc = doctor_until(args, lambda gv, d: gv["gpsd"] == "FAIL", 30, "gpsd FAIL")
        check(message(doc, "gpsd") == "no fix (TPV mode 1)", f"no fix: {message(doc, 'gpsd')}")
        port = g.port
    r = run_doctor("--root", EMPTY_ROOT, "--json", "--check", "gpsd", "--gpsd", f"127.0.0.1:{port}")
    got, doc = verdicts(r)
    check(got["gpsd"] == "FAIL" and "gpsd not reachable" in message(doc, "gpsd"),
          f"gpsd stopped: {message(doc, 'gpsd')}")


def main():
    chrony()
    ptp4l()
    gpsd()
    print("PASS: nanotime-doctor against real chronyd, ptp4l and gpsd")


if __name__ == "__main__":
    main()
