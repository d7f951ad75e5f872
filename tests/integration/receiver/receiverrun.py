"""Helpers for the nanotime-receiver integration tests (test_receiver_*.py): run the built
program against a gpsd (ubxharness.UbxGpsd) or a serial port, with a [receiver] table."""

import atexit
import os
import subprocess
import sys
import tempfile
import time

BIN_DIR = os.environ.get("NANOTIME_BIN_DIR", os.path.join(os.getcwd(), "bin"))
PROGRAM = os.path.join(BIN_DIR, "nanotime-receiver")


class Checks:
    def __init__(self):
        self.failed = []

    def __call__(self, ok, what):
        print(("PASS " if ok else "FAIL ") + what, flush=True)
        if not ok:
            self.failed.append(what)
        return ok

    def exit(self):
        if not os.path.exists(PROGRAM):
            print("FAIL nanotime-receiver not built: " + PROGRAM)
            sys.exit(1)
        if self.failed:
            print("{} check(s) failed:\n  ".format(len(self.failed)) + "\n  ".join(self.failed))
            sys.exit(1)
        print("all checks passed")
        sys.exit(0)


def config_file(text):
    """A nanotime.toml holding `text` (the [receiver] table); removed at exit of the process."""
    fd, path = tempfile.mkstemp(prefix="nanotime-receiver-", suffix=".toml")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    atexit.register(os.unlink, path)
    return path


def run(args, config, gpsd_port=None, timeout_s=60):
    """Runs nanotime-receiver; prints and returns (exit status, stdout + stderr, wall seconds)."""
    cmd = [PROGRAM, "-c", config, "--timeout", "0.8"]
    if gpsd_port is not None:
        cmd += ["--gpsd", "127.0.0.1:{}".format(gpsd_port)]
    cmd += list(args)
    start = time.monotonic()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout_s)
    took = time.monotonic() - start
    print("$ nanotime-receiver {}  -> {} in {:.1f} s\n{}".format(" ".join(args), p.returncode,
                                                                took, p.stdout), flush=True)
    return p.returncode, p.stdout, took


def received(state, name):
    return state["counts"]["received"].get(name, 0)
