#!/usr/bin/python3
"""nanotime-receiver directly on the serial port, gpsd stopped (the fake F9T on a pty):

- --transport serial: configure applies, a second run has nothing to change;
- --transport auto with no gpsd listening: falls back to the device, says so on stderr;
- --transport gpsd with no gpsd: exit 3 and the reason;
- a device that is not a serial port: exit 3 and the reason;
- a bad [receiver] table or a bad --llh: exit 2, the file:line or the option named.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile

import ubxharness
from receiverrun import Checks, config_file, run

check = Checks()
work_dir = tempfile.mkdtemp(prefix="nanotime-receiver-serial-")
state_path = os.path.join(work_dir, "state.json")
fake = subprocess.Popen([sys.executable, "-B", ubxharness.FAKE, "--personality", "f9t",
                         "--time-scale", "100", "--duration-s", "120", "--state-file", state_path],
                        stdout=subprocess.PIPE, text=True)
try:
    line = fake.stdout.readline().split()
    if len(line) != 2 or line[0] != "PTY":
        raise RuntimeError("fake receiver did not report its pty: {!r}".format(line))
    pty = line[1]
    cfg = config_file("[receiver]\ncable_delay_ns = 33\ndevice = \"{}\"\nbaud = 38400\n".format(pty))

    def state():
        with open(state_path) as f:
            return json.load(f)

    rc, out, _ = run(["--transport", "serial", "configure"], cfg)
    check(rc == 0 and "  applied    CFG-TP-ANT_CABLEDELAY: 50 ns -> 33 ns\n" in out,
          "serial: configure applies")
    check(state()["cable_delay_ns"] == 33, "serial: the fake's RAM holds 33 ns")
    rc, out, _ = run(["--transport", "serial", "configure"], cfg)
    check(rc == 0 and "nothing to change" in out, "serial: second run has nothing to change")

    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    rc, out, _ = run(["--gpsd", "127.0.0.1:{}".format(dead), "status"], cfg)
    check(rc == 0 and "using {} directly".format(pty) in out and "ZED-F9T" in out,
          "auto: no gpsd, the device is used directly")
    rc, out, _ = run(["--transport", "gpsd", "--gpsd", "127.0.0.1:{}".format(dead), "status"], cfg)
    check(rc == 3 and "cannot connect to gpsd" in out, "gpsd transport without gpsd: exit 3")
    rc, out, _ = run(["--transport", "serial", "--device", "/dev/null", "status"], cfg)
    check(rc == 3 and "/dev/null is not a serial port" in out, "not a serial port: exit 3")
    rc, out, _ = run(["--transport", "serial", "status"],
                     config_file("[receiver]\nsurvey_accuracy_m = -1\ndevice = \"{}\"\n".format(pty)))
    check(rc == 2 and ":2:" in out and "survey_accuracy_m" in out, "bad [receiver]: exit 2, file:line")
    rc, out, _ = run(["--transport", "serial", "fix-position", "--llh", "95,8,400"], cfg)
    check(rc == 2 and "--llh" in out, "bad --llh: exit 2")
    rc, out, _ = run(["--transport", "serial", "fix-position"], cfg)
    check(rc == 2, "fix-position without a position: exit 2")
finally:
    fake.terminate()
    fake.wait(5)
    shutil.rmtree(work_dir, ignore_errors=True)
check.exit()
