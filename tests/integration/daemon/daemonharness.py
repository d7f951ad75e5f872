"""phc-pps-sync's daemon in realtime simulation mode, for integration tests (Python 3 standard
library only).

    with PhcPpsSync(profile, {"chrony_socket": "/tmp/x/phc0.sock", "ptp4l_socket": ""}) as d:
        d.wait_for(lambda: d.lock_state() == "tracking", 60, "tracking")
        rc = d.terminate()

Runs `<bin>/phc-pps-sync -c <conf> --simulate PROFILE --realtime` (NANOTIME_PPSD overrides),
with the status server on a private Unix socket so /status can be read from any namespace.
`net`/`ns` (netnsharness.NetnsPair) run it inside a namespace, where ptp4l's management socket
(an abstract address on our side) is reachable. Cleanup on every exit path.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

BIN_DIR = os.environ.get("NANOTIME_BIN_DIR", "")
SOURCE_DIR = os.environ.get("NANOTIME_SOURCE_DIR",
                            os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PROFILE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "profiles")


class DaemonError(AssertionError):
    pass


def ppsd_argv():
    """The executable that runs the daemon: NANOTIME_PPSD, else phc-pps-sync from the build."""
    if os.environ.get("NANOTIME_PPSD"):
        return [os.environ["NANOTIME_PPSD"]]
    main = os.path.join(BIN_DIR, "phc-pps-sync")
    if os.path.exists(main):
        return [main]
    raise DaemonError(f"no phc-pps-sync in {BIN_DIR!r} (build it first)")


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=5):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(str(v))


class PhcPpsSync:
    def __init__(self, profile, settings, net=None, ns=None, name="phc-pps-sync", extra_args=()):
        """profile: a file name in profiles/ or a path. settings: [phc-pps-sync] keys."""
        self.profile = profile if os.path.sep in profile else os.path.join(PROFILE_DIR, profile)
        self.dir = tempfile.mkdtemp(prefix=f"nanotime-{name}-")
        os.chmod(self.dir, 0o755)
        self.status_path = os.path.join(self.dir, "status.sock")
        s = {"status_listen": f"unix:{self.status_path}", "leap_seconds_file": "",
             "temperature_file": ""}
        s.update(settings)
        self.conf_path = os.path.join(self.dir, "nanotime.toml")
        self.write_config(s)
        self.log_path = os.path.join(self.dir, f"{name}.log")
        self.name, self.net, self.ns = name, net, ns
        self.argv = ppsd_argv() + ["-c", self.conf_path, "--simulate", self.profile,
                                   "--realtime", *extra_args]
        self.proc = None
        self._log = None

    def write_config(self, settings):
        """settings: [phc-pps-sync] keys; "status_listen" is written as the status table's
        `listen` (the flat key is deprecated; test_reload_status tests it on its own)."""
        settings = dict(settings)
        listen = settings.pop("status_listen", None)
        lines = ["[phc-pps-sync]"] + [f"{k} = {toml_value(v)}" for k, v in settings.items()]
        if listen is not None:
            lines += ["[phc-pps-sync.status]", f"listen = {toml_value(listen)}"]
        # Private, like the status socket: the default /run/nanotime/phc-pps-sync.record.sock
        # would be taken over by a daemon of another test running at the same time.
        control = os.path.join(self.dir, "record.sock")
        lines += ["[phc-pps-sync.record]", f"control_socket = {toml_value(control)}"]
        with open(self.conf_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            self.stop()
            if exc_type is not None:
                print(self.log_tail(60), flush=True)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
        return False

    def start(self, timeout_s=15.0):
        argv = self.net.exec_argv(self.ns, self.argv) if self.net else self.argv
        self._log = open(self.log_path, "a")
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while "started:" not in self.log_text():
            if self.proc.poll() is not None:
                raise DaemonError(f"{self.name} exited at start ({self.proc.returncode}):\n"
                                  f"{self.log_tail()}")
            if time.monotonic() > deadline:
                raise DaemonError(f"{self.name} did not start in {timeout_s} s:\n{self.log_tail()}")
            time.sleep(0.05)
        print(f"{self.name}: {' '.join(self.argv)}", flush=True)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def terminate(self, timeout_s=5.0):
        """SIGTERM and wait (bounded): the exit status."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise DaemonError(f"{self.name} did not stop within {timeout_s} s of SIGTERM")

    def stop(self):
        proc, self.proc = self.proc, None
        try:
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
        except BaseException:
            if proc is not None and proc.poll() is None:
                proc.kill()
            raise
        finally:
            if self._log:
                self._log.close()
                self._log = None

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, lines=40):
        return f"--- tail of {self.name} log ---\n" + "\n".join(self.log_text().splitlines()[-lines:])

    # -- status -----------------------------------------------------------------------------
    def status(self):
        """/status as JSON (DaemonError when it cannot be read)."""
        try:
            c = _UnixHTTPConnection(self.status_path)
            c.request("GET", "/status")
            r = c.getresponse()
            body = r.read()
            c.close()
        except OSError as e:
            raise DaemonError(f"/status: {e}")
        if r.status != 200:
            raise DaemonError(f"/status: HTTP {r.status}")
        return json.loads(body)

    def metric(self, name):
        return self.status()["metrics"].get(name, {})

    def lock_state(self):
        return self.metric("nanotime_lock_state").get("state")

    def clock_class(self):
        return self.metric("nanotime_clock_class").get("value")

    def wait_for(self, predicate, timeout_s, what, interval_s=0.2):
        deadline = time.monotonic() + timeout_s
        last_error = None
        while True:
            try:
                result = predicate()
                if result:
                    return result
            except DaemonError as e:
                last_error = e
            if not self.running():
                raise DaemonError(f"{self.name} died while waiting for: {what}\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise DaemonError(f"timed out after {timeout_s} s waiting for: {what}\n"
                                  f"last error: {last_error}\n{self.log_tail()}")
            time.sleep(interval_s)
