"""The systemd units are valid for systemd 252 (Debian 12) and as hardened as promised.

1. `systemd-analyze security --offline=true <unit>` for systemd/phc-pps-sync.service and
   systemd/gps-sock-bridge.service: the "Overall exposure level" is <= 2.0 (printed).
2. `systemd-analyze verify` of both units and of Debian's ptp4l@eth0.service with nanotime's
   drop-in (ptp4l-configs/ptp4l@.service.d/nanotime.conf) prints nothing and exits 0.
   Nothing is installed: verify runs with --root=<temp dir> holding a copy of the host's
   /lib/systemd/system (for sysinit.target, Debian's ptp4l@.service, gpsd.service, ...), our
   units in etc/systemd/system, and stub executables for /usr/sbin/phc-pps-sync,
   gps-sock-bridge and ptp4l (verify checks that ExecStart= programs exist, inside the root).
   --man=no: the Documentation= man pages are not looked up (they are not installed either).
   The same check is shown to catch errors: a copy with an unknown key must be reported.
3. Static promises that the score alone does not show: Type=notify, WatchdogSec, Restart and
   RestartPreventExitStatus=78, ExecStart with -c /etc/nanotime/nanotime.toml, no capabilities,
   uid 0, DeviceAllow=char-ptp only for phc-pps-sync, and the ptp4l drop-in resets ExecStart=
   and orders ptp4l after phc-pps-sync.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

SOURCE_DIR = os.environ.get("NANOTIME_SOURCE_DIR",
                            os.path.join(os.path.dirname(__file__), "..", "..", ".."))
UNIT_DIR = os.path.join(SOURCE_DIR, "systemd")
DROPIN_DIR = os.path.join(SOURCE_DIR, "ptp4l-configs", "ptp4l@.service.d")
DAEMON_UNITS = ["phc-pps-sync.service", "gps-sock-bridge.service"]
MAX_EXPOSURE = 2.0
HOST_UNITS = "/lib/systemd/system"

checks = []


def check(cond, what):
    checks.append(what)
    if not cond:
        raise AssertionError(what)
    print(f"  ok: {what}", flush=True)


def analyze():
    path = shutil.which("systemd-analyze")
    if not path:
        raise AssertionError("systemd-analyze is not installed (apt install systemd): "
                             "the test cannot run")
    return path


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, **kw)


def unit_settings(path):
    """{key: [values in order]} over all sections (enough for these flat units)."""
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;[":
                continue
            key, _, value = line.partition("=")
            out.setdefault(key.strip(), []).append(value.strip())
    return out


def test_security(unit):
    r = run([analyze(), "security", "--offline=true", os.path.join(UNIT_DIR, unit)],
            env=dict(os.environ, SYSTEMD_COLORS="0", SYSTEMD_UTF8="0"))
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", r.stdout)
    check(m is not None, f"{unit}: security report has an overall exposure "
                         f"(exit {r.returncode}) {r.stderr.strip()}")
    exposure = float(m.group(1))
    print(f"  {unit}: overall exposure level {exposure}", flush=True)
    bad = [l.strip() for l in r.stdout.splitlines() if l.startswith(("-", "✗"))]
    print("    remaining exposure items:\n      " + "\n      ".join(bad), flush=True)
    check(exposure <= MAX_EXPOSURE, f"{unit}: exposure {exposure} <= {MAX_EXPOSURE}")
    return exposure


def make_root(units_from):
    """A throw-away root for `systemd-analyze verify --root`: see the module docstring."""
    check(os.path.isdir(HOST_UNITS), f"{HOST_UNITS} exists (systemd's own units)")
    root = tempfile.mkdtemp(prefix="nanotime-verify-")
    for d in ("usr/sbin", "usr/bin", "usr/lib/systemd", "etc/systemd/system"):
        os.makedirs(os.path.join(root, d))
    for link, target in (("bin", "usr/bin"), ("sbin", "usr/sbin"), ("lib", "usr/lib")):
        os.symlink(target, os.path.join(root, link))
    shutil.copytree(HOST_UNITS, os.path.join(root, "usr/lib/systemd/system"), symlinks=True)
    for prog in ("phc-pps-sync", "gps-sock-bridge", "ptp4l"):
        stub = os.path.join(root, "usr/sbin", prog)
        with open(stub, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(stub, 0o755)
    shutil.copy(shutil.which("kill") or "/usr/bin/kill", os.path.join(root, "usr/bin/kill"))
    etc = os.path.join(root, "etc/systemd/system")
    for unit in DAEMON_UNITS:
        shutil.copy(os.path.join(units_from, unit), etc)
    shutil.copytree(DROPIN_DIR, os.path.join(etc, "ptp4l@.service.d"))
    return root


def verify(root):
    r = run([analyze(), "verify", "--man=no", f"--root={root}", *DAEMON_UNITS,
             "ptp4l@eth0.service"], env=dict(os.environ, SYSTEMD_COLORS="0"))
    return r.returncode, (r.stdout + r.stderr).strip()


def test_verify():
    check(os.path.exists(os.path.join(HOST_UNITS, "ptp4l@.service")),
          "Debian's ptp4l@.service is installed (package linuxptp)")
    root = make_root(UNIT_DIR)
    try:
        rc, out = verify(root)
        check(rc == 0 and out == "", f"systemd-analyze verify: clean (exit {rc}) {out}")
        # The same verify must notice a broken unit and a broken drop-in.
        with open(os.path.join(root, "etc/systemd/system/gps-sock-bridge.service"), "a") as f:
            f.write("\n[Service]\nNanotimeBogusKey=1\n")
        with open(os.path.join(root, "etc/systemd/system/ptp4l@.service.d/nanotime.conf"),
                  "a") as f:
            f.write("\n[Service]\nNanotimeBogusDropinKey=1\n")
        os.unlink(os.path.join(root, "usr/sbin/phc-pps-sync"))
        rc, out = verify(root)
        check("NanotimeBogusKey" in out and "NanotimeBogusDropinKey" in out
              and "/usr/sbin/phc-pps-sync" in out,
              "verify in the temp root does read our units, the drop-in and the ExecStart paths")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_static():
    for unit in DAEMON_UNITS:
        s = unit_settings(os.path.join(UNIT_DIR, unit))
        name = unit.split(".")[0]
        check(s.get("Type") == ["notify"], f"{unit}: Type=notify")
        check(s.get("WatchdogSec") == ["30"], f"{unit}: WatchdogSec=30")
        check(s.get("Restart") == ["on-failure"], f"{unit}: Restart=on-failure")
        check(s.get("RestartPreventExitStatus") == ["78"], f"{unit}: no restart on EX_CONFIG")
        check(s.get("ExecStart") == [f"/usr/sbin/{name} -c /etc/nanotime/nanotime.toml"],
              f"{unit}: ExecStart with -c /etc/nanotime/nanotime.toml")
        check(s.get("ExecReload") == ["/bin/kill -HUP $MAINPID"], f"{unit}: reload = SIGHUP")
        check(s.get("User") == ["root"], f"{unit}: uid 0 (root-owned chrony sockets)")
        check(s.get("CapabilityBoundingSet") == [""] and s.get("AmbientCapabilities") == [""],
              f"{unit}: no capabilities")
        check(s.get("NoNewPrivileges") == ["yes"], f"{unit}: NoNewPrivileges")
        check(s.get("ProtectSystem") == ["strict"], f"{unit}: ProtectSystem=strict")
        check("ReadWritePaths" not in s, f"{unit}: nothing writable but /run/nanotime")
        check(s.get("RuntimeDirectory") == ["nanotime"] and
              s.get("RuntimeDirectoryPreserve") == ["yes"], f"{unit}: shared /run/nanotime")
        check(s.get("DevicePolicy") == ["closed"], f"{unit}: DevicePolicy=closed")
    pps = unit_settings(os.path.join(UNIT_DIR, "phc-pps-sync.service"))
    check(pps.get("DeviceAllow") == ["char-ptp rw"], "phc-pps-sync: only the PHCs (char-ptp rw)")
    check("clock_adjtime" in " ".join(pps.get("SystemCallFilter", [])),
          "phc-pps-sync: clock_adjtime allowed")
    check(pps.get("RestrictAddressFamilies") == ["AF_UNIX AF_INET AF_INET6 AF_NETLINK"],
          "phc-pps-sync: AF_UNIX AF_INET AF_INET6 AF_NETLINK")
    bridge = unit_settings(os.path.join(UNIT_DIR, "gps-sock-bridge.service"))
    check(bridge.get("PrivateDevices") == ["yes"] and "DeviceAllow" not in bridge,
          "gps-sock-bridge: no devices")
    check("PrivateIPC" not in bridge, "gps-sock-bridge: host SysV IPC kept (NTP SHM output)")

    drop = unit_settings(os.path.join(DROPIN_DIR, "nanotime.conf"))
    check(drop.get("ExecStart") == ["", "/usr/sbin/ptp4l -f /etc/nanotime/ptp4l.cfg -i %I"],
          "ptp4l drop-in: ExecStart reset, then ptp4l -f /etc/nanotime/ptp4l.cfg -i %I")
    check(drop.get("After") == ["phc-pps-sync.service"] and
          drop.get("Wants") == ["phc-pps-sync.service"], "ptp4l drop-in: after phc-pps-sync")


def main():
    try:
        print("security:", flush=True)
        scores = {u: test_security(u) for u in DAEMON_UNITS}
        print("verify:", flush=True)
        test_verify()
        print("static:", flush=True)
        test_static()
    except AssertionError as e:
        print(f"FAIL: {e}", flush=True)
        return 1
    print(f"PASS: {len(checks)} checks; exposure " +
          ", ".join(f"{u} {s}" for u, s in scores.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
