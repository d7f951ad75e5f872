#!/usr/bin/python3
"""SIGHUP moves the status server, in both daemons ([<daemon>.status] is live).

For phc-pps-sync (realtime simulation, no chronyd/ptp4l) and gps-sock-bridge (gpsd absent: it
keeps retrying), each on a free loopback port A:
  1. GET /status answers on A;
  2. the file's listen changed to port B, SIGHUP: B answers, A refuses, the log names B;
  3. listen changed to a port another socket holds, SIGHUP: "reload failed" is logged and
     B still answers (the old server came back);
  4. enabled = false, SIGHUP: B refuses, the daemon still runs.
Also: phc-pps-sync's deprecated status_listen starts the server on its address, with a warning
naming the new key. Every wait is bounded; the daemons are stopped.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

BIN = os.environ.get("NANOTIME_BIN_DIR", os.path.join(os.path.dirname(__file__), "../../../build/bin"))
SOURCE = os.environ.get("NANOTIME_SOURCE_DIR",
                        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
PROFILE = os.path.join(SOURCE, "tests", "integration", "daemon", "profiles", "rt-basic.toml")


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print(f"ok: {what}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/status?history=0", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def wait_for(pred, what, timeout_s=10):
    deadline = time.monotonic() + timeout_s
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s: {what}")
        time.sleep(0.1)


class Daemon:
    def __init__(self, name, argv_tail, table, base):
        self.name, self.table, self.base = name, table, base
        self.dir = tempfile.mkdtemp(prefix=f"nanotime-reload-{name}-")
        self.conf = os.path.join(self.dir, "nanotime.toml")
        self.log = os.path.join(self.dir, "log")
        self.argv = [os.path.join(BIN, name), "-c", self.conf, *argv_tail]
        self.proc = None

    def write(self, status):
        with open(self.conf, "w") as f:
            f.write(self.base + f"[{self.table}.status]\n" + status)

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def start(self):
        self.proc = subprocess.Popen(self.argv, stdout=open(self.log, "a"), stderr=subprocess.STDOUT)
        wait_for(lambda: "started:" in self.log_text() or self.proc.poll() is not None,
                 f"{self.name} starts")
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.name} exited at start:\n{self.log_text()}")
        print(f"{self.name}: {' '.join(self.argv)}", flush=True)

    def reload(self, status, done, what):
        """SIGHUP with `status` as the status table; waits until done() (bounded). The log
        prints a repeated line once, so progress is judged by what the daemon does."""
        self.write(status)
        self.proc.send_signal(signal.SIGHUP)
        wait_for(done, f"{self.name}: {what}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        shutil.rmtree(self.dir, ignore_errors=True)


def moves_on_sighup(d):
    a, b = free_port(), free_port()
    d.write(f'listen = "127.0.0.1:{a}"\n')
    d.start()
    try:
        wait_for(lambda: answers(a), f"{d.name}: /status on {a}")
        d.reload(f'listen = "127.0.0.1:{b}"\n', lambda: answers(b), f"serves on {b}")
        check(answers(b) and not answers(a), f"{d.name}: SIGHUP moved the server from {a} to {b}")
        check(f"status server now: 127.0.0.1:{b}" in d.log_text(),
              f"{d.name}: the log names the new address")
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            c = taken.getsockname()[1]
            d.reload(f'listen = "127.0.0.1:{c}"\n', lambda: "reload failed" in d.log_text(),
                     "logs the failed reload")
            check(f"bind 127.0.0.1:{c}" in d.log_text() and answers(b),
                  f"{d.name}: port {c} taken: reload failed, still serving on {b}")
        d.reload("enabled = false\n", lambda: not answers(b), "stops serving")
        check(d.proc.poll() is None and "status server now: off" in d.log_text(),
              f"{d.name}: enabled = false: server off, daemon running")
    except BaseException:
        print(f"{d.name} exit status: {d.proc.poll()}", flush=True)
        print(d.log_text()[-2000:], flush=True)
        raise
    finally:
        d.stop()


def deprecated_status_listen():
    port = free_port()
    d = Daemon("phc-pps-sync", ["--simulate", PROFILE, "--realtime"], "phc-pps-sync", "")
    with open(d.conf, "w") as f:
        f.write(f'[phc-pps-sync]\nchrony_socket = ""\nptp4l_socket = ""\nleap_seconds_file = ""\n'
                f'temperature_file = ""\nstatus_listen = "127.0.0.1:{port}"\n')
    d.start()
    try:
        wait_for(lambda: answers(port), "phc-pps-sync: /status on the status_listen address")
        check("status_listen is deprecated: use listen in [phc-pps-sync.status]" in d.log_text(),
              "phc-pps-sync: status_listen works, with a warning naming the new key")
    finally:
        d.stop()


def main():
    pps_base = ('[phc-pps-sync]\nchrony_socket = ""\nptp4l_socket = ""\nleap_seconds_file = ""\n'
                'temperature_file = ""\n')
    moves_on_sighup(Daemon("phc-pps-sync", ["--simulate", PROFILE, "--realtime"], "phc-pps-sync",
                           pps_base))
    bridge_base = (f'[gps-sock-bridge]\ngpsd_port = {free_port()}\n'
                   f'time_socket = "{tempfile.gettempdir()}/nanotime-reload-absent.sock"\n')
    moves_on_sighup(Daemon("gps-sock-bridge", [], "gps-sock-bridge", bridge_base))
    deprecated_status_listen()
    print("PASS", flush=True)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"FAIL: {e}", flush=True)
        sys.exit(1)
