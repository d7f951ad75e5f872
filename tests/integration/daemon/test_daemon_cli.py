"""phc-pps-sync's command line and configuration handling, as a user meets them:
  1. --help lists -c/--config, --check-config, --simulate/--realtime; exit 0;
  2. --check-config on a good file prints a summary, exit 0, and touches no device;
  3. an unknown key: exit 78 (EX_CONFIG) with file:line and the key on stderr;
  4. neither interface nor device: exit 78 naming both keys;
  5. a PHC that does not exist: exit 1 (systemd restarts) with a message naming the device;
  6. a bad simulation profile: exit 78 with its file:line.
"""

import os
import subprocess
import tempfile

from daemonharness import PROFILE_DIR, ppsd_argv


def check(cond, what):
    if not cond:
        raise AssertionError(f"FAILED: {what}")
    print(f"ok: {what}", flush=True)


def run(args, timeout=20):
    r = subprocess.run(ppsd_argv() + args, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def main():
    with tempfile.TemporaryDirectory(prefix="nanotime-ppsd-cli-") as d:
        def conf(text, name="nanotime.toml"):
            p = os.path.join(d, name)
            with open(p, "w") as f:
                f.write(text)
            return p

        rc, out, err = run(["--help"])
        check(rc == 0 and "--config" in out and "--check-config" in out and "--realtime" in out,
              "--help lists the options")

        good = conf('[phc-pps-sync]\ninterface = "eth0"\ncable_delay_ns = 12\n')
        rc, out, err = run(["-c", good, "--check-config"])
        check(rc == 0 and "configuration OK" in out and "eth0" in out,
              f"--check-config on a good file: exit 0 and a summary ({rc})")

        bad = conf('[phc-pps-sync]\ninterface = "eth0"\n\ncable_delay = 12\n', "bad.toml")
        rc, out, err = run(["-c", bad])
        check(rc == 78, f"unknown key: exit 78 (got {rc})")
        check(f"{bad}:4" in err and "cable_delay" in err, f"unknown key named with file:line: {err.strip()}")

        none = conf("[phc-pps-sync]\n", "none.toml")
        rc, out, err = run(["-c", none, "--check-config"])
        check(rc == 78 and "interface" in err and "device" in err,
              f"no PHC configured: exit 78 naming interface/device: {err.strip()}")

        missing = conf('[phc-pps-sync]\ndevice = "/dev/ptp-nanotime-missing"\nstatus_listen = ""\n'
                       'chrony_socket = ""\nptp4l_socket = ""\n', "missing.toml")
        rc, out, err = run(["-c", missing])
        check(rc == 1 and "/dev/ptp-nanotime-missing" in err,
              f"a PHC that does not exist: exit 1 naming it: {err.strip()}")

        prof = conf("[sim]\nduration_s = 10\nbogus = 1\n", "prof.toml")
        rc, out, err = run(["--simulate", prof, "--realtime", "--check-config"])
        check(rc == 78 and f"{prof}:3" in err, f"bad profile: exit 78 with file:line: {err.strip()}")

        rc, out, err = run(["--simulate", os.path.join(PROFILE_DIR, "rt-basic.toml"), "--realtime",
                            "--check-config"])
        check(rc == 0 and "rt-basic" in out, "--check-config of a realtime simulation")
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
