"""chrony-confs/nanotime.conf is accepted by the real chronyd (4.3) and does what its comments say.

1. `chronyd -p` (print the parsed config, exit) on a chrony.conf whose `confdir` holds only the
   drop-in: exit 0, the three SOCK refclocks printed with the daemons' default socket paths
   (/run/chrony.phc0.sock, /run/chrony.pps.sock, /run/chrony.gps.sock) and refids.
2. The same with Debian's own /etc/chrony/chrony.conf (confdir pointed at a copy of the
   drop-in): the drop-in does not clash with the distribution's config.
3. A real `chronyd -x` (chronyharness) with every line of the drop-in, socket paths moved to a
   private dir, fed SOCK samples like the daemons send them (pulse=0, 1 Hz):
     PHC0 (offset 0)      -> selected '*'          (prefer, trust, poll 0 work)
     PPS  (offset +5 us)  -> '-' not 'x'           (delay 1e-4 keeps GPIO latency from
                                                     making it a falseticker; not combined)
     GPS  (offset +2 ms)  -> never selected         (noselect)
   and no error in chronyd's log.
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
        try:
            for refid, path in SOCKETS.items():
                s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
                s.connect(os.path.join(c.dir, os.path.basename(path)))
                socks[refid] = s

            seen_gps_selected = []

            def feed_and_check():
                for refid, s in socks.items():
                    s.send(sock_sample(offsets[refid]))
                src = {x["name"]: x for x in c.sources()}
                if src["GPS"]["state"] in "*+":
                    seen_gps_selected.append(src["GPS"]["state"])
                ok = (src["PHC0"]["state"] == "*" and src["PPS"]["reach"] > 0
                      and src["PPS"]["state"] == "-" and src["GPS"]["reach"] > 0)
                return src if ok else None

            src = c.wait_for(feed_and_check, 60, "PHC0 selected, PPS and GPS reached",
                             interval_s=1.0)
        finally:
            for s in socks.values():
                s.close()
        print(c.chronyc("sources"), flush=True)
        check(src["PHC0"]["state"] == "*", "PHC0 selected (*)")
        check(src["PPS"]["state"] == "-", "PPS 5 us off: '-' (agrees, not combined), not 'x'")
        check(not seen_gps_selected and src["GPS"]["state"] not in "*+",
              f"GPS (noselect) never selected (state {src['GPS']['state']!r})")
        t = c.tracking()
        check(t["ref_name"] == "PHC0" and t["stratum"] == 1, "tracking: PHC0, stratum 1")
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
