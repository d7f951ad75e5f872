"""Two network namespaces joined by a veth pair, and real ptp4l/pmc inside them
(Python 3 standard library only; tests run as root).

    with NetnsPair("cfg") as net:                       # ns A 192.0.2.1/24 <-veth-> ns B 192.0.2.2/24
        gm = net.ptp4l(net.ns_a, ["[global]", "masterOnly 1", "time_stamping software",
                                  "free_running 1"], name="gm")
        slave = net.ptp4l(net.ns_b, ["[global]", "slaveOnly 1", "time_stamping software",
                                     "free_running 1"], name="slave")
        gm.wait_for_port_state("MASTER", 30)
        slave.wait_for_port_state(SLAVE_STATES, 30)   # free_running: UNCALIBRATED, see below
        parent = slave.parent_data_set()       # {"grandmasterClockClass": 248, ...}
        p = net.popen(net.ns_b, ["sleep", "1"], name="sleeper")   # logs to net.dir/sleeper.log

Guarantees:
  - Unique names per run: namespaces are "ntime-<pid>-<n>-a"/"-b", so parallel runs and
    leftovers never collide. Interfaces live only inside the namespaces (veth_a in A, veth_b in
    B); the root namespace is never touched. 192.0.2.0/24 is TEST-NET-1 (RFC 5737).
  - Cleanup on every exit path (exception, KeyboardInterrupt, SIGTERM while inside the `with`):
    every process started here is stopped (SIGTERM, then SIGKILL), any other process left in
    the namespaces is killed, the namespaces are deleted, the temp dir removed (kept with
    keep_dir=True or NANOTIME_KEEP_TMP=1 for debugging).
  - sweep_stale() (run automatically on entry) deletes "ntime-<pid>-*" namespaces whose <pid>
    no longer exists: what a SIGKILLed earlier run left behind.
  - A missing `ip`, `ptp4l` or `pmc` raises HarnessError: a failure, never a skip.

Ptp4l runs as `ptp4l -f <conf> -i <iface> -m -q --uds_address=<private>` (and a private
--uds_ro_address on linuxptp >= 4), logging to <dir>/<name>.log. Its management helpers use
`pmc -u -b 0 -d <domainNumber of the config> -s <uds>`; pmc must use the ptp4l's domain
(e.g. 24 for G.8275.1) or ptp4l ignores the request.
"""

import itertools
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

NS_PREFIX = "ntime-"
# Port states of a port that chose a remote master. A slave with free_running 1 (which the tests
# need: with software timestamping its clock would be the host's CLOCK_REALTIME) stays in
# UNCALIBRATED, because ptp4l never reports its servo locked without adjusting the clock.
SLAVE_STATES = ("UNCALIBRATED", "SLAVE")
_counter = itertools.count()


class HarnessError(AssertionError):
    """A precondition or a bounded wait failed; the message says what, logs are printed."""


def require_tool(name, package):
    """Absolute path of `name` (also searched in the sbin dirs), or HarnessError."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/bin:/bin")
    if not path:
        raise HarnessError(f"{name} is not installed (apt install {package}): the test cannot run")
    return path


def _run(argv, timeout=10, check=True):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise HarnessError(f"`{' '.join(argv)}` failed ({r.returncode}): {r.stdout}{r.stderr}")
    return r


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _netns_pids(ip, ns):
    r = _run([ip, "netns", "pids", ns], check=False)
    return [int(p) for p in r.stdout.split() if p.isdigit()]


def _kill_netns_processes(ip, ns):
    """SIGKILL every process still inside `ns` (strays a test forgot or a crashed run left)."""
    for pid in _netns_pids(ip, ns):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 3
    while _netns_pids(ip, ns) and time.monotonic() < deadline:
        time.sleep(0.05)


def list_namespaces(ip=None):
    ip = ip or require_tool("ip", "iproute2")
    r = _run([ip, "netns", "list"], check=False)
    # Lines look like "name" or "name (id: 3)".
    return [line.split()[0] for line in r.stdout.splitlines() if line.strip()]


def sweep_stale(ip=None):
    """Delete namespaces "ntime-<pid>-..." whose creating process is gone. Returns their names."""
    ip = ip or require_tool("ip", "iproute2")
    removed = []
    for ns in list_namespaces(ip):
        m = re.match(re.escape(NS_PREFIX) + r"(\d+)-", ns)
        if not m or _pid_alive(int(m.group(1))):
            continue
        _kill_netns_processes(ip, ns)
        _run([ip, "netns", "delete", ns], check=False)
        removed.append(ns)
    return removed


def _tail(path, lines=40):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return f"({path} missing)"


class Process:
    """A process started in a namespace, stdout+stderr to `log_path`."""

    def __init__(self, argv, ns, name, log_path, popen_argv, env=None):
        self.argv = list(argv)
        self.ns = ns
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "a")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(popen_argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=full_env)
        self.pid = self.proc.pid

    def running(self):
        return self.proc.poll() is None

    def returncode(self):
        return self.proc.poll()

    def wait(self, timeout):
        """Wait (bounded) for the process to exit; returns its status."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise HarnessError(f"{self.name} still running after {timeout} s\n{self.log_tail()}")

    def stop(self, timeout=5.0):
        """SIGTERM, then SIGKILL after `timeout`. Safe to call twice. Returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if not self._log.closed:
            self._log.close()
        return self.proc.returncode

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, lines=40):
        return f"--- tail of {self.name} log ({self.log_path}) ---\n{_tail(self.log_path, lines)}---"


class NetnsPair:
    """Namespaces ns_a (if_a, ip_a) and ns_b (if_b, ip_b) joined by a veth pair."""

    def __init__(self, name="pair", addr_a="192.0.2.1/24", addr_b="192.0.2.2/24",
                 keep_dir=False):
        self.ip = require_tool("ip", "iproute2")
        self.name = name
        tag = f"{NS_PREFIX}{os.getpid()}-{next(_counter)}"
        self.ns_a, self.ns_b = f"{tag}-a", f"{tag}-b"
        self.if_a, self.if_b = "veth_a", "veth_b"
        self.addr_a, self.addr_b = addr_a, addr_b
        self.ip_a, self.ip_b = addr_a.split("/")[0], addr_b.split("/")[0]
        self.keep_dir = keep_dir or os.environ.get("NANOTIME_KEEP_TMP") == "1"
        self.dir = None
        self.processes = []
        self._created = []
        self._old_sigterm = None

    # -- lifetime ---------------------------------------------------------------------------
    def __enter__(self):
        try:
            self.setup()
        except BaseException:
            self.cleanup()
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.print_logs()
        self.cleanup()
        return False

    def setup(self):
        self._install_sigterm()
        sweep_stale(self.ip)
        self.dir = tempfile.mkdtemp(prefix=f"nanotime-netns-{self.name}-")
        os.chmod(self.dir, 0o700)
        for ns in (self.ns_a, self.ns_b):
            _run([self.ip, "netns", "add", ns])
            self._created.append(ns)
            _run([self.ip, "-n", ns, "link", "set", "lo", "up"])
        # Both ends are created directly inside the namespaces: nothing appears in the root one.
        _run([self.ip, "-n", self.ns_a, "link", "add", self.if_a, "type", "veth",
              "peer", "name", self.if_b, "netns", self.ns_b])
        for ns, ifname, addr in ((self.ns_a, self.if_a, self.addr_a),
                                 (self.ns_b, self.if_b, self.addr_b)):
            _run([self.ip, "-n", ns, "addr", "add", addr, "dev", ifname])
            _run([self.ip, "-n", ns, "link", "set", ifname, "up"])
        self._wait_link_up()

    def _wait_link_up(self, timeout_s=10.0):
        deadline = time.monotonic() + timeout_s
        while True:
            states = [_run([self.ip, "-n", ns, "-o", "link", "show", ifname]).stdout
                      for ns, ifname in ((self.ns_a, self.if_a), (self.ns_b, self.if_b))]
            if all("LOWER_UP" in s for s in states):
                return
            if time.monotonic() > deadline:
                raise HarnessError(f"veth pair not up after {timeout_s} s: {states}")
            time.sleep(0.05)

    def cleanup(self):
        """Stop our processes, kill strays, delete the namespaces and the temp dir. Idempotent."""
        if self._old_sigterm is not None:
            # A second SIGTERM must not interrupt the cleanup the first one started.
            try:
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
            except ValueError:
                pass
        errors = []
        for p in reversed(self.processes):
            try:
                p.stop()
            except Exception as e:  # keep cleaning up; report at the end
                errors.append(f"stopping {p.name}: {e}")
        self.processes = []
        for ns in reversed(self._created):
            try:
                _kill_netns_processes(self.ip, ns)
                _run([self.ip, "netns", "delete", ns], check=False)
            except Exception as e:
                errors.append(f"deleting {ns}: {e}")
        self._created = []
        if self.dir and not self.keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)
        elif self.dir:
            print(f"netnsharness: kept {self.dir}", flush=True)
        self._restore_sigterm()
        if errors:
            raise HarnessError("cleanup problems: " + "; ".join(errors))

    def _install_sigterm(self):
        # ctest (timeout) and users send SIGTERM: turn it into an exception so `with` cleans up.
        try:
            if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
                def on_term(signum, frame):
                    raise KeyboardInterrupt(f"signal {signum}")
                self._old_sigterm = signal.signal(signal.SIGTERM, on_term)
        except ValueError:  # not in the main thread: leave signals alone
            self._old_sigterm = None

    def _restore_sigterm(self):
        if self._old_sigterm is not None:
            try:
                signal.signal(signal.SIGTERM, self._old_sigterm)
            except ValueError:
                pass
            self._old_sigterm = None

    # -- running things ---------------------------------------------------------------------
    def other(self, ns):
        return self.ns_b if ns == self.ns_a else self.ns_a

    def iface(self, ns):
        """The veth end inside `ns`."""
        if ns == self.ns_a:
            return self.if_a
        if ns == self.ns_b:
            return self.if_b
        raise HarnessError(f"{ns} is not one of this pair's namespaces")

    def address(self, ns):
        """The IPv4 address (no prefix) inside `ns`."""
        return self.ip_a if ns == self.ns_a else self.ip_b

    def exec_argv(self, ns, argv):
        """argv that runs `argv` inside `ns` (for callers that need their own Popen)."""
        self.iface(ns)
        return [self.ip, "netns", "exec", ns, *argv]

    def popen(self, ns, argv, name=None, env=None):
        """Start argv inside `ns`; stdout+stderr go to <dir>/<name>.log. Stopped at cleanup."""
        name = name or os.path.basename(argv[0])
        names = {p.name for p in self.processes}
        base, n = name, 1
        while name in names:
            n += 1
            name = f"{base}-{n}"
        p = Process(argv, ns, name, os.path.join(self.dir, f"{name}.log"),
                    self.exec_argv(ns, argv), env)
        self.processes.append(p)
        return p

    def run(self, ns, argv, timeout=10, check=True):
        """Run argv inside `ns` to completion (bounded); CompletedProcess with text output."""
        try:
            return _run(self.exec_argv(ns, argv), timeout=timeout, check=check)
        except subprocess.TimeoutExpired:
            raise HarnessError(f"`{' '.join(argv)}` in {ns} took more than {timeout} s")

    def ptp4l(self, ns, config, iface=None, name=None, extra_args=(), start=True):
        """A Ptp4l in `ns` on its veth end (or `iface`). config: list of lines, or a file path."""
        p = Ptp4l(self, ns, config, iface or self.iface(ns), name or f"ptp4l-{ns[-1]}",
                  extra_args)
        if start:
            p.start()
        return p

    def write_file(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def print_logs(self, lines=40):
        for p in self.processes:
            print(p.log_tail(lines), flush=True)


# -- ptp4l / pmc ------------------------------------------------------------------------------

def read_config_lines(config):
    """A ptp4l config given as a list of lines or a file path -> list of lines."""
    if isinstance(config, (str, os.PathLike)):
        with open(config) as f:
            return f.read().splitlines()
    return list(config)


def config_value(lines, key, section="global", default=None):
    """Value of `key` in [section] of a ptp4l config (last one wins, as in ptp4l)."""
    current, value = None, default
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"\[(.+)\]", line)
        if m:
            current = m.group(1).strip()
            continue
        parts = line.split(None, 1)
        if current == section and parts[0] == key:
            value = parts[1].strip() if len(parts) > 1 else ""
    return value


def software_variant(lines):
    """The config with `time_stamping hardware` -> software (everything else kept), for veth,
    which has no PHC. Raises if the config has no time_stamping line to rewrite."""
    out, found = [], False
    for raw in lines:
        m = re.match(r"(\s*time_stamping\s+)(\S+)(.*)$", raw)
        if m:
            found = True
            out.append(f"{m.group(1)}software{m.group(3)}")
        else:
            out.append(raw)
    if not found:
        raise HarnessError("config has no time_stamping line to rewrite")
    return out


def _typed(value):
    """pmc values: decimal and 0x-hex integers become int, everything else stays str."""
    try:
        return int(value, 0)
    except ValueError:
        return value


def parse_pmc(text, dataset):
    """Parse `pmc` output for one `dataset` response into {field: str}. A missing response (no
    'RESPONSE MANAGEMENT <dataset>' block) raises HarnessError."""
    fields, inside, seen = {}, False, False
    for line in text.splitlines():
        if "RESPONSE MANAGEMENT" in line:
            inside = line.split()[-1] == dataset
            seen = seen or inside
            continue
        if "MANAGEMENT" in line or line.startswith("sending:"):
            inside = False
            continue
        if inside and line.strip():
            parts = line.split(None, 1)
            fields[parts[0]] = parts[1].strip() if len(parts) > 1 else ""
    if not seen:
        raise HarnessError(f"pmc gave no {dataset} response:\n{text}")
    return fields


class Ptp4l:
    def __init__(self, net, ns, config, iface, name, extra_args=()):
        self.ptp4l_path = require_tool("ptp4l", "linuxptp")
        self.pmc_path = require_tool("pmc", "linuxptp")
        self.net, self.ns, self.iface, self.name = net, ns, iface, name
        self.lines = read_config_lines(config)
        self.domain = int(config_value(self.lines, "domainNumber", default="0"), 0)
        self.transport_specific = config_value(self.lines, "transportSpecific", default="0")
        self.conf_path = net.write_file(f"{name}.conf", "\n".join(self.lines) + "\n")
        self.uds = os.path.join(net.dir, f"{name}.uds")
        self.extra_args = list(extra_args)
        self.process = None
        self.last_pmc_output = ""

    _version = None

    @classmethod
    def version(cls):
        """(major, minor) of the installed ptp4l, e.g. (3, 1); asked once per process."""
        if cls._version is None:
            r = _run([require_tool("ptp4l", "linuxptp"), "-v"], check=False)
            m = re.match(r"(\d+)\.(\d+)", (r.stdout + r.stderr).strip())
            cls._version = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        return cls._version

    def argv(self):
        argv = [self.ptp4l_path, "-f", self.conf_path, "-i", self.iface, "-m", "-q",
                f"--uds_address={self.uds}"]
        if self.version() >= (4, 0):  # 4.x adds a read-only socket, default /var/run/ptp4lro
            argv.append(f"--uds_ro_address={self.uds}ro")
        return argv + self.extra_args

    def start(self):
        if self.process is not None and self.process.running():
            raise HarnessError(f"{self.name} already running")
        self.process = self.net.popen(self.ns, self.argv(), name=self.name)
        return self

    def stop(self):
        return self.process.stop() if self.process else None

    def running(self):
        return self.process is not None and self.process.running()

    @property
    def log_path(self):
        return self.process.log_path

    def log_text(self):
        return self.process.log_text() if self.process else ""

    def _check_alive(self, what):
        if not self.running():
            raise HarnessError(f"{self.name} exited (status {self.process.returncode()}) "
                               f"while waiting for {what}\n{self.process.log_tail()}")

    # -- pmc --------------------------------------------------------------------------------
    def pmc(self, command, timeout=5):
        """Raw output of `pmc -u -b 0 -d <domain> -s <uds> '<command>'` run in our namespace."""
        argv = [self.pmc_path, "-u", "-b", "0", "-d", str(self.domain),
                "-t", str(self.transport_specific), "-s", self.uds, command]
        r = self.net.run(self.ns, argv, timeout=timeout, check=False)
        self.last_pmc_output = f"$ pmc ... '{command}'\n{r.stdout}{r.stderr}"
        if r.returncode != 0:
            raise HarnessError(f"pmc '{command}' failed ({r.returncode}): {r.stdout}{r.stderr}")
        return r.stdout

    def get(self, dataset, typed=True, retries=3):
        """GET <dataset> -> dict (ints where the value is an integer, else str). pmc over UDS
        waits ~100 ms for an answer; a busy ptp4l may miss it, so a few tries are made."""
        last = None
        for _ in range(retries):
            out = self.pmc(f"GET {dataset}")
            try:
                fields = parse_pmc(out, dataset)
                return {k: _typed(v) for k, v in fields.items()} if typed else fields
            except HarnessError as e:
                last = e
                self._check_alive(f"GET {dataset}")
        raise last

    def port_data_set(self):
        return self.get("PORT_DATA_SET")

    def default_data_set(self):
        return self.get("DEFAULT_DATA_SET")

    def parent_data_set(self):
        """pmc's keys (parentPortIdentity, grandmasterIdentity, gm.ClockClass, gm.ClockAccuracy,
        gm.OffsetScaledLogVariance, grandmasterPriority1/2, ...) plus the aliases
        grandmasterClockClass, grandmasterClockAccuracy, grandmasterOffsetScaledLogVariance."""
        d = self.get("PARENT_DATA_SET")
        for short, long in (("gm.ClockClass", "grandmasterClockClass"),
                            ("gm.ClockAccuracy", "grandmasterClockAccuracy"),
                            ("gm.OffsetScaledLogVariance", "grandmasterOffsetScaledLogVariance")):
            if short in d:
                d.setdefault(long, d[short])
        return d

    def time_properties(self):
        """Keys: currentUtcOffset, leap61, leap59, currentUtcOffsetValid, ptpTimescale,
        timeTraceable, frequencyTraceable, timeSource."""
        return self.get("TIME_PROPERTIES_DATA_SET")

    def current_data_set(self):
        return self.get("CURRENT_DATA_SET")

    def clock_identity(self):
        return self.default_data_set()["clockIdentity"]

    def port_state(self):
        return self.port_data_set()["portState"]

    def set_grandmaster_settings(self, **changes):
        """SET GRANDMASTER_SETTINGS_NP: the fields not given keep their current values
        (read with GET first, since the SET needs all of them). Returns the GET after the SET."""
        cur = self.get("GRANDMASTER_SETTINGS_NP", typed=False)
        order = ["clockClass", "clockAccuracy", "offsetScaledLogVariance", "currentUtcOffset",
                 "leap61", "leap59", "currentUtcOffsetValid", "ptpTimescale", "timeTraceable",
                 "frequencyTraceable", "timeSource"]
        unknown = set(changes) - set(order)
        if unknown:
            raise HarnessError(f"unknown GRANDMASTER_SETTINGS_NP fields: {sorted(unknown)}")
        # pmc reads these three as hexadecimal even without "0x": always write them as 0x...
        hex_fields = {"clockAccuracy", "offsetScaledLogVariance", "timeSource"}

        def fmt(k, v):
            if isinstance(v, bool):
                return str(int(v))
            if isinstance(v, int):
                return f"{v:#x}" if k in hex_fields else str(v)
            return str(v)
        values = {k: changes.get(k, cur.get(k)) for k in order}
        cmd = "SET GRANDMASTER_SETTINGS_NP " + " ".join(f"{k} {fmt(k, v)}"
                                                        for k, v in values.items())
        out = self.pmc(cmd)
        parse_pmc(out, "GRANDMASTER_SETTINGS_NP")
        return self.get("GRANDMASTER_SETTINGS_NP")

    # -- waiting ----------------------------------------------------------------------------
    def wait_for_port_state(self, state, timeout_s=30.0, interval_s=0.2):
        """Wait until the port is in `state` ("MASTER", "LISTENING", ...; or a tuple of states,
        e.g. SLAVE_STATES), by pmc's portState, or by the log ("to MASTER on ...") if pmc does
        not answer. Returns the state reached. On timeout: HarnessError with the log tail and
        the last pmc output.
        A free_running slave never leaves UNCALIBRATED (ptp4l's clock_no_adjust() always reports
        an unlocked servo), so wait for SLAVE_STATES there, not "SLAVE"."""
        states = (state,) if isinstance(state, str) else tuple(state)
        start = time.monotonic()
        deadline = start + timeout_s
        while True:
            self._check_alive(f"port state {state}")
            try:
                # pmc is authoritative (the log also shows states that were left again) ...
                current = self.port_state()
                if current in states:
                    return current
            except HarnessError:
                # ... but a ptp4l too busy to answer pmc still logs its transitions.
                transitions = re.findall(r"\bto ([A-Z_]+) on\b", self.log_text())
                if transitions and transitions[-1] in states:
                    return transitions[-1]
            if time.monotonic() > deadline:
                raise HarnessError(f"{self.name}: port not {'/'.join(states)} after {timeout_s} s\n"
                                   f"last pmc:\n{self.last_pmc_output}\n{self.process.log_tail()}")
            time.sleep(interval_s)

    def wait_for(self, predicate, timeout_s, what, interval_s=0.2):
        """Poll predicate(self) until truthy (returned); pmc errors count as 'not yet'."""
        deadline = time.monotonic() + timeout_s
        last_error = None
        while True:
            self._check_alive(what)
            try:
                result = predicate(self)
                if result:
                    return result
            except HarnessError as e:
                last_error = e
            if time.monotonic() > deadline:
                raise HarnessError(f"{self.name}: timed out after {timeout_s} s waiting for {what}"
                                   f"\nlast error: {last_error}\nlast pmc:\n{self.last_pmc_output}"
                                   f"\n{self.process.log_tail()}")
            time.sleep(interval_s)
