"""A private, real chronyd for integration tests (Python 3 standard library only).

    with Chronyd(["refclock SOCK {dir}/gps.sock refid GPS poll 0 filter 2"]) as c:
        ...feed {c.dir}/gps.sock...
        c.wait_for(lambda: c.source("GPS")["state"] == "*", 30, "GPS selected")
        t = c.tracking()

chronyd runs as `chronyd -x -u root -d -f {dir}/chrony.conf`:
  -x        never touches the system clock. chronyd still "applies" its corrections to a
            simulated clock, so `tracking()["system_time_s"]` accumulates the correction it
            would have made -- which is what the tests check.
  -u root   the SOCK refclock sockets are bound by chronyd itself; senders run as root.
  -d        foreground; its log goes to {dir}/chronyd.log (tail printed on failure).
Everything is private: port 0 (no NTP), cmdport 0 (no UDP monitoring), command socket
{dir}/chronyd.sock, pidfile/driftfile/dumpdir in {dir}, a fresh 0700 temp dir per instance.

SIGN CONVENTIONS (checked against chrony 4.3, `chronyc -c`):
  tracking()["system_time_s"] > 0  <=>  the system clock is SLOW (behind) NTP time,
                                        i.e. system_time_s == true - system.
                                        (text output: "System time : X seconds slow of NTP time")
  sources()[i]["offset_s"] etc. < 0 <=> the system clock is behind that source
                                        (chronyc's "local clock minus source" convention),
                                        i.e. offset_s == system - true.
A missing chronyd/chronyc raises HarnessError (a failure, never a skip).
"""

import csv
import ctypes
import datetime
import glob
import io
import os
import shutil
import signal
import subprocess
import tempfile
import time

CHRONYD = os.environ.get("NANOTIME_CHRONYD", "chronyd")
CHRONYC = os.environ.get("NANOTIME_CHRONYC", "chronyc")
FAKETIME_GLOB = "/usr/lib/*/faketime/libfaketime.so.1"  # Debian package `faketime`, any arch

# `chronyc -c tracking`, in chrony 4.3's field order.
TRACKING_FIELDS = [
    ("ref_id", str),            # hex, e.g. "47505300"
    ("ref_name", str),          # refid name / address, e.g. "GPS"
    ("stratum", int),
    ("ref_time_s", float),      # Unix time of the last update
    ("system_time_s", float),   # + = system SLOW of NTP time (= true - system)
    ("last_offset_s", float),   # offset at the last update (chronyc's sign, + = system fast)
    ("rms_offset_s", float),
    ("frequency_ppm", float),   # as printed by chronyc -c (negative = "slow" in the text format)
    ("residual_freq_ppm", float),
    ("skew_ppm", float),
    ("root_delay_s", float),
    ("root_dispersion_s", float),
    ("update_interval_s", float),
    ("leap_status", str),       # "Normal", "Insert second", "Delete second", "Not synchronised"
]

# `chronyc -c sources`, in chrony 4.3's field order.
SOURCES_FIELDS = [
    ("mode", str),              # '#' refclock, '^' server, '=' peer
    ("state", str),             # '*' selected, '+' combined, '-' not combined, '?' unusable,
                                # 'x' falseticker, '~' too variable
    ("name", str),
    ("stratum", int),
    ("poll", int),
    ("reach", lambda s: int(s, 8)),  # chronyc prints it in octal; this is the integer
    ("last_rx_s", int),         # seconds since the last sample (chronyc's LastRx)
    ("offset_s", float),        # adjusted offset of the last sample, + = system FAST of source
    ("measured_offset_s", float),
    ("error_s", float),
]


def die_with_parent():
    """preexec_fn for daemons a test starts: SIGKILL them when the test process dies, even if it
    is killed itself (ctest timeout), so no chronyd outlives its test."""
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_PDEATHSIG = 1
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class HarnessError(AssertionError):
    """A test precondition or wait failed; the message says what and shows chronyd's state."""


def require_tool(name):
    path = shutil.which(name) or (shutil.which(name, path="/usr/sbin:/sbin:/usr/bin:/bin"))
    if not path:
        raise HarnessError(f"{name} is not installed (apt install chrony): the test cannot run")
    return path


def _parse_csv(text, fields, what):
    rows = []
    for row in csv.reader(io.StringIO(text)):
        if not row:
            continue
        if len(row) != len(fields):
            raise HarnessError(f"unexpected `chronyc -c {what}` line ({len(row)} fields, "
                               f"expected {len(fields)}): {','.join(row)}")
        rows.append({name: conv(value) for (name, conv), value in zip(fields, row)})
    return rows


def faketime_env(offset_s):
    """Environment that runs a process with CLOCK_REALTIME shifted by offset_s (libfaketime,
    Debian package `faketime`). Give the SAME env to chronyd and to every sample writer, so
    they agree on the time. Monotonic clocks are left alone."""
    libs = sorted(glob.glob(FAKETIME_GLOB))
    if not libs:
        raise HarnessError(f"{FAKETIME_GLOB} missing (apt install faketime): the test cannot run")
    return {
        "LD_PRELOAD": libs[0],
        "FAKETIME": f"{offset_s:+d}",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "FAKETIME_NO_CACHE": "1",
        # A sanitizer build must accept a preloaded library in front of its runtime.
        "ASAN_OPTIONS": "verify_asan_link_order=0:" + os.environ.get("ASAN_OPTIONS", ""),
    }


def seconds_until_next_leap_day(now=None, hour=12):
    """Whole seconds from now to `hour`:00 UTC of the next 30 June or 31 December: chrony 4.3
    announces a leap second only on those days (reference.c is_leap_second_day)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    candidates = []
    for year in (now.year, now.year + 1):
        for month, day in ((6, 30), (12, 31)):
            t = datetime.datetime(year, month, day, hour, tzinfo=datetime.timezone.utc)
            if t > now:
                candidates.append(t)
    return int((min(candidates) - now).total_seconds())


class Chronyd:
    def __init__(self, refclock_lines, extra_conf=(), name="chronyd", env=None):
        """refclock_lines / extra_conf: chrony.conf lines; '{dir}' is replaced by self.dir.
        env: extra environment for chronyd (e.g. faketime_env())."""
        self.chronyd = require_tool(CHRONYD)
        self.chronyc_path = require_tool(CHRONYC)
        self.name = name
        self.env = dict(env or {})
        self.dir = tempfile.mkdtemp(prefix=f"nanotime-{name}-")
        os.chmod(self.dir, 0o700)
        self.conf_path = os.path.join(self.dir, "chrony.conf")
        self.log_path = os.path.join(self.dir, "chronyd.log")
        self.sock_path = os.path.join(self.dir, "chronyd.sock")
        self.proc = None
        self._log = None
        self.last_output = ""
        lines = [l.format(dir=self.dir) for l in list(refclock_lines) + list(extra_conf)]
        conf = [
            "# generated by tests/integration/chronyharness.py",
            *lines,
            "port 0",
            "cmdport 0",
            f"bindcmdaddress {self.sock_path}",
            f"pidfile {self.dir}/chronyd.pid",
            f"driftfile {self.dir}/drift",
            f"dumpdir {self.dir}",
            f"logdir {self.dir}",  # only written to with a `log ...` line (see refclock_samples)
            # No rtc, no logs to system dirs, no leap-second table: the test decides everything.
        ]
        with open(self.conf_path, "w") as f:
            f.write("\n".join(conf) + "\n")

    # -- lifetime ---------------------------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        # Stop chronyd first and whatever happens (printing can fail too, e.g. a closed pipe).
        try:
            self.stop()
            if exc_type is not None and not issubclass(exc_type, HarnessError):
                self.print_log_tail()
        finally:
            try:
                self.stop()  # no-op unless the first stop() raised
            finally:
                shutil.rmtree(self.dir, ignore_errors=True)
        return False

    def start(self, timeout_s=10.0):
        """Start chronyd and wait (bounded) until its command socket answers."""
        if self.proc is not None and self.proc.poll() is None:
            raise HarnessError(f"{self.name} already running")
        self._log = open(self.log_path, "a")
        env = dict(os.environ)
        env.update(self.env)
        self.proc = subprocess.Popen([self.chronyd, "-x", "-u", "root", "-d", "-f", self.conf_path],
                                     stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                     preexec_fn=die_with_parent)
        deadline = time.monotonic() + timeout_s
        while True:
            if self.proc.poll() is not None:
                self.print_log_tail()
                raise HarnessError(f"{self.name} exited at start with status {self.proc.returncode}")
            if os.path.exists(self.sock_path):
                r = self._run_chronyc(["-c", "tracking"], check=False)
                if r.returncode == 0:
                    return
            if time.monotonic() > deadline:
                self.print_log_tail()
                raise HarnessError(f"{self.name} did not answer on {self.sock_path} in {timeout_s} s")
            time.sleep(0.05)

    def stop(self):
        """SIGTERM, then SIGKILL after 5 s. Safe to call twice."""
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
                proc.kill()  # interrupted (Ctrl-C, ...): never leave chronyd behind
            raise
        finally:
            if self._log:
                self._log.close()
                self._log = None

    def kill(self):
        """SIGKILL (for restart tests): chronyd leaves its sockets behind, as after a crash."""
        if self.proc is None:
            return
        self.proc.kill()
        self.proc.wait(timeout=5)
        self.proc = None
        if self._log:
            self._log.close()
            self._log = None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    # -- chronyc ----------------------------------------------------------------------------
    def _run_chronyc(self, args, check=True):
        r = subprocess.run([self.chronyc_path, "-h", self.sock_path, "-n", *args],
                           capture_output=True, text=True, timeout=10)
        self.last_output = f"$ chronyc {' '.join(args)}\n{r.stdout}{r.stderr}"
        if check and r.returncode != 0:
            raise HarnessError(f"chronyc {' '.join(args)} failed ({r.returncode}): "
                               f"{r.stdout}{r.stderr}")
        return r

    def chronyc(self, *args):
        """Raw text output of `chronyc -h {dir}/chronyd.sock -n ARGS`."""
        return self._run_chronyc(list(args)).stdout

    def chronyc_csv(self, *args):
        """`chronyc -c ARGS` as a list of rows (lists of strings)."""
        out = self._run_chronyc(["-c", *args]).stdout
        return [row for row in csv.reader(io.StringIO(out)) if row]

    def tracking(self):
        """Parsed `chronyc -c tracking` (see TRACKING_FIELDS and the sign notes at the top)."""
        rows = _parse_csv(self._run_chronyc(["-c", "tracking"]).stdout, TRACKING_FIELDS, "tracking")
        if len(rows) != 1:
            raise HarnessError(f"`chronyc -c tracking` gave {len(rows)} lines")
        return rows[0]

    def sources(self):
        """Parsed `chronyc -c sources` (see SOURCES_FIELDS)."""
        return _parse_csv(self._run_chronyc(["-c", "sources"]).stdout, SOURCES_FIELDS, "sources")

    def source(self, name):
        """The `sources()` row named `name`, or None."""
        for s in self.sources():
            if s["name"] == name:
                return s
        return None

    def refclock_samples(self, refid=None):
        """Raw samples from {dir}/refclocks.log -- needs `log refclocks` in extra_conf.
        One dict per sample as chronyd received it: time (str), refid, leap ('N', '+', '-',
        '?'), raw_offset_s (true - system exactly as the driver got it; chrony's sign for
        pulses too), cooked_offset_s, dispersion_s. Filter outputs (raw '-') are skipped."""
        path = os.path.join(self.dir, "refclocks.log")
        samples = []
        try:
            with open(path) as f:
                lines = f.readlines()
        except OSError:
            return samples
        for line in lines:
            p = line.split()
            if len(p) != 9 or p[0].startswith("=") or p[0] == "Date" or p[6] == "-":
                continue
            if refid is not None and p[2] != refid:
                continue
            samples.append({"time": f"{p[0]} {p[1]}", "refid": p[2], "leap": p[4],
                            "raw_offset_s": float(p[6]), "cooked_offset_s": float(p[7]),
                            "dispersion_s": float(p[8])})
        return samples

    # -- waiting ----------------------------------------------------------------------------
    def wait_for(self, predicate, timeout_s, what, interval_s=0.2):
        """Poll predicate() until it returns a truthy value, which is returned. chronyc errors
        inside predicate count as "not yet". On timeout: HarnessError naming `what`, with the
        last chronyc output, `chronyc sources`/`tracking` and the tail of chronyd's log."""
        deadline = time.monotonic() + timeout_s
        last_error = None
        while True:
            try:
                result = predicate()
                if result:
                    return result
            except HarnessError as e:
                last_error = e
            if not self.running():
                raise HarnessError(f"{self.name} died while waiting for: {what}\n"
                                   f"--- tail of {self.name} log ---\n{self.log_tail()}")
            if time.monotonic() > deadline:
                break
            time.sleep(interval_s)
        last = self.last_output
        raise HarnessError(f"timed out after {timeout_s} s waiting for: {what}\n"
                           f"last error: {last_error}\nlast chronyc output:\n{last}\n"
                           f"{self._state_for_humans()}\n"
                           f"--- tail of {self.name} log ---\n{self.log_tail()}")

    def _state_for_humans(self):
        out = []
        for args in (["sources"], ["tracking"]):
            try:
                out.append(self._run_chronyc(args, check=False).stdout)
            except Exception as e:  # reporting only, never hide the real failure
                out.append(f"chronyc {args}: {e}")
        return "\n".join(out)

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no chronyd log)"

    def print_log_tail(self, lines=40):
        print(f"--- tail of {self.name} log ({self.log_path}) ---\n{self.log_tail(lines)}---", flush=True)
