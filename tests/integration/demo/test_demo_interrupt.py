"""scripts/demo interrupted midway leaves nothing behind. DEMO_TEST_SIGNAL chooses how:
  INT   Ctrl-C: SIGINT to the demo's whole process group, as a terminal sends it (its daemons
        get it too);
  TERM  SIGTERM to the script alone (kill, a CI timeout): the script must stop its daemons.
Checked: once every stage is started (both namespaces exist, ~10 processes run) and the demo
waits for the chain to lock, the signal makes it exit within 30 s with 130 (INT) / 143 (TERM),
saying it was interrupted; then `ip netns list` has none of its namespaces, no process of its
session or naming its work directory remains, and the work directory is gone.
"""

import os
import signal
import time

from demorun import DemoRun, check


def main():
    name = os.environ.get("DEMO_TEST_SIGNAL", "INT")
    sig = {"INT": signal.SIGINT, "TERM": signal.SIGTERM}[name]
    with DemoRun() as demo:
        demo.wait_for_output("== waiting for the chain", 90)
        time.sleep(3)  # midway: everything started, the chain not locked yet
        running = demo.session()
        print("running before the signal:\n  " + "\n  ".join(f"{p} {c}" for p, c in running),
              flush=True)
        check(len(demo.namespaces()) == 2, f"both namespaces exist: {demo.namespaces()}")
        check(len(running) >= 8, f"the demo's processes run ({len(running)})")
        check(demo.work_dir() and os.path.isdir(demo.work_dir()), "its work directory exists")

        t0 = time.monotonic()
        if sig == signal.SIGINT:
            os.killpg(demo.pid, sig)
        else:
            os.kill(demo.pid, sig)
        rc = demo.wait(30)
        dt = time.monotonic() - t0
        print(demo.output()[-600:], flush=True)
        want = 128 + sig
        check(rc == want, f"SIG{name}: exit status {want} (got {rc}) after {dt:.1f} s")
        check("interrupted" in demo.output(), "it says it was interrupted")
        left = demo.leftovers()
        check(not left, f"nothing left after SIG{name}: {left}")
        check(not demo.namespaces(), "`ip netns list` has none of its namespaces")
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
