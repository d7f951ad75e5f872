"""nanotime-setup on broken CM4 roots: a clear error, a defined exit status, and NOTHING changed.

Each case starts from a fresh copy of tests/fixtures/setup/cm4-fresh, breaks one thing, runs
nanotime-setup (without --dry-run) and compares the whole tree byte by byte with the state
before. Exit status: 1 for a system it cannot set up, 78 for a config file it must not edit.

The last cases run the tool in-process with a write that fails in the middle of applying the
plan (after the files, on a unit symlink) and a directory that is not writable: everything
already written is undone, and the unwritable target is found before anything is written.
"""

import contextlib
import io
import os
import shutil
import sys

from setuphelpers import SOURCE, Workspace, check, diff_snapshots

sys.path.insert(0, os.path.join(SOURCE, "scripts"))
from nanotime import setup as setup_tool  # noqa: E402
from nanotime import textedit  # noqa: E402


def remove(rel):
    def breaker(ws):
        p = ws.path(rel)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        else:
            os.unlink(p)
    return breaker


def write(rel, data, mode="w"):
    def breaker(ws):
        with open(ws.path(rel), mode) as f:
            f.write(data)
    return breaker


def make_dir(rel):
    def breaker(ws):
        os.unlink(ws.path(rel))
        os.makedirs(ws.path(rel))
    return breaker


def append(rel, text):
    def breaker(ws):
        with open(ws.path(rel), "a") as f:
            f.write(text)
    return breaker


def nanotime_toml(text):
    def breaker(ws):
        os.makedirs(ws.path("etc/nanotime"), exist_ok=True)
        with open(ws.path("etc/nanotime/nanotime.toml"), "w") as f:
            f.write(text)
    return breaker


CASES = [
    ("no PHC", remove("sys/class/ptp/ptp0"), 1, ["no PTP hardware clock found", "ethtool -T"]),
    ("no sysfs PHC owner", remove("sys/devices/platform/scb/fd580000.ethernet/net/eth0/phydev"), 1,
     ["no network interface owning it", "--interface"]),
    ("config.txt missing", remove("boot/firmware/config.txt"), 1,
     ["/boot/firmware/config.txt not found", "boot partition mounted"]),
    ("no config.txt at all", lambda ws: (remove("boot/firmware/config.txt")(ws),
                                         remove("boot/config.txt")(ws)), 1,
     ["/boot/firmware/config.txt or /boot/config.txt not found"]),
    ("gpsd defaults unreadable (a directory)", make_dir("etc/default/gpsd"), 1,
     ["cannot read /etc/default/gpsd", "Is a directory"]),
    ("gpsd not installed", remove("etc/default/gpsd"), 1, ["is gpsd installed"]),
    ("config.txt not UTF-8", write("boot/firmware/config.txt", b"dtparam=audio=on\n\xff\xfe\n", "wb"), 1,
     ["/boot/firmware/config.txt is not UTF-8", "refusing to edit"]),
    ("damaged marker block", append("boot/firmware/config.txt", "# BEGIN nanotime-setup\nenable_uart=1\n"), 78,
     ["damaged '# BEGIN nanotime-setup'", "by hand"]),
    ("invalid nanotime.toml", nanotime_toml("[phc-pps-sync]\ninterface = eth0\n"), 78,
     ["/etc/nanotime/nanotime.toml: invalid TOML", "line 2"]),
    ("nanotime units not installed", remove("lib/systemd/system/phc-pps-sync.service"), 1,
     ["phc-pps-sync.service not found", "the nanotime package"]),
    ("linuxptp not installed", remove("lib/systemd/system/ptp4l@.service"), 1,
     ["ptp4l@eth0.service not found", "linuxptp"]),
    ("chrony not installed", remove("etc/chrony/chrony.conf"), 1, ["is chrony installed"]),
    ("a file where a directory must be", lambda ws: (shutil.rmtree(ws.path("etc/chrony/conf.d")),
                                                     write("etc/chrony/conf.d", "x")(ws)), 1,
     ["cannot write", "/etc/chrony/conf.d exists and is not a directory"]),
]


def broken_cases():
    for name, breaker, code, messages in CASES:
        with Workspace("cm4-fresh") as ws:
            breaker(ws)
            before = ws.snapshot()
            r = ws.setup(expect=code)
            for m in messages:
                check(m in r.stderr, f"{name}: exit {code}, says {m!r}")
            check("nothing was changed" in r.stderr, f"{name}: says nothing was changed")
            check(diff_snapshots(before, ws.snapshot()) == [], f"{name}: tree unchanged")
    with Workspace("cm4-fresh") as ws:
        before = ws.snapshot()
        r = ws.setup(share=False, expect=1)  # default /usr/share/nanotime: not installed here
        check("shipped file not found" in r.stderr or "is the nanotime package installed" in r.stderr,
              f"no shipped configs: clear error ({r.stderr.strip()})")
        check(diff_snapshots(before, ws.snapshot()) == [], "no shipped configs: tree unchanged")


def in_process(ws, *args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = setup_tool.main(["--root", ws.root, "--share-dir", ws.share, *args])
    return code, out.getvalue(), err.getvalue()


def failure_while_writing():
    with Workspace("cm4-fresh") as ws:
        before = ws.snapshot()
        real_symlink, calls = os.symlink, []

        def failing_symlink(src, dst, *a, **kw):
            calls.append(dst)
            if len(calls) == 3:  # the files are written, two links made: now the disk fails
                raise OSError(28, "No space left on device", dst)
            return real_symlink(src, dst, *a, **kw)

        textedit.os.symlink = failing_symlink
        try:
            code, out, err = in_process(ws)
        finally:
            textedit.os.symlink = real_symlink
        check(len(calls) == 3, "the failure hit after files and two links were written")
        check(code == 1 and "No space left on device" in err and "every change was undone" in err,
              f"a failed write: exit 1, says so ({err.strip()})")
        check(diff_snapshots(before, ws.snapshot()) == [],
              "a failed write: everything undone (files restored, backups and new dirs removed)")


def unwritable_directory():
    with Workspace("cm4-fresh") as ws:
        before = ws.snapshot()
        real_access = os.access
        ro = ws.path("etc/default")
        textedit.os.access = lambda p, mode, **kw: False if p == ro else real_access(p, mode, **kw)
        try:
            code, out, err = in_process(ws)
        finally:
            textedit.os.access = real_access
        check(code == 1 and "cannot write in" in err and "read-only file system" in err,
              f"read-only /etc/default: found before writing ({err.strip()})")
        check(diff_snapshots(before, ws.snapshot()) == [], "read-only /etc/default: tree unchanged")


def main():
    broken_cases()
    failure_while_writing()
    unwritable_directory()
    print(f"PASS: {len(CASES) + 3} broken roots, each a clear error and an unchanged tree")


if __name__ == "__main__":
    main()
