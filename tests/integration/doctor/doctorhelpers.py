"""Shared by the nanotime-doctor tests: scenarios from tests/fixtures/doctor, running the tool.

A scenario directory holds only what differs from `healthy/`; scenario(name) merges the two
into a temp dir: <dir>/root is the --root tree, <dir> itself the --fixtures dir.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

SOURCE = os.environ.get("NANOTIME_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BIN = os.environ.get("NANOTIME_BIN_DIR", os.path.join(SOURCE, "build", "bin"))
DOCTOR = os.path.join(SOURCE, "scripts", "nanotime-doctor")
FIXTURES = os.path.join(SOURCE, "tests", "fixtures", "doctor")
# 2026-02-02 02:40 UTC: the healthy leap-seconds.list (expires 2026-06-28) is 146 days from it.
NOW = 1770000000


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print(f"ok: {what}")


class Scenario:
    def __init__(self, name):
        self.dir = tempfile.mkdtemp(prefix=f"nanotime-doctor-{name}-")
        shutil.copytree(os.path.join(FIXTURES, "healthy"), self.dir, symlinks=True,
                        dirs_exist_ok=True)
        if name != "healthy":
            shutil.copytree(os.path.join(FIXTURES, name), self.dir, symlinks=True,
                            dirs_exist_ok=True)
        self.root = os.path.join(self.dir, "root")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)
        return False

    def write_config(self, text):
        """Replace the scenario's /etc/nanotime/nanotime.toml."""
        with open(os.path.join(self.root, "etc", "nanotime", "nanotime.toml"), "w") as f:
            f.write(text)

    def doctor(self, *args, fixtures=True, now=NOW, env=None):
        argv = ["--root", self.root]
        if fixtures:
            argv += ["--fixtures", self.dir]
        if now is not None:
            argv += ["--now", str(now)]
        return run_doctor(*argv, *args, env=env)


def run_doctor(*args, timeout=60, env=None):
    """`env`: variables to set (or, with value None, to remove) for this run."""
    argv = [sys.executable, "-B", DOCTOR, *[str(a) for a in args]]
    # The doctor asks the built daemons for their defaults (--print-config).
    full = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    full.setdefault("NANOTIME_BIN_DIR", BIN)
    for k, v in (env or {}).items():
        if v is None:
            full.pop(k, None)
        else:
            full[k] = v
    env = full
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    print(f"$ nanotime-doctor {' '.join(argv[3:])}  -> {r.returncode}")
    return r


def verdicts(r):
    """{check: verdict} from a --json run (asserting the JSON is well-formed)."""
    doc = json.loads(r.stdout)
    check(doc["exit"] == r.returncode, f"JSON exit field {doc['exit']} = exit status")
    return {c["check"]: c["verdict"] for c in doc["checks"]}, doc
