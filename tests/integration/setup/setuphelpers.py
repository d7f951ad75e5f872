"""Shared by the nanotime-setup tests: fixture roots in temp dirs, tree snapshots, running the tool.

A test root is a copy of tests/fixtures/setup/<name> plus what `apt install nanotime` puts
there (the units from systemd/, the conffile etc/nanotime.toml as /etc/nanotime/nanotime.toml). The shipped configs come from a --share-dir laid out like the
package (/usr/share/nanotime/{chrony,ptp4l,systemd}), built from the source tree.
"""

import os
import shutil
import subprocess
import sys
import tempfile

SOURCE = os.environ.get("NANOTIME_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.environ.get("NANOTIME_BIN_DIR", os.path.join(SOURCE, "build", "bin"))
SETUP = os.path.join(SOURCE, "scripts", "nanotime-setup")
FIXTURES = os.path.join(SOURCE, "tests", "fixtures", "setup")


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print(f"ok: {what}")


class Workspace:
    """A temp dir with root/ (the fixture) and share/ (the package's /usr/share/nanotime)."""

    def __init__(self, fixture, package_units=True):
        self.dir = tempfile.mkdtemp(prefix="nanotime-setup-test-")
        self.root = os.path.join(self.dir, "root")
        shutil.copytree(os.path.join(FIXTURES, fixture), self.root, symlinks=True)
        if package_units:
            units = os.path.join(self.root, "lib", "systemd", "system")
            os.makedirs(units, exist_ok=True)
            for u in ("phc-pps-sync.service", "gps-sock-bridge.service"):
                shutil.copy(os.path.join(SOURCE, "systemd", u), units)
            # The package's conffile /etc/nanotime/nanotime.toml (etc/nanotime.toml).
            conffile = os.path.join(SOURCE, "etc", "nanotime.toml")
            if os.path.exists(conffile):
                os.makedirs(os.path.join(self.root, "etc", "nanotime"), exist_ok=True)
                shutil.copy(conffile, os.path.join(self.root, "etc", "nanotime"))
        self.share = os.path.join(self.dir, "share")
        os.makedirs(os.path.join(self.share, "chrony"))
        shutil.copy(os.path.join(SOURCE, "chrony-confs", "nanotime.conf"),
                    os.path.join(self.share, "chrony"))
        shutil.copytree(os.path.join(SOURCE, "ptp4l-configs"), os.path.join(self.share, "ptp4l"),
                        ignore=shutil.ignore_patterns("ptp4l@.service.d"))
        shutil.copytree(os.path.join(SOURCE, "ptp4l-configs", "ptp4l@.service.d"),
                        os.path.join(self.share, "systemd", "ptp4l@.service.d"))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)
        return False

    def path(self, rel):
        return os.path.join(self.root, rel.lstrip("/"))

    def read(self, rel):
        with open(self.path(rel)) as f:
            return f.read()

    def shipped(self, rel):
        with open(os.path.join(SOURCE, rel), "rb") as f:
            return f.read()

    def setup(self, *args, expect=0, share=True):
        """Run nanotime-setup --root ROOT [--share-dir SHARE] ARGS; check the exit status."""
        argv = [sys.executable, "-B", SETUP, "--root", self.root]
        if share:
            argv += ["--share-dir", self.share]
        argv += [str(a) for a in args]
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
        print(f"$ nanotime-setup {' '.join(argv[5:])}  -> {r.returncode}")
        if r.returncode != expect:
            raise AssertionError(f"exit {r.returncode}, expected {expect}\n--- stdout\n"
                                 f"{r.stdout}--- stderr\n{r.stderr}")
        return r

    def snapshot(self):
        """{relative path: ("file", bytes, mode) | ("link", target) | ("dir", mode)}."""
        snap = {}
        for dirpath, dirnames, filenames in os.walk(self.root):
            for name in dirnames + filenames:
                p = os.path.join(dirpath, name)
                rel = os.path.relpath(p, self.root)
                st = os.lstat(p)
                if os.path.islink(p):
                    snap[rel] = ("link", os.readlink(p))
                elif os.path.isdir(p):
                    snap[rel] = ("dir", st.st_mode)
                else:
                    with open(p, "rb") as f:
                        snap[rel] = ("file", f.read(), st.st_mode)
        return snap


def diff_snapshots(before, after):
    """Human-readable list of differences between two snapshots."""
    out = []
    for k in sorted(set(before) | set(after)):
        if k not in before:
            out.append(f"new: {k}")
        elif k not in after:
            out.append(f"gone: {k}")
        elif before[k] != after[k]:
            out.append(f"changed: {k}")
    return out
