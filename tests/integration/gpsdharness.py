"""A real gpsd reading the test receiver (testreceiver.py) on a pty, on a private port.

    with Gpsd(delay_ms=180) as g:       # raises if gpsd is not installed or never reports
        g.port                          # TCP port gpsd listens on (127.0.0.1)
        g.wait_for_class("TOFF")        # a report of that class arrived (bounded wait)
        g.set_fix(False)                # receiver reports "no fix" (time still sent)
        g.kill(); g.restart()           # gpsd dies (SIGKILL) / comes back on the same pty+port

Nothing here is shared with a system gpsd: own port, own control socket, own pid file, own pty.
gpsd 3.22 needs ~6 s to probe a new pty (it tries several baud rates) before the first report.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RECEIVER = os.path.join(HERE, "testreceiver.py")


def free_tcp_port():
    """A currently free loopback TCP port (bound with port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_gpsd():
    path = shutil.which("gpsd") or ("/usr/sbin/gpsd" if os.access("/usr/sbin/gpsd", os.X_OK) else None)
    if not path:
        raise RuntimeError("gpsd is not installed (Debian package gpsd): cannot run this test")
    return path


def read_reports(port, timeout_s, stop=None, pps=True):
    """Connect to gpsd, WATCH json(+pps), yield decoded reports until timeout_s or stop(obj)."""
    deadline = time.monotonic() + timeout_s
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        watch = {"enable": True, "json": True, "pps": pps}
        s.sendall(("?WATCH=" + json.dumps(watch) + ";\n").encode())
        buf = b""
        while time.monotonic() < deadline:
            s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue
                obj["_rx_time"] = time.time()
                yield obj
                if stop and stop(obj):
                    return


class Gpsd:
    def __init__(self, delay_ms=180.0, fix=True, duration_s=600, port=None, workdir=None):
        self.gpsd = find_gpsd()
        self.delay_ms = delay_ms
        self.initial_fix = fix
        self.duration_s = duration_s
        self.port = port or free_tcp_port()
        self._own_dir = workdir is None
        self.dir = workdir or tempfile.mkdtemp(prefix="nanotime-gpsd-")
        self.receiver = None
        self.proc = None
        self.pty = None

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self, wait_s=20.0):
        args = [sys.executable, "-B", RECEIVER, "--delay-ms", str(self.delay_ms),
                "--duration-s", str(self.duration_s)]
        if not self.initial_fix:
            args.append("--no-fix")
        self.receiver = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        line = self.receiver.stdout.readline().split()
        if len(line) != 2 or line[0] != "PTY":
            raise RuntimeError("test receiver did not report its pty: {!r}".format(line))
        self.pty = line[1]
        self.start_gpsd(wait_s)

    def start_gpsd(self, wait_s=20.0):
        """Start gpsd on the receiver's pty and wait (bounded) for its first TPV."""
        self._gpsd_log = open(os.path.join(self.dir, "gpsd.log"), "ab")
        # -N foreground, -n poll the device without clients (reports start at once),
        # private port/control socket/pid file.
        self.proc = subprocess.Popen(
            [self.gpsd, "-N", "-n", "-S", str(self.port),
             "-F", os.path.join(self.dir, "gpsd.sock"),
             "-P", os.path.join(self.dir, "gpsd.pid"), self.pty],
            stdout=self._gpsd_log, stderr=subprocess.STDOUT)
        self.wait_for_class("TPV", wait_s, lambda o: o.get("mode", 0) >= 2)

    def stop(self):
        self.kill(sig=signal.SIGTERM)
        if self.receiver is not None:
            if self.receiver.poll() is None:
                self.receiver.terminate()
                try:
                    self.receiver.wait(5)
                except subprocess.TimeoutExpired:
                    self.receiver.kill()
                    self.receiver.wait()
            self.receiver.stdout.close()
            self.receiver = None
        if self._own_dir and self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def kill(self, sig=signal.SIGKILL):
        """Stop gpsd (SIGKILL by default: a crash); the receiver keeps writing to the pty."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self._gpsd_log.close()

    def restart(self, wait_s=20.0):
        self.kill()
        self.start_gpsd(wait_s)

    # -- control -----------------------------------------------------------------------------
    def set_fix(self, fix):
        """Receiver reports a fix (True) or no fix (False) from its next burst on."""
        self.receiver.send_signal(signal.SIGUSR2 if fix else signal.SIGUSR1)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_for_class(self, cls, timeout_s=20.0, predicate=None):
        """First report of class `cls` (and predicate) within timeout_s, else RuntimeError."""
        deadline = time.monotonic() + timeout_s
        last_error = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError("gpsd exited with status {}; log: {}".format(
                    self.proc.returncode, self.read_log()))
            try:
                for obj in read_reports(self.port, deadline - time.monotonic()):
                    if obj.get("class") == cls and (predicate is None or predicate(obj)):
                        return obj
            except OSError as e:  # not listening yet
                last_error = e
                time.sleep(0.1)
        raise RuntimeError("no gpsd {} report within {:.0f} s (last error: {}); log: {}".format(
            cls, timeout_s, last_error, self.read_log()))

    def collect(self, seconds, pps=True):
        """All reports gpsd sends during `seconds` (for assertions)."""
        return list(read_reports(self.port, seconds, pps=pps))

    def read_log(self):
        try:
            with open(os.path.join(self.dir, "gpsd.log"), "rb") as f:
                return f.read().decode(errors="replace")[-2000:]
        except OSError:
            return "(no log)"
