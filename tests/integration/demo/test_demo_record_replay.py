"""scripts/demo --record MINUTES (issue 17: "Record the demo's realtime simulated run for 10
minutes, replay it: identical outputs"). phc-pps-sync --simulate cm4-f9t --realtime records from
its start; the demo takes the file with nanotime-record once MINUTES of the run are in it and
replays it with `phc-pps-sync --replay`. Checks:
  1. the demo exits 0 within MINUTES + 4 minutes;
  2. nanotime-record took the daemon's own recording (it was recording from its start);
  3. the replay says identical, and covers at least MINUTES of the run;
  4. the compared counts fit MINUTES of a locked run: the daemon commands the PHC about once a
     second and chronyd polls PHC0 every second (refclock poll 0), so at least COMMAND_SHARE and
     SAMPLE_SHARE of the run's seconds (the first ~40 s go to the lock and chronyd's start);
     at least 2 quality changes (248 -> locked);
  5. the file's size and bytes a day (without the once-a-file header) are shown, within issue
     17's 20 MB a day;
  6. nothing is left afterwards.
DEMO_RECORD_MINUTES (default 10) sets MINUTES, for a shorter run by hand.
"""

import os
import re

from demorun import DemoRun, check

MINUTES = int(os.environ.get("DEMO_RECORD_MINUTES", "10"))
COMMAND_SHARE = 5 / 6   # of the recorded seconds: 500 commands in 10 minutes
SAMPLE_SHARE = 2 / 3    # 400 chronyd samples in 10 minutes
MAX_BYTES_PER_DAY = 20e6


def main():
    seconds = MINUTES * 60
    with DemoRun(["--record", str(MINUTES)]) as demo:
        rc = demo.wait(seconds + 240)
        out = demo.output()
        print(out, flush=True)
        check(rc == 0, f"the demo exits 0 (got {rc})")
        start = out.find(f"== recording {MINUTES} minutes of phc-pps-sync's run")
        check(start >= 0, "the recording stage ran")
        rec = out[start:]
        check("records from its start already" in rec,
              "nanotime-record took the daemon's recording from its start")
        m = re.search(r": (\d+) records, ([0-9.]+) s recorded, replayed in ([0-9.]+) s CPU", rec)
        check(m is not None, "the replay's summary line is shown")
        records, recorded_s, cpu_s = int(m.group(1)), float(m.group(2)), float(m.group(3))
        check(recorded_s >= seconds, f"{recorded_s:.1f} s recorded (>= {seconds} s)")
        check(re.search(r"^\s+identical", rec, re.M) and "DIFFERS" not in rec,
              "the replay is identical")
        m = re.search(r"compared: (\d+) commands, (\d+) chronyd samples, (\d+) quality changes", rec)
        check(m is not None, "the compared counts are shown")
        commands, samples, qualities = (int(x) for x in m.groups())
        check(commands >= COMMAND_SHARE * seconds,
              f"{commands} commands compared (>= {COMMAND_SHARE * seconds:.0f})")
        check(samples >= SAMPLE_SHARE * seconds,
              f"{samples} chronyd samples compared (>= {SAMPLE_SHARE * seconds:.0f})")
        check(qualities >= 2, f"{qualities} quality changes compared (>= 2)")
        m = re.search(r"file: (\d+) bytes for ([0-9.]+) s recorded: (\d+) bytes of header, "
                      r"then (\d+) bytes a day", rec)
        check(m is not None, "the file's size and bytes a day are shown")
        size, header, per_day = int(m.group(1)), int(m.group(3)), int(m.group(4))
        check(0 < header < size and
              abs(per_day - (size - header) / float(m.group(2)) * 86400) <= 1 and
              per_day <= MAX_BYTES_PER_DAY,
              f"{size} bytes, {header} of header, then {per_day} bytes a day (<= 20 MB)")
        print(f"figures: {records} records, {recorded_s} s, {commands} commands, {samples} "
              f"samples, {qualities} quality changes, {size} bytes, {per_day} B/day, "
              f"replay {cpu_s} s CPU", flush=True)
        left = demo.leftovers()
        check(not left, f"nothing left after the demo: {left}")
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
