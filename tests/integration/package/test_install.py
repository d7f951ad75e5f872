#!/usr/bin/python3
"""The nanotime .deb installs on this machine, puts its files where the docs say, and purges
cleanly. Run as root by scripts/package after the native build (or by hand:
test_install.py --deb out/package/nanotime_0.1.0_amd64.deb). It changes the machine only
for the duration: the package (and any dependency it pulled in) is purged at the end, even on
failure, and a nanotime installed before the test is refused rather than overwritten.

  1. `apt-get install ./nanotime_*.deb` succeeds; dpkg says "install ok installed".
  2. `dpkg -L`: the programs in /usr/sbin (and nanotime-status in /usr/bin), the units in
     /lib/systemd/system, /etc/nanotime/nanotime.toml, the chrony drop-in, ptp4l configs and
     the ptp4l@ drop-in, the Prometheus rules and dashboard under /usr/share/nanotime, the
     Python modules, and a man page for every
     page in the source tree. Each listed file exists.
  3. `dpkg-query -W -f='${Conffiles}'`: exactly /etc/nanotime/nanotime.toml, with the md5sum of
     the file on disk, which is the source tree's etc/nanotime.toml.
  4. The installed programs run: both daemons accept the installed configuration
     (--check-config), nanotime-setup and nanotime-doctor find their modules (--help).
  5. Units: present, `systemd-analyze verify` clean, every Documentation=man: page installed,
     NOT enabled (no [Install] symlink, deb-systemd-helper was-enabled false) and not running
     (the box needs nanotime-setup first; debian/rules: dh_installsystemd --no-enable).
     With systemd as PID 1, also `systemctl is-enabled/is-active`.
  6. `apt-get remove` keeps the conffile (dpkg state "rc"); `apt-get purge` removes every file
     of the package and /etc/nanotime, leaves no unit file, no deb-systemd-helper state and no
     process of the package.
"""

import argparse
import glob
import hashlib
import os
import subprocess
import sys

PACKAGE = "nanotime"
CONFFILE = "/etc/nanotime/nanotime.toml"
UNITS = ("phc-pps-sync.service", "gps-sock-bridge.service")
UNIT_DIR = "/lib/systemd/system"
DAEMONS = ("/usr/sbin/phc-pps-sync", "/usr/sbin/gps-sock-bridge")
EXPECTED = [
    "/usr/sbin/phc-pps-sync",
    "/usr/sbin/gps-sock-bridge",
    "/usr/sbin/nanotime-setup",
    "/usr/sbin/nanotime-doctor",
    "/usr/bin/nanotime-status",
    "/usr/bin/nanotime-receiver",
    "/usr/bin/nanotime",
    "/etc/nanotime/nanotime.toml",
    "/lib/systemd/system/phc-pps-sync.service",
    "/lib/systemd/system/gps-sock-bridge.service",
    "/usr/share/nanotime/chrony/nanotime.conf",
    "/usr/share/nanotime/ptp4l/gm-cm4-cm5.cfg",
    "/usr/share/nanotime/ptp4l/gm-cm4-cm5-g8275.1.cfg",
    "/usr/share/nanotime/ptp4l/gm-intel-i210-i226.cfg",
    "/usr/share/nanotime/ptp4l/gm-intel-i210-i226-g8275.1.cfg",
    "/usr/share/nanotime/systemd/ptp4l@.service.d/nanotime.conf",
    "/usr/share/nanotime/python/nanotime/setup.py",
    "/usr/share/nanotime/python/nanotime/doctor.py",
    "/usr/share/nanotime/prometheus/nanotime-rules.yml",
    "/usr/share/nanotime/prometheus/nanotime-dashboard.json",
    "/usr/share/nanotime/prometheus/README.md",
    "/usr/share/nanotime/prometheus/tests/lock.yml",
    "/usr/share/nanotime/python/nanotime/bundle.py",
    "/usr/share/doc/nanotime/copyright",
]
# Man pages: one for each page in the source tree (section from the file name).
SOURCE_MAN_PAGES = ("gps-sock-bridge/*.[18]", "phc-pps-sync/*.[18]", "scripts/*.[18]",
                    "status/*.[18]", "receiver/*.[18]")

failures = []


def check(ok, what):
    print(("ok:   " if ok else "FAIL: ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


def run(cmd, timeout=600, **kw):
    print("$ " + " ".join(cmd), flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, **kw)


def dpkg_status():
    p = subprocess.run(["dpkg-query", "-W", "-f=${Status}", PACKAGE], capture_output=True,
                       text=True)
    return p.stdout.strip() if p.returncode == 0 else "not-installed"


def installed_packages():
    out = subprocess.run(["dpkg-query", "-W", "-f=${Package}:${Architecture} ${Status}\n"],
                         capture_output=True, text=True, check=True).stdout
    return {l.split()[0] for l in out.splitlines() if l.endswith("install ok installed")}


def package_processes():
    """PIDs whose executable is one of the package's daemons."""
    pids = []
    for d in glob.glob("/proc/[0-9]*"):
        try:
            exe = os.readlink(os.path.join(d, "exe"))
        except OSError:
            continue
        if exe.replace(" (deleted)", "") in DAEMONS:
            pids.append(int(os.path.basename(d)))
    return pids


def systemd_is_pid1():
    try:
        with open("/proc/1/comm") as f:
            return f.read().strip() == "systemd"
    except OSError:
        return False


def md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


def check_files(source_dir):
    listed = set(run(["dpkg", "-L", PACKAGE]).stdout.split("\n"))
    for path in EXPECTED:
        check(path in listed and os.path.isfile(path), f"{path} is in the package and on disk")
    for pattern in SOURCE_MAN_PAGES:
        for page in sorted(glob.glob(os.path.join(source_dir, pattern))):
            name = os.path.basename(page)
            target = f"/usr/share/man/man{name[-1]}/{name}.gz"
            check(target in listed and os.path.isfile(target), f"man page {target} installed")
    for path in listed:
        if path.startswith(("/usr/sbin/", "/usr/bin/")):
            check(os.access(path, os.X_OK), f"{path} is executable")
    missing = [p for p in listed if p and not os.path.lexists(p)]
    check(not missing, f"every file dpkg lists exists ({len(listed)} paths; missing: {missing})")
    return listed


def check_conffiles(source_dir):
    out = run(["dpkg-query", "-W", "-f=${Conffiles}", PACKAGE]).stdout
    conffiles = {l.split()[0]: l.split()[1] for l in out.splitlines() if l.strip()}
    check(list(conffiles) == [CONFFILE], f"the conffiles are exactly {CONFFILE} (got {list(conffiles)})")
    if CONFFILE in conffiles and os.path.isfile(CONFFILE):
        check(conffiles[CONFFILE] == md5(CONFFILE), "its md5sum matches the file on disk")
        check(md5(CONFFILE) == md5(os.path.join(source_dir, "etc", "nanotime.toml")),
              "it is the source tree's etc/nanotime.toml")


def check_programs():
    for daemon in DAEMONS:
        p = run([daemon, "--check-config", "-c", CONFFILE], timeout=60)
        check(p.returncode == 0, f"{daemon} --check-config accepts the installed {CONFFILE} "
                                 f"(exit {p.returncode}) {p.stderr.strip()}")
    for tool in ("/usr/sbin/nanotime-setup", "/usr/sbin/nanotime-doctor"):
        p = run([tool, "--help"], timeout=60)
        check(p.returncode == 0 and "usage" in p.stdout.lower(),
              f"{tool} --help runs from the package (exit {p.returncode}) {p.stderr.strip()[-300:]}")


def doc_pages(unit_path):
    pages = []
    with open(unit_path) as f:
        for line in f:
            if line.startswith("Documentation="):
                for ref in line.split("=", 1)[1].split():
                    if ref.startswith("man:"):
                        name, section = ref[4:].rstrip(")").split("(")
                        pages.append(f"/usr/share/man/man{section}/{name}.{section}.gz")
    return pages


def check_units():
    paths = [os.path.join(UNIT_DIR, u) for u in UNITS]
    for p in paths:
        check(os.path.isfile(p), f"{p} installed")
        for page in doc_pages(p):
            check(os.path.isfile(page), f"{os.path.basename(p)}: Documentation page {page} installed")
    v = run(["systemd-analyze", "verify", "--man=no", *paths], timeout=120)
    noise = (v.stdout + v.stderr).strip()
    check(v.returncode == 0 and not noise,
          f"systemd-analyze verify of the installed units is clean (exit {v.returncode}) {noise}")
    for unit in UNITS:
        wants = glob.glob(f"/etc/systemd/system/*.wants/{unit}")
        check(not wants, f"{unit} is not enabled on install (no symlink: {wants})")
        enabled = run(["deb-systemd-helper", "was-enabled", unit])
        check(enabled.returncode != 0, f"deb-systemd-helper: {unit} was not enabled")
        if systemd_is_pid1():
            e = run(["systemctl", "is-enabled", unit]).stdout.strip()
            a = run(["systemctl", "is-active", unit]).stdout.strip()
            check(e == "disabled", f"systemctl is-enabled {unit}: disabled (got {e})")
            check(a == "inactive", f"systemctl is-active {unit}: inactive (got {a})")
    if not systemd_is_pid1():
        comm = open("/proc/1/comm").read().strip()
        print(f"note: PID 1 is {comm!r}, not systemd: systemctl states are not checked")
    check(not package_processes(), "no nanotime daemon is running after install")


def check_removed(listed):
    status = dpkg_status()
    check(status.startswith("deinstall ok config-files"),
          f"after remove, dpkg keeps the configuration only (status: {status})")
    check(os.path.isfile(CONFFILE), f"after remove, {CONFFILE} is kept")


def check_purged(listed):
    check(dpkg_status() == "not-installed", f"after purge, dpkg knows no {PACKAGE} "
                                            f"(status: {dpkg_status()})")
    left = sorted(p for p in listed if p and os.path.isfile(p))
    check(not left, f"after purge, none of the package's files is left ({left})")
    check(not os.path.exists("/etc/nanotime"), "after purge, /etc/nanotime is gone")
    for unit in UNITS:
        found = [p for d in ("/lib/systemd/system", "/usr/lib/systemd/system", "/etc/systemd/system")
                 for p in glob.glob(f"{d}/**/{unit}", recursive=True)]
        check(not found, f"after purge, no {unit} file anywhere ({found})")
        state = glob.glob(f"/var/lib/systemd/deb-systemd-helper-*/**/{unit}*", recursive=True)
        check(not state, f"after purge, no deb-systemd-helper state for {unit} ({state})")
    check(not package_processes(), "after purge, no nanotime process is running")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--deb", required=True)
    ap.add_argument("--source-dir", default=os.environ.get(
        "NANOTIME_SOURCE_DIR", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")))
    args = ap.parse_args()
    deb = os.path.abspath(args.deb)
    if os.geteuid() != 0:
        print("FAIL: must run as root (it installs and purges the package)")
        return 1
    if not os.path.isfile(deb):
        print(f"FAIL: {deb} does not exist (build it with scripts/package --amd64-only)")
        return 1
    if dpkg_status() != "not-installed":
        print(f"FAIL: {PACKAGE} is already on this machine ({dpkg_status()}): refusing to "
              f"replace it; `apt-get purge {PACKAGE}` first")
        return 1
    before = installed_packages()
    listed = set()
    try:
        p = run(["apt-get", "install", "-y", "-q", deb])
        print(p.stdout[-2000:], p.stderr[-2000:])
        if check(p.returncode == 0, f"apt-get install {os.path.basename(deb)} (exit {p.returncode})"):
            check(dpkg_status() == "install ok installed", f"dpkg: {dpkg_status()}")
            listed = check_files(args.source_dir)
            check_conffiles(args.source_dir)
            check_programs()
            check_units()
            p = run(["apt-get", "remove", "-y", "-q", PACKAGE])
            check(p.returncode == 0, f"apt-get remove {PACKAGE} (exit {p.returncode}) {p.stderr}")
            check_removed(listed)
            p = run(["apt-get", "purge", "-y", "-q", PACKAGE])
            check(p.returncode == 0, f"apt-get purge {PACKAGE} (exit {p.returncode}) {p.stderr}")
            check_purged(listed)
    finally:
        # Restore the machine: the package, and whatever it pulled in.
        if dpkg_status() != "not-installed":
            run(["apt-get", "purge", "-y", "-q", PACKAGE])
        pulled = sorted(installed_packages() - before)
        if pulled:
            print(f"note: purging the dependencies the install pulled in: {pulled}")
            run(["apt-get", "purge", "-y", "-q", *pulled])
        check(dpkg_status() == "not-installed" and not (installed_packages() - before),
              "the machine's package set is as before the test")
    if failures:
        print(f"test_install: {len(failures)} check(s) failed")
        return 1
    print("test_install: the package installs, is laid out as documented and purges cleanly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
