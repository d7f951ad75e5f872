"""chrony-confs/nanotime.conf is accepted by the real chronyd (4.3) and does what its comments say.

1. `chronyd -p` (print the parsed config, exit) on a chrony.conf whose `confdir` holds only the
   drop-in: exit 0, the three SOCK refclocks printed with the daemons' default socket paths
   (/run/chrony.phc0.sock, /run/chrony.pps.sock, /run/chrony.gps.sock) and refids.
2. The same with Debian's own /etc/chrony/chrony.conf (confdir pointed at a copy of the
   drop-in): the drop-in does not clash with the distribution's config.
3. A real `chronyd -x` (chronyharness) with every line of the drop-in, socket paths moved to a
   private dir, fed SOCK samples like the daemons send them (pulse=0, 1 Hz):
     phase 1, PHC0 silent (phc-pps-sync not locked): PPS (+5 us) becomes the reference '*'
              (the fallback), GPS (+2 ms) is never selected (noselect, 'N');
     phase 2, PHC0 (0) delivers: PHC0 '*' (prefer + trust), PPS demoted to 'T' (a cross-check
              outside the trusted source's interval), its offset still shown;
   tracking says PHC0 at stratum 1, and chronyd's log has no error.
"""

import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

import chronyharness as ch

SOURCE_DIR = os.environ.get("NANOTIME_SOURCE_DIR",
                            os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DROPIN = os.path.join(SOURCE_DIR, "chrony-confs", "nanotime.conf")
DEBIAN_CONF = "/etc/chrony/chrony.conf"

# refid -> socket path the daemons use by default (phc-pps-sync, gps-sock-bridge).
SOCKETS = {
    "PHC0": "/run/chrony.phc0.sock",
    "PPS": "/run/chrony.pps.sock",
    "GPS": "/run/chrony.gps.sock",
}
SOCK_MAGIC = 0x534F434B

checks = []


def check(cond, what):
    checks.append(what)
    if not cond:
        raise AssertionError(what)
    print(f"  ok: {what}", flush=True)


def directive_lines(path):
    """The drop-in's directives (comments and blank lines removed)."""
    with open(path) as f:
        return [l.strip() for l in f if l.strip() and not l.lstrip().startswith("#")]


def chronyd_print(conf_text, workdir):
    conf = os.path.join(workdir, "print.conf")
    with open(conf, "w") as f:
        f.write(conf_text)
    r = subprocess.run([ch.require_tool(ch.CHRONYD), "-p", "-f", conf], capture_output=True,
                       text=True, timeout=20)
    return r


def test_print(workdir):
    confdir = os.path.join(workdir, "conf.d")
    os.mkdir(confdir)
    shutil.copy(DROPIN, os.path.join(confdir, "nanotime.conf"))
    r = chronyd_print(f"confdir {confdir}\nport 0\ncmdport 0\n", workdir)
    check(r.returncode == 0, f"chronyd -p accepts the drop-in (exit {r.returncode}) {r.stderr}")
    printed = r.stdout.splitlines()
    for refid, path in SOCKETS.items():
        line = next((l for l in printed if l.startswith("refclock SOCK") and
                     f" refid {refid} " in l + " "), None)
        check(line is not None, f"chronyd -p prints refclock {refid}")
        check(line.split()[2] == path, f"{refid} socket is {path}")
    phc0 = next(l for l in printed if " refid PHC0 " in l)
    check(" prefer" in phc0 and " trust" in phc0, "PHC0 is prefer + trust")
    gps = next(l for l in printed if " refid GPS " in l + " ")
    check(" noselect" in gps, "GPS is noselect")
    check("leapsectz right/UTC" in printed, "leapsectz right/UTC")
    check(not any(re.match(r"(hwtimestamp|local|allow)\b", l) for l in printed),
          "no hwtimestamp, no local stratum, no open allow")

    check(os.path.exists(DEBIAN_CONF), f"{DEBIAN_CONF} exists (package chrony)")
    with open(DEBIAN_CONF) as f:
        debian = f.read()
    check(re.search(r"^confdir\s", debian, re.M) is not None, "Debian's chrony.conf has confdir")
    debian = re.sub(r"^confdir\s+\S+", f"confdir {confdir}", debian, flags=re.M)
    r = chronyd_print(debian, workdir)
    check(r.returncode == 0,
          f"Debian's chrony.conf + drop-in parse together (exit {r.returncode}) {r.stderr}")
    check(sum(l.startswith("refclock SOCK") for l in r.stdout.splitlines()) == 3,
          "Debian's chrony.conf + drop-in: the 3 refclocks are there")


def sock_sample(offset_s):
    """chrony 4.3 struct sock_sample, native layout (40 bytes on 64-bit, 32 on armhf)."""
    now = time.time()
    sec = int(now)
    usec = int((now - sec) * 1e6)
    return struct.pack("@lldiiii", sec, usec, offset_s, 0, 0, 0, SOCK_MAGIC)


def selectdata(c):
    """`chronyc -c selectdata` -> {name: state letter} ('*' selected, 'T' not inside the trusted
    source's interval, 'N' noselect, 'M' missing samples, ...)."""
    return {row[1]: row[0] for row in c.chronyc_csv("selectdata")}


def test_run():
    lines = []
    for l in directive_lines(DROPIN):
        for path in SOCKETS.values():
            l = l.replace(path, "{dir}/" + os.path.basename(path))
        lines.append(l)
    check(sum("{dir}" in l for l in lines) == 3, "3 socket paths moved to the private dir")
    offsets = {"PHC0": 0.0, "PPS": 5e-6, "GPS": 2e-3}
    with ch.Chronyd(lines, name="chronyd-dropin") as c:
        names = {s["name"] for s in c.sources()}
        check(names == set(SOCKETS), f"chronyd runs with the drop-in's refclocks: {sorted(names)}")
        socks = {}
        gps_states = set()
        try:
            for refid, path in SOCKETS.items():
                s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                s.connect(os.path.join(c.dir, os.path.basename(path)))
                socks[refid] = s

            def feeder(refids, done):
                def step():
                    for refid in refids:
                        socks[refid].send(sock_sample(offsets[refid]))
                    sel = selectdata(c)
                    gps_states.add(sel["GPS"])
                    return sel if done(sel) else None
                return step

            # Phase 1: phc-pps-sync silent (not locked yet): the PPS cross-check is the fallback.
            sel = c.wait_for(feeder(["PPS", "GPS"], lambda sel: sel["PPS"] == "*"), 60,
                             "PPS selected while PHC0 is silent", interval_s=1.0)
            check(sel["PPS"] == "*", "PHC0 silent: PPS is the fallback (*)")
            check(c.tracking()["ref_name"] == "PPS", "tracking: PPS while PHC0 is silent")
            # Phase 2: PHC0 arrives: prefer + trust make it the only reference.
            sel = c.wait_for(feeder(["PHC0", "PPS", "GPS"],
                                    lambda sel: sel["PHC0"] == "*" and sel["PPS"] == "T"), 90,
                             "PHC0 selected over PPS", interval_s=1.0)
        finally:
            for s in socks.values():
                s.close()
        print(c.chronyc("sources"), c.chronyc("selectdata"), flush=True)
        check(sel["PHC0"] == "*", "PHC0 selected (*) as soon as it delivers")
        check(sel["PPS"] == "T", "PPS (5 us off) kept as a cross-check: 'T' (outside trusted PHC0)")
        check(sel["GPS"] == "N" and not gps_states & set("*+-"),
              f"GPS never selectable: noselect 'N' (states seen {sorted(gps_states)}; "
              "'M' = no samples yet)")
        t = c.tracking()
        check(t["ref_name"] == "PHC0" and t["stratum"] == 1, "tracking: PHC0, stratum 1")
        src = {x["name"]: x for x in c.sources()}
        check(abs(src["PPS"]["offset_s"] + 5e-6) < 1e-6 and abs(src["GPS"]["offset_s"] + 2e-3) < 1e-4,
              "the cross-checks' offsets are visible in `chronyc sources` (-5 us, -2 ms)")
        log = open(c.log_path, errors="replace").read()
        bad = [l for l in log.splitlines() if re.search(r"(?i)error|fatal|invalid|could not", l)]
        check(not bad, f"no errors in chronyd's log {bad}")


def main():
    workdir = tempfile.mkdtemp(prefix="nanotime-chronyconf-")
    try:
        print("chronyd -p:", flush=True)
        test_print(workdir)
        print("chronyd -x with the drop-in:", flush=True)
        test_run()
    except AssertionError as e:
        print(f"FAIL: {e}", flush=True)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"PASS: {len(checks)} checks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
