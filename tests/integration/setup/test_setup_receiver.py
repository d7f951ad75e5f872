"""nanotime-setup --configure-receiver: after setting the system up it runs
`nanotime-receiver -c <root>/etc/nanotime/nanotime.toml --device <uart> configure` (with
--dry-run: `configure --dry-run`) and reports the outcome by its exit status. A stand-in
nanotime-receiver (found through NANOTIME_BIN_DIR) records its arguments and exits as told,
so no receiver is needed; the real program is tested in tests/integration/receiver.
"""

import atexit
import os
import shutil
import tempfile

from setuphelpers import Workspace, check

STUB = """#!/bin/sh
printf '%s\\n' "$@" > "$(dirname "$0")/args"
echo "stand-in nanotime-receiver"
exit "$(cat "$(dirname "$0")/rc")"
"""


def stub_dir(rc):
    d = tempfile.mkdtemp(prefix="nanotime-receiver-stub-")
    atexit.register(shutil.rmtree, d, True)
    path = os.path.join(d, "nanotime-receiver")
    with open(path, "w") as f:
        f.write(STUB)
    os.chmod(path, 0o755)
    with open(os.path.join(d, "rc"), "w") as f:
        f.write(str(rc))
    return d


def args_of(d):
    with open(os.path.join(d, "args")) as f:
        return f.read().splitlines()


def main():
    with Workspace("cm4-fresh") as ws:
        toml = ws.path("etc/nanotime/nanotime.toml")
        d = stub_dir(0)
        os.environ["NANOTIME_BIN_DIR"] = d
        r = ws.setup("--receiver", "f9t", "--configure-receiver", "--dry-run")
        check(args_of(d) == ["-c", toml, "--device", "/dev/ttyAMA0", "configure", "--dry-run"],
              "dry run: nanotime-receiver configure --dry-run on the root's nanotime.toml")
        r = ws.setup("--receiver", "f9t", "--configure-receiver")
        check(args_of(d) == ["-c", toml, "--device", "/dev/ttyAMA0", "configure"],
              "nanotime-receiver configure runs after the setup")
        check("stand-in nanotime-receiver" in r.stdout
              and "receiver: configured (or nothing to change)" in r.stdout,
              "its output and the outcome are shown")
        with open(os.path.join(d, "rc"), "w") as f:
            f.write("3")
        r = ws.setup("--receiver", "f9t", "--configure-receiver", expect=1)
        check("no u-blox timing receiver answered" in r.stdout, "exit 3 -> setup exits 1, says why")
        with open(os.path.join(d, "rc"), "w") as f:
            f.write("1")
        r = ws.setup("--receiver", "f9t", "--configure-receiver", expect=1)
        check("partly configured" in r.stdout, "exit 1 -> partly configured")
        os.environ["NANOTIME_BIN_DIR"] = stub_dir(0)
        os.unlink(os.path.join(os.environ["NANOTIME_BIN_DIR"], "nanotime-receiver"))
        r = ws.setup("--receiver", "f9t", expect=0)
        check("receiver:" not in r.stdout, "without the option the receiver is left alone")


if __name__ == "__main__":
    main()
