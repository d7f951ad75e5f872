"""Field recordings end to end (docs/recording.md), with the real chronyd 4.3:
  1. `phc-pps-sync --simulate rt-basic --realtime` feeding chronyd's SOCK refclock records from
     its start ([phc-pps-sync.record] enabled); it reaches TRACKING;
  2. `nanotime record --duration 20s --output F` through the control socket takes that file
     (the daemon answers "running");
  3. `phc-pps-sync --replay F`: exit 0, "identical", with chronyd samples, commands and quality
     changes compared;
  4. a copy cut in its last block replays identically up to the cut and names the offset where
     it stops; a corrupt byte in the middle: the same; a foreign file: exit 65 naming offset 0;
  5. SIGHUP with recording disabled stops it; `nanotime record --duration 3s` then makes an
     on-demand (attached) file, which --replay refuses with the reason (exit 65);
  6. SIGTERM: exit 0.
Every wait is bounded; chronyd, the daemon and the temp dirs are removed in any case.
"""

import os
import re
import signal
import subprocess
import sys
import tempfile

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_HERE, "..", "daemon"))
from chronyharness import Chronyd  # noqa: E402
from daemonharness import BIN_DIR, SOURCE_DIR, PhcPpsSync  # noqa: E402

REFCLOCK = "refclock SOCK {dir}/phc0.sock refid PHC0 poll 0 filter 4 precision 1e-8 prefer"
RECORD = os.path.join(SOURCE_DIR, "scripts", "nanotime-record")


def check(cond, what):
    if not cond:
        raise AssertionError(f"FAILED: {what}")
    print(f"ok: {what}", flush=True)


def run(argv, timeout_s):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s)
    print(f"$ {' '.join(argv)} -> {p.returncode}\n{p.stdout}{p.stderr}", flush=True)
    return p


def replay(path):
    return run([os.path.join(BIN_DIR, "phc-pps-sync"), "--replay", path], 60)


def add_record_table(d, rec_dir, control, enabled):
    with open(d.conf_path) as f:
        text = f.read().split("[phc-pps-sync.record]")[0]
    with open(d.conf_path, "w") as f:
        f.write(text + "[phc-pps-sync.record]\n"
                f"enabled = {'true' if enabled else 'false'}\n"
                f"directory = \"{rec_dir}\"\ncontrol_socket = \"{control}\"\n")


def compared(out):
    m = re.search(r"compared: (\d+) commands, (\d+) chronyd samples, (\d+) quality changes", out)
    return tuple(int(x) for x in m.groups()) if m else (0, 0, 0)


def main():
    work = tempfile.mkdtemp(prefix="nanotime-recording-")
    rec_dir, control = os.path.join(work, "rec"), os.path.join(work, "record.sock")
    with Chronyd([REFCLOCK], [], name="chronyd-rec") as c:
        settings = {"chrony_socket": f"{c.dir}/phc0.sock", "ptp4l_socket": ""}
        d = PhcPpsSync("rt-basic.toml", settings, name="ppsd-rec")
        add_record_table(d, rec_dir, control, enabled=True)
        with d:
            d.wait_for(lambda: d.lock_state() == "tracking", 60, "daemon TRACKING")
            out = os.path.join(work, "taken.ntrec")
            p = run([sys.executable, RECORD, "--socket", control, "--duration", "20s",
                     "--output", out], 60)
            check(p.returncode == 0 and p.stdout.strip() == out, "nanotime record: exit 0, prints F")
            check("records from its start already" in p.stderr,
                  "the daemon recording from its start hands over that file")

            p = replay(out)
            check(p.returncode == 0 and "identical" in p.stdout, "--replay: identical, exit 0")
            commands, samples, qualities = compared(p.stdout)
            check(commands > 20 and samples > 10 and qualities >= 2,
                  f"compared {commands} commands, {samples} chronyd samples, {qualities} quality "
                  "changes")

            data = open(out, "rb").read()
            cut = os.path.join(work, "cut.ntrec")
            open(cut, "wb").write(data[:-7])
            p = replay(cut)
            check(p.returncode == 0 and "identical" in p.stdout and
                  re.search(r"stops at byte offset \d+ of %d" % (len(data) - 7), p.stderr),
                  "a cut tail: identical up to the cut, and where it stops is named")
            bad = bytearray(data)
            header_end = 8 + 4 + 4 + int.from_bytes(data[12:16], "little") + 4
            bad[header_end + (len(data) - header_end) * 3 // 4] ^= 0x55  # in a block
            open(cut, "wb").write(bytes(bad))
            p = replay(cut)
            check(p.returncode == 0 and "stops at byte offset" in p.stderr and
                  compared(p.stdout)[0] < commands,
                  "a corrupt block: the records before it replay, the offset is named")
            p = replay(os.path.join(SOURCE_DIR, "README.md"))
            check(p.returncode == 65 and "byte offset 0: not a nanotime recording" in p.stderr,
                  "a foreign file: exit 65 naming offset 0")

            add_record_table(d, rec_dir, control, enabled=False)
            d.signal(signal.SIGHUP)
            d.wait_for(lambda: "stopped (" in d.log_text(), 10, "SIGHUP stops the recording")
            p = run([sys.executable, RECORD, "--socket", control, "--duration", "3s"], 30)
            path = p.stdout.strip()
            check(p.returncode == 0 and path.startswith(rec_dir) and "on-demand" in path,
                  f"an on-demand recording: {path}")
            p = replay(path)
            check(p.returncode == 65 and "began on a running daemon" in p.stderr,
                  "--replay refuses an attached recording, saying why")
            check(d.terminate() == 0, "SIGTERM: exit 0")
    subprocess.run(["rm", "-rf", work], check=False)
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
