#!/usr/bin/python3
"""gps-sock-bridge configuration errors: exit code 78 (EX_CONFIG) and a message on stderr that
names file:line, the table and the key; a valid file passes --check-config with 0. Each bad
file is tried with --check-config and as a daemon start (which must not start)."""

import os
import shutil
import subprocess
import sys
import tempfile

from bridgeharness import Checker, bridge_binary, write_config

GOOD = {"gpsd_host": "127.0.0.1", "gpsd_port": 2947, "time_socket": "/run/nanotime-test.sock",
        "offset_s": 0.13}

# (name, keys replacing/adding to GOOD (the bad key is written last), bad key)
CASES = [
    ("unknown key", {"offset_seconds": 0.1}, "offset_seconds"),
    ("relative socket path", {"time_socket": "chrony/time.sock"}, "time_socket"),
    ("socket path too long", {"pps_socket": "/run/" + "x" * 120}, "pps_socket"),
    ("negative offset", {"offset_s": -0.1}, "offset_s"),
    ("offset word", {"offset_s": "sometimes"}, "offset_s"),
    ("port out of range", {"gpsd_port": 70000}, "gpsd_port"),
]


def run(args):
    return subprocess.run([bridge_binary()] + args, capture_output=True, text=True, timeout=10)


def main():
    ck = Checker()
    d = tempfile.mkdtemp(prefix="nanotime-bridgetest-")
    try:
        good = os.path.join(d, "good.toml")
        write_config(good, GOOD)
        r = run(["-c", good, "--check-config"])
        ck.check(r.returncode == 0, "valid config: --check-config exits 0 (got {}: {})".format(
            r.returncode, r.stderr.strip()))

        for name, change, key in CASES:
            keys = {k: v for k, v in GOOD.items() if k != key}
            keys[key] = change[key]
            path = os.path.join(d, name.replace(" ", "_") + ".toml")
            lines = write_config(path, keys)
            line_no = len(lines)  # the bad key is the last line
            for mode in (["--check-config"], []):
                r = run(["-c", path] + mode)
                what = "{} ({})".format(name, "--check-config" if mode else "daemon start")
                print("{}: exit {}, stderr: {}".format(what, r.returncode, r.stderr.strip()))
                ck.check(r.returncode == 78, what + ": exit code 78")
                ck.check("{}:{}:".format(path, line_no) in r.stderr,
                         what + ": stderr names {}:{}".format(path, line_no))
                ck.check("[gps-sock-bridge]" in r.stderr and key in r.stderr,
                         what + ": stderr names [gps-sock-bridge] and " + key)

        missing = os.path.join(d, "missing.toml")
        r = run(["-c", missing])
        ck.check(r.returncode == 78 and missing in r.stderr,
                 "missing config file: exit 78 naming it (got {}: {})".format(
                     r.returncode, r.stderr.strip()))
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return ck.finish()


if __name__ == "__main__":
    sys.exit(main())
