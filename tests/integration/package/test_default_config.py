#!/usr/bin/python3
"""The shipped /etc/nanotime/nanotime.toml (etc/nanotime.toml) is right for both daemons.

  1. phc-pps-sync and gps-sock-bridge accept it as it is (--check-config, exit 0).
  2. Its commented-out values are the real defaults: with every `#key = value` line
     uncommented, both daemons print exactly the same configuration summary.
  3. Every key the file shows is one the daemon reads: uncommented, none is rejected (1 and 2
     would not notice a misspelt commented key; the strict parser does, once uncommented).
  4. --check-config really validates (control): an unknown key is rejected with exit 78.
"""

import os
import re
import subprocess
import sys
import tempfile

EXIT_CONFIG = 78
COMMENTED_KEY = re.compile(r"^#([a-z_]+ = .*)$")

failures = []


def check(ok, what):
    print(("ok:   " if ok else "FAIL: ") + what, flush=True)
    if not ok:
        failures.append(what)


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def daemon_commands(bin_dir):
    """{name: argv prefix} of the built daemons."""
    cmds = {name: [os.path.join(bin_dir, name)] for name in ("phc-pps-sync", "gps-sock-bridge")}
    for name, cmd in cmds.items():
        check(os.access(cmd[0], os.X_OK), f"{name}: {cmd[0]} is built")
    return cmds


def summary(cmd, path):
    """(exit status, summary without its first line, which names the file)."""
    rc, out, err = run([*cmd, "--check-config", "-c", path])
    if rc != 0:
        print(err.strip())
    return rc, "\n".join(out.splitlines()[1:])


def main():
    src = os.environ.get("NANOTIME_SOURCE_DIR")
    bin_dir = os.environ.get("NANOTIME_BIN_DIR")
    if not src or not bin_dir:
        print("FAIL: NANOTIME_SOURCE_DIR / NANOTIME_BIN_DIR not set (run through ctest)")
        return 1
    shipped = os.path.join(src, "etc", "nanotime.toml")
    with open(shipped) as f:
        text = f.read()
    uncommented = "\n".join(COMMENTED_KEY.sub(r"\1", line) for line in text.splitlines()) + "\n"
    n_keys = sum(1 for line in text.splitlines() if COMMENTED_KEY.match(line))
    check(n_keys >= 30, f"the file shows the daemons' keys commented out ({n_keys} of them)")

    cmds = daemon_commands(bin_dir)
    if failures:
        return 1
    with tempfile.TemporaryDirectory(prefix="nanotime-config-") as tmp:
        all_keys = os.path.join(tmp, "all-keys.toml")
        with open(all_keys, "w") as f:
            f.write(uncommented)
        unknown = os.path.join(tmp, "unknown-key.toml")
        with open(unknown, "w") as f:
            f.write(text.replace("[gps-sock-bridge]\n", "[gps-sock-bridge]\nno_such_key = 1\n")
                    .replace("[phc-pps-sync]\n", "[phc-pps-sync]\nno_such_key = 1\n"))
        for name, cmd in cmds.items():
            rc, as_shipped = summary(cmd, shipped)
            check(rc == 0, f"{name} accepts etc/nanotime.toml as shipped (exit {rc})")
            rc2, explicit = summary(cmd, all_keys)
            check(rc2 == 0, f"{name} accepts every commented key once uncommented (exit {rc2})")
            check(rc == 0 and rc2 == 0 and as_shipped == explicit,
                  f"{name}: the commented values are its defaults (same summary either way)")
            if as_shipped != explicit:
                print(f"--- as shipped\n{as_shipped}\n--- all keys uncommented\n{explicit}")
            rc3, _ = summary(cmd, unknown)
            check(rc3 == EXIT_CONFIG, f"{name} rejects an unknown key with exit {EXIT_CONFIG} "
                                      f"(control; got {rc3})")
    if failures:
        print(f"test_default_config: {len(failures)} check(s) failed")
        return 1
    print("test_default_config: etc/nanotime.toml is valid and documents the true defaults")
    return 0


if __name__ == "__main__":
    sys.exit(main())
