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


def json_objects(sock, deadline):
    """The JSON objects gpsd sends on `sock`, one a line, until `deadline` (monotonic) or EOF;
    lines that are not JSON are skipped."""
    buf = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return
        if not chunk:
            return
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            try:
                yield json.loads(line)
            except ValueError:
                continue


def read_reports(port, timeout_s, stop=None, pps=True):
    """Connect to gpsd, WATCH json(+pps), yield decoded reports until timeout_s or stop(obj)."""
    deadline = time.monotonic() + timeout_s
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        watch = {"enable": True, "json": True, "pps": pps}
        s.sendall(("?WATCH=" + json.dumps(watch) + ";\n").encode())
        for obj in json_objects(s, deadline):
            obj["_rx_time"] = time.time()
            yield obj
            if stop and stop(obj):
                return


def start_pty_source(args, what):
    """Start a fake receiver whose first stdout line is "PTY <path>" -> (process, path)."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().split()
    if len(line) != 2 or line[0] != "PTY":
        end_process(proc)
        proc.stdout.close()
        raise RuntimeError("{} did not report its pty: {!r}".format(what, line))
    return proc, line[1]


def end_process(proc, sig=signal.SIGTERM):
    """Send `sig` to `proc` if it still runs and reap it (SIGKILL after 5 s)."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class GpsdProcess:
    """One gpsd in the foreground (-N) polling `device` without clients (-n, as nanotime-setup
    configures it), with its own port, control socket, pid file and log (gpsd.log) in `workdir`,
    so a system gpsd is never touched. No -G: loopback only."""

    def __init__(self, workdir, port=None):
        self.gpsd = find_gpsd()
        self.dir = workdir
        self.port = port or free_tcp_port()
        self.proc = None
        self._log = None

    def start(self, device, extra_args=()):
        if self._log:
            self._log.close()
        self._log = open(os.path.join(self.dir, "gpsd.log"), "ab")
        self.proc = subprocess.Popen(
            [self.gpsd, "-N", "-n", "-S", str(self.port),
             "-F", os.path.join(self.dir, "gpsd.sock"),
             "-P", os.path.join(self.dir, "gpsd.pid")] + list(extra_args) + [device],
            stdout=self._log, stderr=subprocess.STDOUT)

    def stop(self, sig=signal.SIGTERM):
        if self.proc is not None:
            end_process(self.proc, sig)
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def check_alive(self):
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError("gpsd exited with status {}; log: {}".format(
                self.proc.returncode, self.read_log()))

    def read_log(self, tail=2000):
        try:
            with open(os.path.join(self.dir, "gpsd.log"), "rb") as f:
                return f.read().decode(errors="replace")[-tail:]
        except (OSError, TypeError):
            return "(no log)"


class GpsdOnPty:
    """What Gpsd and ubxharness.UbxGpsd share: a GpsdProcess in self._gpsd on a fake
    receiver's pty; the subclass's start() and stop(). A `with` block always stops."""

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

    @property
    def proc(self):
        return self._gpsd.proc

    def running(self):
        return self._gpsd.running()


class Gpsd(GpsdOnPty):
    def __init__(self, delay_ms=180.0, fix=True, duration_s=600, port=None, workdir=None):
        self.delay_ms = delay_ms
        self.initial_fix = fix
        self.duration_s = duration_s
        self._own_dir = workdir is None
        self.dir = workdir or tempfile.mkdtemp(prefix="nanotime-gpsd-")
        self._gpsd = GpsdProcess(self.dir, port)
        self.port = self._gpsd.port
        self.receiver = None
        self.pty = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, wait_s=20.0):
        args = [sys.executable, "-B", RECEIVER, "--delay-ms", str(self.delay_ms),
                "--duration-s", str(self.duration_s)]
        if not self.initial_fix:
            args.append("--no-fix")
        self.receiver, self.pty = start_pty_source(args, "test receiver")
        self.start_gpsd(wait_s)

    def start_gpsd(self, wait_s=20.0):
        """Start gpsd on the receiver's pty and wait (bounded) for its first TPV."""
        self._gpsd.start(self.pty)
        self.wait_for_class("TPV", wait_s, lambda o: o.get("mode", 0) >= 2)

    def stop(self):
        self.kill(sig=signal.SIGTERM)
        if self.receiver is not None:
            end_process(self.receiver)
            self.receiver.stdout.close()
            self.receiver = None
        if self._own_dir and self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def kill(self, sig=signal.SIGKILL):
        """Stop gpsd (SIGKILL by default: a crash); the receiver keeps writing to the pty."""
        self._gpsd.stop(sig)

    def restart(self, wait_s=20.0):
        self.kill()
        self.start_gpsd(wait_s)

    # -- control -----------------------------------------------------------------------------
    def set_fix(self, fix):
        """Receiver reports a fix (True) or no fix (False) from its next burst on."""
        self.receiver.send_signal(signal.SIGUSR2 if fix else signal.SIGUSR1)

    def wait_for_class(self, cls, timeout_s=20.0, predicate=None):
        """First report of class `cls` (and predicate) within timeout_s, else RuntimeError."""
        deadline = time.monotonic() + timeout_s
        last_error = None
        while time.monotonic() < deadline:
            self._gpsd.check_alive()
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
        return self._gpsd.read_log()
