"""scripts/nanotime.sh (installed as `nanotime`): `nanotime status|doctor|setup|receiver ARGS`
runs nanotime-status|doctor|setup|receiver with ARGS untouched and exits with its status. Checked with stand-in
tools in temp dirs (they print their name and arguments and exit with a chosen code):
  - $NANOTIME_BIN_DIR is searched first, then the directory of nanotime (also through a
    symlink), then /usr/sbin and /usr/bin;
  - arguments with spaces, quotes and an empty one arrive unchanged; stdin is passed through;
  - exit codes 0/1/2 (nanotime status's verdicts) and others come back unchanged;
  - --help: usage on stdout, exit 0; no command: usage on stderr, exit 64; an unknown command:
    64; a tool found nowhere: 127 with a message saying where nanotime looked;
  - with the real build: `nanotime status --help` runs nanotime-status.
Runtime < 2 s.
"""

import os
import shutil
import subprocess
import tempfile

from statusclient import check

SOURCE = os.environ.get("NANOTIME_SOURCE_DIR",
                        os.path.join(os.path.dirname(__file__), "..", "..", ".."))
FRONTEND = os.path.join(SOURCE, "scripts", "nanotime.sh")

STUB = """#!/bin/sh
echo "{tag} $(basename "$0")"
for a in "$@"; do printf '<%s>\\n' "$a"; done
if [ "$1" = "--stdin" ]; then cat; fi
exit "${{STUB_EXIT:-0}}"
"""


def stub(dir_, name, tag):
    path = os.path.join(dir_, name)
    with open(path, "w") as f:
        f.write(STUB.format(tag=tag))
    os.chmod(path, 0o755)
    return path


def run(argv, env_extra=None, drop=(), stdin=""):
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(env_extra or {})
    return subprocess.run(argv, capture_output=True, text=True, input=stdin, env=env, timeout=10)


def main():
    check(os.access(FRONTEND, os.X_OK), f"{FRONTEND} is executable")
    tmp = tempfile.mkdtemp(prefix="nanotime-frontend-")
    try:
        bindir, home = os.path.join(tmp, "bin"), os.path.join(tmp, "home")
        os.mkdir(bindir)
        os.mkdir(home)
        front = os.path.join(home, "nanotime")
        shutil.copy(FRONTEND, front)
        for tool in ("nanotime-status", "nanotime-doctor", "nanotime-setup", "nanotime-receiver"):
            stub(bindir, tool, "BIN")
        stub(home, "nanotime-status", "HOME")
        env_bin = {"NANOTIME_BIN_DIR": bindir}

        for cmd in ("status", "doctor", "setup", "receiver"):
            r = run([front, cmd, "a b", "", "it's", '"q"', "--x=1"], env_bin)
            check(r.returncode == 0 and r.stdout == f"BIN nanotime-{cmd}\n<a b>\n<>\n<it's>\n"
                                                     "<\"q\">\n<--x=1>\n",
                  f"nanotime {cmd} ARGS -> $NANOTIME_BIN_DIR/nanotime-{cmd} ARGS, unchanged "
                  f"({r.stdout!r})")
        r = run([front, "status", "--stdin"], env_bin, stdin="from stdin\n")
        check(r.stdout.endswith("from stdin\n"), "stdin reaches the tool")
        for code in (0, 1, 2, 3, 78):
            r = run([front, "status"], {**env_bin, "STUB_EXIT": str(code)})
            check(r.returncode == code, f"the tool's exit status {code} is nanotime's")

        r = run([front, "status"], drop=("NANOTIME_BIN_DIR",))
        check(r.stdout.startswith("HOME nanotime-status"),
              f"no $NANOTIME_BIN_DIR: the tool next to nanotime ({r.stdout.splitlines()[:1]})")
        link = os.path.join(tmp, "nanotime-link")
        os.symlink(front, link)
        r = run([link, "status"], drop=("NANOTIME_BIN_DIR",))
        check(r.stdout.startswith("HOME nanotime-status"),
              "through a symlink: the tool next to the real nanotime")
        r = run([front, "status"], {"NANOTIME_BIN_DIR": os.path.join(tmp, "nowhere")})
        check(r.stdout.startswith("HOME nanotime-status"),
              "a $NANOTIME_BIN_DIR without the tool: falls back to next to nanotime")

        r = run([front, "--help"], env_bin)
        check(r.returncode == 0 and "Usage: nanotime COMMAND" in r.stdout and
              all(c in r.stdout for c in ("status", "doctor", "setup")),
              "--help: usage listing status, doctor, setup on stdout, exit 0")
        r = run([front], env_bin)
        check(r.returncode == 64 and "Usage: nanotime" in r.stderr and not r.stdout,
              "no command: usage on stderr, exit 64")
        r = run([front, "bogus"], env_bin)
        check(r.returncode == 64 and "unknown command 'bogus'" in r.stderr,
              f"unknown command: exit 64 ({r.stderr.strip()})")

        lonely = os.path.join(tmp, "lonely")
        os.mkdir(lonely)
        shutil.copy(FRONTEND, os.path.join(lonely, "nanotime"))
        r = run([os.path.join(lonely, "nanotime"), "setup"], {"NANOTIME_BIN_DIR": lonely})
        if os.path.exists("/usr/sbin/nanotime-setup") or os.path.exists("/usr/bin/nanotime-setup"):
            check(r.returncode != 127, "nanotime-setup installed on this box: found in /usr")
        else:
            check(r.returncode == 127 and "nanotime-setup not found" in r.stderr and
                  "/usr/sbin" in r.stderr, f"a tool found nowhere: 127 ({r.stderr.strip()})")

        real_bin = os.environ.get("NANOTIME_BIN_DIR", "")
        real = os.path.join(real_bin, "nanotime-status")
        check(os.access(real, os.X_OK), f"{real} is built")
        r = run([FRONTEND, "status", "--help"], {"NANOTIME_BIN_DIR": real_bin})
        check(r.returncode == 0 and "nanotime-status" in r.stdout,
              "the real build: `nanotime status --help` runs nanotime-status")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
