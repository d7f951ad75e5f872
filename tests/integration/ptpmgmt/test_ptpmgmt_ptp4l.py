"""lib/ptpmgmt against the real ptp4l (tests/tools/ptpmgmt-query drives our client).

A grandmaster ptp4l in namespace A (masterOnly, software timestamps, free_running) and a
slave in namespace B, joined by veth. Checked:
  1. GET GRANDMASTER_SETTINGS_NP / TIME_PROPERTIES_DATA_SET / PARENT_DATA_SET / PORT_DATA_SET
     decode to what `pmc` reports (ptp4l's defaults: clockClass 248, timeSource 0xa0).
  2. SET GRANDMASTER_SETTINGS_NP (class 6, accuracy 0x21, utc offset 37, ptpTimescale, UTC
     offset valid, time+frequency traceable, GNSS): ptp4l's answer echoes it; GET and pmc agree;
     TIME_PROPERTIES_DATA_SET and PARENT_DATA_SET follow; the SLAVE in namespace B sees the
     same quality and flags in its own datasets (it came over the wire in Announce messages).
  3. Malformed requests get ptp4l's MANAGEMENT_ERROR_STATUS decoded (WRONG_LENGTH for a SET
     without data, NOT_SUPPORTED for SET TIME_PROPERTIES_DATA_SET, NO_SUCH_ID for an unknown
     id); a truncated dataset or garbage is dropped by ptp4l (our client times out cleanly) and
     ptp4l keeps answering.
  4. A vanished ptp4l is reported as not reachable: socket file left by SIGKILL (ECONNREFUSED)
     and socket file gone (ENOENT), both promptly (no waiting for the timeout).
  5. A restarted ptp4l has forgotten the settings (clockClass 248): one SET restores them.
  6. GmSettingsPublisher (`ptpmgmt-query keep`, the daemon's loop in miniature) puts them back
     within 10 s after ptp4l restarts, both right away (unnoticed) and after a 6 s outage.
Exit status non-zero on failure; namespaces, processes and temp dirs are removed in any case.
"""

import json
import os
import subprocess
import sys
import time

from netnsharness import HarnessError, NetnsPair, SLAVE_STATES

BIN_DIR = os.environ.get("NANOTIME_BIN_DIR", "")
QUERY = os.path.join(BIN_DIR, "ptpmgmt-query")

GM_CONF = ["[global]", "masterOnly 1", "time_stamping software", "free_running 1",
           "network_transport UDPv4", "logAnnounceInterval 0", "announceReceiptTimeout 2",
           "logSyncInterval 0"]
SLAVE_CONF = ["[global]", "slaveOnly 1", "time_stamping software", "free_running 1",
              "network_transport UDPv4", "logAnnounceInterval 0", "announceReceiptTimeout 2",
              "logSyncInterval 0"]

WANTED = {"clock_class": 6, "clock_accuracy": 0x21, "offset_scaled_log_variance": 0x4e5d,
          "utc_offset": 37, "time_flags": 0x3c, "time_source": 0x20}
# 0x3c = UTC_OFF_VALID 0x04 | PTP_TIMESCALE 0x08 | TIME_TRACEABLE 0x10 | FREQ_TRACEABLE 0x20

checks = []


def check(cond, what):
    checks.append(what)
    if not cond:
        raise AssertionError(f"FAILED: {what}")
    print(f"ok: {what}", flush=True)


def query(net, ptp, *args, timeout_ms=1000, expect_rc=None):
    """Run ptpmgmt-query in the ptp4l's namespace (our client binds an abstract socket, which
    is per network namespace, so it must run where ptp4l runs). Returns (rc, json, seconds)."""
    argv = net.exec_argv(ptp.ns, [QUERY, "-s", ptp.uds, "-t", str(timeout_ms), *args])
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    dt = time.monotonic() - t0
    try:
        out = json.loads(r.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"ptpmgmt-query {' '.join(args)}: rc {r.returncode}, not JSON: "
                             f"{r.stdout!r} {r.stderr!r}")
    if expect_rc is not None and r.returncode != expect_rc:
        raise AssertionError(f"ptpmgmt-query {' '.join(args)}: rc {r.returncode} "
                             f"(expected {expect_rc}): {out}")
    return r.returncode, out, dt


def ok_value(net, ptp, *args):
    return query(net, ptp, *args, expect_rc=0)[1]["value"]


def set_wanted(net, ptp):
    return ok_value(net, ptp, "set-gm", "--class", str(WANTED["clock_class"]),
                    "--accuracy", str(WANTED["clock_accuracy"]),
                    "--oslv", str(WANTED["offset_scaled_log_variance"]),
                    "--utc-offset", str(WANTED["utc_offset"]),
                    "--flags", str(WANTED["time_flags"]),
                    "--time-source", str(WANTED["time_source"]))


def wait_until(fn, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what} (last: {last})")


def main():
    if not os.access(QUERY, os.X_OK):
        raise HarnessError(f"{QUERY} not built (NANOTIME_BIN_DIR={BIN_DIR!r})")
    with NetnsPair("ptpmgmt") as net:
        gm = net.ptp4l(net.ns_a, GM_CONF, name="gm")
        slave = net.ptp4l(net.ns_b, SLAVE_CONF, name="slave")
        gm.wait_for(lambda p: os.path.exists(p.uds), 10, "gm uds socket")

        # 1. defaults, decoded by us and by pmc
        gs = ok_value(net, gm, "get-gm")
        pmc_gs = gm.get("GRANDMASTER_SETTINGS_NP")
        check(gs["clock_class"] == 248 == pmc_gs["clockClass"], "default clockClass 248")
        check(gs["time_source"] == 0xa0 == pmc_gs["timeSource"], "default timeSource 0xa0")
        check(gs["offset_scaled_log_variance"] == pmc_gs["offsetScaledLogVariance"],
              "offsetScaledLogVariance decoded like pmc")
        tp = ok_value(net, gm, "get-tp")
        check(tp["current_utc_offset"] == gm.time_properties()["currentUtcOffset"],
              "currentUtcOffset decoded like pmc")
        parent = ok_value(net, gm, "get-parent")
        pmc_parent = gm.parent_data_set()
        check(parent["grandmaster_identity"] == pmc_parent["grandmasterIdentity"],
              f"grandmasterIdentity {parent['grandmaster_identity']} like pmc")
        check(parent["grandmaster_priority1"] == pmc_parent["grandmasterPriority1"],
              "grandmasterPriority1 like pmc")
        gm.wait_for_port_state("MASTER", 30)
        ports = ok_value(net, gm, "get-ports")
        check(len(ports) == 1 and ports[0]["port_state"] == "MASTER",
              f"PORT_DATA_SET: one port, MASTER ({ports})")
        check(ports[0]["port_identity"] == gm.port_data_set()["portIdentity"],
              "portIdentity like pmc")

        # 2. SET and read back
        echoed = set_wanted(net, gm)
        check(echoed == WANTED, f"SET answer echoes the settings ({echoed})")
        check(ok_value(net, gm, "get-gm") == WANTED, "GET GRANDMASTER_SETTINGS_NP returns them")
        pmc_gs = gm.get("GRANDMASTER_SETTINGS_NP")
        check((pmc_gs["clockClass"], pmc_gs["clockAccuracy"], pmc_gs["offsetScaledLogVariance"],
               pmc_gs["currentUtcOffset"], pmc_gs["currentUtcOffsetValid"],
               pmc_gs["ptpTimescale"], pmc_gs["timeTraceable"], pmc_gs["frequencyTraceable"],
               pmc_gs["leap61"], pmc_gs["leap59"], pmc_gs["timeSource"])
              == (6, 0x21, 0x4e5d, 37, 1, 1, 1, 1, 0, 0, 0x20),
              f"pmc sees the same GRANDMASTER_SETTINGS_NP ({pmc_gs})")
        tp = wait_until(lambda: (lambda v: v if v["flags"] == 0x3c else None)(
            ok_value(net, gm, "get-tp")), 15, "TIME_PROPERTIES flags 0x3c")
        check(tp == {"current_utc_offset": 37, "flags": 0x3c, "time_source": 0x20},
              f"TIME_PROPERTIES_DATA_SET follows ({tp})")
        pmc_tp = gm.time_properties()
        check((pmc_tp["currentUtcOffset"], pmc_tp["currentUtcOffsetValid"],
               pmc_tp["ptpTimescale"], pmc_tp["timeTraceable"], pmc_tp["frequencyTraceable"],
               pmc_tp["timeSource"]) == (37, 1, 1, 1, 1, 0x20),
              f"pmc GET TIME_PROPERTIES_DATA_SET agrees ({pmc_tp})")
        parent = ok_value(net, gm, "get-parent")
        check((parent["clock_class"], parent["clock_accuracy"]) == (6, 0x21),
              "PARENT_DATA_SET grandmasterClockQuality follows")

        # ... and it went out on the wire: the slave's view
        slave.wait_for_port_state(SLAVE_STATES, 30)
        sp = slave.wait_for(lambda p: (lambda d: d if d["grandmasterClockClass"] == 6 else None)(
            p.parent_data_set()), 15, "slave sees clockClass 6")
        check(sp["grandmasterIdentity"] == parent["grandmaster_identity"]
              and sp["grandmasterClockAccuracy"] == 0x21,
              "slave's PARENT_DATA_SET: our grandmaster, class 6, accuracy 0x21")
        stp = slave.wait_for(lambda p: (lambda d: d if d["timeTraceable"] == 1 else None)(
            p.time_properties()), 15, "slave sees timeTraceable")
        check((stp["currentUtcOffset"], stp["currentUtcOffsetValid"], stp["ptpTimescale"],
               stp["frequencyTraceable"], stp["timeSource"]) == (37, 1, 1, 1, 0x20),
              f"slave's TIME_PROPERTIES_DATA_SET ({stp})")
        # our client on the slave's socket too
        stp_ours = ok_value(net, slave, "get-tp")
        check(stp_ours == {"current_utc_offset": 37, "flags": 0x3c, "time_source": 0x20},
              "our client reads the slave's TIME_PROPERTIES_DATA_SET")

        # 3. malformed requests
        rc, out, _ = query(net, gm, "raw", "--action", "1", "--id", "0xc001")
        check(rc == 4 and out["value"]["error"] == "WRONG_LENGTH",
              f"SET GRANDMASTER_SETTINGS_NP without data → WRONG_LENGTH ({out})")
        rc, out, _ = query(net, gm, "raw", "--action", "1", "--id", "0x2003", "--data", "00250000")
        check(rc == 4 and out["value"]["error"] == "NOT_SUPPORTED",
              f"SET TIME_PROPERTIES_DATA_SET → NOT_SUPPORTED ({out})")
        rc, out, _ = query(net, gm, "raw", "--action", "0", "--id", "0x7777")
        check(rc == 4 and out["value"]["error"] == "NO_SUCH_ID",
              f"GET of an unknown id → NO_SUCH_ID ({out})")
        rc, out, dt = query(net, gm, "raw", "--action", "1", "--id", "0xc001", "--data", "0621",
                            timeout_ms=500)
        check(rc == 3 and out["status"] == "timeout" and dt < 5,
              f"truncated dataset: ptp4l drops it, client times out in bounded time ({out})")
        rc, out, _ = query(net, gm, "bytes", "--hex", "0d02ffff" + "00" * 8)
        check(rc == 0, "garbage datagram sent")
        check(ok_value(net, gm, "get-gm") == WANTED and gm.running(),
              "ptp4l still answers, settings intact")

        # 4. vanished ptp4l
        gm.process.proc.kill()
        gm.process.wait(5)
        check(os.path.exists(gm.uds), "SIGKILLed ptp4l leaves its socket file")
        rc, out, dt = query(net, gm, "get-gm", timeout_ms=3000)
        check(rc == 2 and out["status"] == "not_reachable" and "not reachable" in out["message"]
              and dt < 2, f"stale socket → not reachable at once ({out['message']}, {dt:.2f} s)")
        os.unlink(gm.uds)
        rc, out, dt = query(net, gm, "get-gm", timeout_ms=3000)
        check(rc == 2 and "No such file" in out["message"] and dt < 2,
              f"no socket → not reachable ({out['message']})")

        # 5. restarted ptp4l forgets; one SET restores
        gm.start()
        gm.wait_for(lambda p: os.path.exists(p.uds), 10, "restarted gm uds socket")
        gs = ok_value(net, gm, "get-gm")
        check(gs["clock_class"] == 248, "restarted ptp4l is back to clockClass 248")
        check(set_wanted(net, gm) == WANTED, "one SET restores the settings")

        # 6. the publisher keeps them across restarts
        keeper = net.popen(gm.ns, [QUERY, "-s", gm.uds, "keep", "--seconds", "60",
                                   "--class", "7", "--accuracy", "0x22", "--oslv", "0x4e5d",
                                   "--utc-offset", "37", "--flags", "0x3c",
                                   "--time-source", "0x20"], name="keeper")
        class_is = lambda c: (lambda: ok_value(net, gm, "get-gm")["clock_class"] == c)
        wait_until(class_is(7), 5, "publisher sets clockClass 7")
        check(True, "publisher set clockClass 7 within 5 s")
        for outage_s in (0, 6):
            gm.process.proc.kill()
            gm.process.wait(5)
            os.unlink(gm.uds)
            time.sleep(outage_s)
            gm.start()
            gm.wait_for(lambda p: os.path.exists(p.uds), 10, "restarted gm uds socket")
            back = time.monotonic()
            wait_until(class_is(7), 12, f"publisher restores clockClass 7 (outage {outage_s} s)")
            took = time.monotonic() - back
            check(took <= 10, f"outage {outage_s} s: restored {took:.1f} s after ptp4l came back")
            check(keeper.running(), "publisher still running")
        keeper.stop()
        log = keeper.log_text()
        check("cannot tell ptp4l" in log and "answers again" in log,
              "publisher logged the outage and the recovery")
    print(f"{len(checks)} passed, 0 failed", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (AssertionError, HarnessError) as e:
        print(e, flush=True)
        print(f"{len(checks)} passed, 1 failed", flush=True)
        sys.exit(1)
