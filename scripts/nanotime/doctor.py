"""nanotime-doctor: is this time server healthy, and if not, what to do.

Each check prints one line -- OK / WARN / FAIL, what it saw -- and, unless OK, what to do:

  config   /etc/nanotime/nanotime.toml present and valid (as phc-pps-sync and gps-sock-bridge
           read it: `--print-config -c FILE`)
  phc      the PHC exists and a pin is set to EXTTS (sysfs pins/<NAME> = "1 <channel>")
  link     carrier on the PTP interface (no carrier: the PHY repeats stale timestamps)
  pulses   EXTTS events at 1 Hz: phc-pps-sync's pulse counters, read twice, WINDOW s apart
  lock     phc-pps-sync's lock state, clockClass, error bound
  system   the NTP half (phc-pps-sync's /status "system"): what NTP clients can be promised
           (the system clock's bound), the PHC read bracket p50/p99/max, the slow-read rate,
           with a GPIO PPS the GPIO - PHC difference (median, min) and its alarm; and whether
           chronyd's PHC0 `delay` in the drop-in covers that bound
  gpsd     gpsd answers, the receiver has a fix (TPV mode >= 2), gpsd sees the PPS
  receiver phc-pps-sync's receiver watch (/status "receiver"): fixed time mode, antenna OK,
           jamming low, UBX-TIM-TP arriving; else what to do (nanotime receiver configure)
  leap     tzdata's leap-seconds.list has not expired (WARN < 30 days)
  chrony   `chronyc -c sources`: PHC0 selected ('*'), reach 377
  nts      only when chrony serves NTS (ntsservercert): the certificate readable, not expired
           (WARN < 30 days), it and its key readable by _chrony (nts_check.py)
  ptp4l    `pmc`: port state, the clockClass ptp4l announces (248 = not traceable)
  daemons  phc-pps-sync and gps-sock-bridge active (systemctl, or pidof without systemd)

Exit status: 0 all OK, 1 warnings, 2 failures, 64 bad usage.

Every default (the status address, gpsd's, ptp4l's socket...) comes from the daemons
themselves: `phc-pps-sync --print-config` lists every key with its default, and with
`-c FILE` the value the file gives it. They are looked for in $NANOTIME_BIN_DIR, /usr/sbin,
/usr/bin and $PATH.

Every input can be replaced for tests: --root for the files (/sys, /etc, /usr/share), and
--fixtures DIR for the rest (see FixtureEnv): recorded command outputs, status JSON documents,
gpsd's JSON lines.
"""

import argparse
import csv
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

try:
    import tomllib
except ImportError:  # pragma: no cover
    tomllib = None

from . import hw, nts_check
from . import bundle  # nanotime doctor --bundle (bundle.py)

OK, WARN, FAIL = "OK", "WARN", "FAIL"
RANK = {OK: 0, WARN: 1, FAIL: 2}
EXIT_USAGE = 64

PPS_SYNC, BRIDGE = "phc-pps-sync", "gps-sock-bridge"
STATUS_TABLE = "phc-pps-sync.status"
# Other programs' own defaults, used only when phc-pps-sync cannot be asked (not installed).
TZDATA_LEAP_FILE = "/usr/share/zoneinfo/leap-seconds.list"
PTP4L_UDS = "/var/run/ptp4l"
GPSD_ADDRESS = ("127.0.0.1", 2947)

CHECKS = ("config", "phc", "link", "pulses", "lock", "system", "gpsd", "receiver", "leap", "chrony",
          "nts", "ptp4l", "daemons")
NTP_UNIX_OFFSET_S = 2208988800  # 1900-01-01 to 1970-01-01
DAY_S = 86400
CHRONY_DROPIN = "/etc/chrony/conf.d/nanotime.conf"
SLOW_READ_WARN = 0.05  # more than 5 % of PHC read requests too slow to use: a busy box
JAMMING_HIGH = 100  # u-blox jamming indicator 0 (none) .. 255 (strong); the dashboard uses the same

# Where each value is in phc-pps-sync's /status JSON (lib/status/status_json.hpp):
#   ("top", key)                       -> doc[key]
#   ("value", metric)                  -> doc["metrics"][metric]["value"] (or its only series)
#   ("state", metric)                  -> doc["metrics"][metric]["state"]   (a state set)
#   ("series", metric, {label: value}) -> the value of the series with those labels
# Align this table when the status JSON changes; everything else reads through it.
STATUS_FIELDS = {
    "time_s": ("top", "time_s"),
    "lock_state": ("state", "nanotime_lock_state"),
    "pulses_seen": ("series", "nanotime_pulses_total", {"result": "seen"}),
    "pulses_lost": ("series", "nanotime_pulses_total", {"result": "lost"}),
    "clock_class": ("value", "nanotime_clock_class"),
    "error_bound_s": ("value", "nanotime_error_bound_seconds"),
    "link_up": ("value", "nanotime_phc_link_up"),
}


def status_field(doc, name):
    """A value from a /status document via STATUS_FIELDS; None when absent or null."""
    spec = STATUS_FIELDS[name]
    try:
        if spec[0] == "top":
            return doc.get(spec[1])
        metric = doc["metrics"][spec[1]]
        if spec[0] == "state":
            return metric.get("state")
        if spec[0] == "value":
            if "value" in metric:
                return metric["value"]
            series = metric.get("series", [])
            return series[0]["value"] if len(series) == 1 else None
        for s in metric.get("series", []):
            if all(s.get("labels", {}).get(k) == v for k, v in spec[2].items()):
                return s.get("value")
    except (KeyError, TypeError, IndexError, AttributeError):
        return None
    return None


def _num(v):
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _us(ns):
    return f"{ns:.0f} ns" if abs(ns) < 1000 else f"{ns / 1000:.1f} µs"


def _bracket_text(sys_):
    p50, p99, mx = (_num(sys_.get(k)) for k in ("bracket_p50_ns", "bracket_p99_ns", "bracket_max_ns"))
    text = ""
    if None not in (p50, p99, mx):
        text = f"PHC read bracket p50 {_us(p50)}, p99 {_us(p99)}, max {_us(mx)}"
    rate = _slow_rate(sys_)
    if rate is not None:
        text += (", " if text else "") + (f"{rate * 100:.1f} % slow "
                                          f"({sys_.get('slow_rejected', 0)} of {sys_.get('read_requests', 0)})")
    return text


def _slow_rate(sys_):
    req, slow = _num(sys_.get("read_requests")), _num(sys_.get("slow_rejected"))
    return slow / req if req and slow is not None else None


def _gpio_text(sys_):
    med, mn = _num(sys_.get("gpio_difference_p50_ns")), _num(sys_.get("gpio_min_difference_ns"))
    dev = sys_.get("gpio_device") or "GPIO"
    if med is None or mn is None:
        return f"GPIO PPS {dev}: no difference measured yet"
    return f"GPIO − PHC ({dev}) median {_us(med)}, min {_us(mn)}"


class Result:
    def __init__(self, check, verdict, message, hint=""):
        self.check = check
        self.verdict = verdict
        self.message = message
        self.hint = hint

    def as_dict(self):
        return {"check": self.check, "verdict": self.verdict, "message": self.message,
                "hint": self.hint}


def find_program(name):
    """Path of an installed (or, for tests, built) nanotime program, or None."""
    for d in (os.environ.get("NANOTIME_BIN_DIR"), "/usr/sbin", "/usr/bin"):
        if d and os.access(os.path.join(d, name), os.X_OK):
            return os.path.join(d, name)
    return shutil.which(name)


def flatten(table, name):
    """{(table, key): value} of a TOML table and its sub-tables ("name.sub")."""
    out = {}
    for k, v in table.items():
        if isinstance(v, dict):
            out.update(flatten(v, f"{name}.{k}"))
        else:
            out[(name, k)] = v
    return out


# -- the outside world, and its fixture twin -------------------------------------------------------
class Env:
    """Real inputs: commands, the status endpoint, gpsd, the clock."""

    def __init__(self, root, now=None):
        self.root = root
        self._now = now

    def now(self):
        return self._now if self._now is not None else time.time()

    def sleep(self, seconds):
        time.sleep(seconds)

    def run(self, key, argv, timeout_s=10):
        """(returncode, stdout, stderr); returncode None when the program is not installed.
        `key` names the command for FixtureEnv."""
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s)
        except FileNotFoundError:
            return None, "", f"{argv[0]}: not installed"
        except subprocess.TimeoutExpired:
            return 124, "", f"{' '.join(argv)}: no answer in {timeout_s} s"
        return r.returncode, r.stdout, r.stderr

    def http_json(self, url, timeout_s=3):
        with urllib.request.urlopen(url, timeout=timeout_s) as r:
            return json.loads(r.read().decode("utf-8"))

    def program_config(self, program, path=None):
        """({(table, key): value}, error) from `program --print-config [-c path]`: the
        defaults, or the values `path` gives. The dict is None when the program cannot say
        (not installed, or it rejects the file: then error is its message)."""
        exe = find_program(program)
        if exe is None:
            return None, f"{program} not found (looked in $NANOTIME_BIN_DIR, /usr/sbin, /usr/bin, $PATH)"
        argv = [exe, "--print-config", *(["-c", path] if path else [])]
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            if r.returncode != 0:
                lines = r.stderr.strip().splitlines() or [f"exit status {r.returncode}"]
                return None, lines[-1].replace(f"{program}: error: ", "", 1)
            keys = json.loads(r.stdout)["keys"]
        except (OSError, subprocess.TimeoutExpired, ValueError, KeyError) as e:
            return None, f"{program} --print-config: {e}"
        return {(k["table"], k["key"]): k["value"] for k in keys}, ""

    def gpsd_reports(self, host, port, seconds, done):
        """gpsd's JSON reports for up to `seconds` (WATCH json+pps), stopping early when
        done(reports) is true. Raises OSError when gpsd cannot be reached."""
        reports = []
        deadline = time.monotonic() + seconds
        with socket.create_connection((host, port), timeout=2) as s:
            s.sendall(b'?WATCH={"enable":true,"json":true,"pps":true};\n')
            buf = b""
            while time.monotonic() < deadline and not done(reports):
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
                        reports.append(json.loads(line))
                    except ValueError:
                        pass  # a partial or non-JSON line: ignore, gpsd sends whole objects
        return reports


class FixtureEnv(Env):
    """Inputs from a directory, for tests:
        commands/<key>.out  stdout of the command `key` (.err: stderr, .rc: exit status,
                            default 0); no .out file = the program is not installed
        status.json         phc-pps-sync's /status (or status.1.json, status.2.json, ...:
                            one per request, the last one repeated)
        gpsd.jsonl          what gpsd sends after ?WATCH (no file = connection refused)
    The daemons' --print-config is not replaced: the defaults are the built programs'.
    Command keys: chronyc-sources, pmc-port-data-set, pmc-grandmaster-settings-np,
    systemctl-is-active, pidof-phc-pps-sync, pidof-gps-sock-bridge."""

    def __init__(self, root, fixtures, now=None):
        super().__init__(root, now)
        self.dir = fixtures
        self.status_requests = 0
        self.commands = []  # (key, argv) in order, for tests

    def sleep(self, seconds):
        pass

    def _read(self, name):
        try:
            with open(os.path.join(self.dir, name)) as f:
                return f.read()
        except FileNotFoundError:
            return None

    def run(self, key, argv, timeout_s=10):
        self.commands.append((key, argv))
        out = self._read(f"commands/{key}.out")
        if out is None:
            return None, "", f"{argv[0]}: not installed (fixture)"
        rc = self._read(f"commands/{key}.rc")
        return int(rc.strip()) if rc else 0, out, self._read(f"commands/{key}.err") or ""

    def http_json(self, url, timeout_s=3):
        self.status_requests += 1
        n = self.status_requests
        while n > 0:
            text = self._read(f"status.{n}.json")
            if text is not None:
                return json.loads(text)
            n -= 1
        text = self._read("status.json")
        if text is None:
            raise ConnectionRefusedError(111, f"Connection refused (fixture, {url})")
        return json.loads(text)

    def gpsd_reports(self, host, port, seconds, done):
        text = self._read("gpsd.jsonl")
        if text is None:
            raise ConnectionRefusedError(111, "Connection refused (fixture)")
        return [json.loads(l) for l in text.splitlines() if l.strip()]


# -- the checks ---------------------------------------------------------------------------------
class Doctor:
    def __init__(self, args, env):
        self.args = args
        self.env = env
        self.root = args.root
        self.config, self.config_error = self._load_config()
        self.table = self.config.get(PPS_SYNC, {}) if self.config else {}
        self.settings, self.rejected, self.unknown = self._load_settings()
        self._status = None
        self._phc_cache = None

    # shared inputs -----------------------------------------------------------------------------
    def _load_config(self):
        path = hw.under(self.root, self.args.config)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return None, "missing"
        except OSError as e:
            return None, f"unreadable: {e.strerror}"
        if tomllib is None:
            return {}, None
        try:
            return tomllib.loads(data.decode("utf-8")), None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            return None, f"invalid: {e}"

    def _load_settings(self):
        """(phc-pps-sync's effective settings {(table, key): value}, the daemons' complaint
        about the file or "", why the defaults are unknown or "")."""
        rejected, effective = "", None
        if self.config_error is None:
            path = hw.under(self.root, self.args.config)
            for program in (PPS_SYNC, BRIDGE):
                settings, err = self.env.program_config(program, path)
                if settings is None and find_program(program):
                    # Name the file as the user knows it, not under --root.
                    rejected = rejected or err.replace(path, self.args.config)
                elif program == PPS_SYNC:
                    effective = settings
            if effective is not None and not rejected:
                return effective, "", ""
        # No file, or one the daemons reject: the defaults, with what the file says on top.
        defaults, unknown = self.env.program_config(PPS_SYNC)
        settings = dict(defaults or {})
        settings.update(flatten(self.table, PPS_SYNC))
        return settings, rejected, unknown

    def setting(self, key, table=PPS_SYNC):
        """phc-pps-sync's value of `key` (None when unknown)."""
        return self.settings.get((table, key))

    def phc_and_iface(self):
        """(Phc or None, interface name or None, error message)."""
        if self._phc_cache is None:
            want_if = self.args.interface or self.table.get("interface")
            want_phc = self.args.phc or self.table.get("device")
            try:
                det = hw.detect(self.root, want_if, want_phc)
                self._phc_cache = (det.phc, det.iface.name, "")
            except hw.DetectError as e:
                self._phc_cache = (None, want_if, str(e))
        return self._phc_cache

    def status_url(self):
        if self.args.status:
            return self.args.status
        listen = self.setting("listen", STATUS_TABLE)
        if not self.setting("enabled", STATUS_TABLE) or not listen or listen.startswith("unix:"):
            return None
        return f"http://{listen}/status?history=0"

    def status_pair(self):
        """Two /status documents WINDOW seconds apart: (first, second, error)."""
        if self._status is None:
            url = self.status_url()
            if url is None:
                why = (f"its address is unknown: {self.unknown}" if self.unknown else
                       "its endpoint is off or on a Unix socket ([phc-pps-sync.status] in "
                       "nanotime.toml; --status URL)")
                self._status = (None, None, why)
            else:
                try:
                    first = self.env.http_json(url)
                    self.env.sleep(self.args.window)
                    second = self.env.http_json(url)
                    self._status = (first, second, "")
                except (OSError, ValueError) as e:
                    self._status = (None, None, f"{url}: {getattr(e, 'reason', None) or e}")
        return self._status

    def ptp4l_target(self):
        """(uds path, domain) of ptp4l's management socket: flags, nanotime.toml, ptp4l.cfg."""
        uds = self.args.ptp4l_socket or self.setting("ptp4l_socket") or PTP4L_UDS
        domain = self.args.ptp4l_domain
        if domain is None:
            domain = self.setting("ptp4l_domain") or 0
        return uds, int(domain)

    # checks -----------------------------------------------------------------------------------
    def check_config(self):
        shown = self.args.config
        if self.config_error == "missing":
            return Result("config", FAIL, f"{shown} missing",
                          "run nanotime-setup (it detects the interface and writes the file)")
        if self.config_error:
            return Result("config", FAIL, f"{shown} {self.config_error}",
                          "fix the file (phc-pps-sync --check-config shows the line), or move "
                          "it away and run nanotime-setup")
        if ("interface" in self.table) == ("device" in self.table) and tomllib is not None:
            return Result("config", FAIL, f"{shown}: [phc-pps-sync] needs exactly one of "
                          "interface / device", "run nanotime-setup, or set interface = \"eth0\"")
        if self.rejected:
            return Result("config", FAIL, self.rejected,
                          "fix the line named (phc-pps-sync --check-config, gps-sock-bridge "
                          "--check-config)")
        what = (f"interface {self.table['interface']}" if "interface" in self.table
                else f"device {self.table.get('device')}")
        if self.unknown:
            return Result("config", WARN, f"{shown} is TOML ({what}), not checked: {self.unknown}",
                          "install phc-pps-sync and gps-sock-bridge (or set NANOTIME_BIN_DIR); "
                          "the other checks assume the usual addresses")
        return Result("config", OK, f"{shown} valid ({what})")

    def check_phc(self):
        phc, iface, err = self.phc_and_iface()
        if phc is None:
            return Result("phc", FAIL, err or "no PTP hardware clock",
                          "check `ethtool -T <interface>` shows a PTP Hardware Clock")
        where = f"{phc.device} ({phc.clock_name or 'PHC'}) behind {iface}"
        pins = hw.pin_functions(self.root, phc.index)
        if not pins:
            return Result("phc", WARN, f"{where}: no programmable pins in sysfs",
                          "cannot verify the EXTTS pin; see journalctl -u phc-pps-sync")
        extts = [f"{n} = EXTTS channel {c}" for n, (f, c) in pins.items() if f == 1]
        if extts:
            return Result("phc", OK, f"{where}; pin {', '.join(extts)}")
        perout = [n for n, (f, _) in pins.items() if f == 2]
        if perout:
            return Result("phc", FAIL, f"{where}: pin {', '.join(perout)} is a periodic output "
                          "(PEROUT), not EXTTS",
                          "another program configured the pin (ts2phc, testptp, a PPS output?): "
                          "stop it, then systemctl restart phc-pps-sync")
        names = ", ".join(f"{n} = none" for n in pins)
        return Result("phc", FAIL, f"{where}: pin function not set ({names})",
                      "phc-pps-sync sets the pin to EXTTS when it starts: is it running? "
                      "(systemctl status phc-pps-sync; journalctl -u phc-pps-sync)")

    def check_link(self):
        phc, iface, _ = self.phc_and_iface()
        if not iface:
            return Result("link", FAIL, "no PTP interface known", "see the phc check")
        path = hw.under(self.root, f"sys/class/net/{iface}/carrier")
        if not os.path.lexists(hw.under(self.root, f"sys/class/net/{iface}")):
            return Result("link", FAIL, f"interface {iface} does not exist",
                          "check the interface name in nanotime.toml (ip link)")
        try:
            with open(path) as f:
                carrier = f.read().strip()
        except OSError:
            return Result("link", FAIL, f"{iface} is down",
                          f"bring it up (ip link set {iface} up; check the network config)")
        if carrier == "1":
            return Result("link", OK, f"{iface} carrier up")
        return Result("link", FAIL, f"{iface}: no carrier",
                      "plug in the Ethernet cable: without a link the PHY clock repeats stale "
                      "timestamps and PTP cannot run")

    def check_pulses(self):
        first, second, err = self.status_pair()
        if err:
            return Result("pulses", FAIL, f"cannot read phc-pps-sync's status ({err})",
                          "is phc-pps-sync running? (systemctl status phc-pps-sync)")
        t0, t1 = status_field(first, "time_s"), status_field(second, "time_s")
        n0, n1 = status_field(first, "pulses_seen"), status_field(second, "pulses_seen")
        l0, l1 = status_field(first, "pulses_lost"), status_field(second, "pulses_lost")
        if None in (t0, t1, n0, n1):
            return Result("pulses", FAIL, "the status has no pulse counters "
                          "(nanotime_pulses_total{result=\"seen\"}) or time_s",
                          "nanotime-doctor and phc-pps-sync versions do not match")
        dt, seen = t1 - t0, n1 - n0
        lost = (l1 - l0) if None not in (l0, l1) else 0
        if dt <= 0:
            return Result("pulses", WARN, "status time did not advance between two reads",
                          "run again; if it persists, phc-pps-sync's main loop is stuck")
        rate = f"{seen / dt:.2f} pulses/s ({seen:g} in {dt:.1f} s), {lost:g} lost"
        if seen == 0:
            return Result("pulses", FAIL, f"no PPS edge captured by the PHC in {dt:.1f} s",
                          "check the PPS wire to SYNC_OUT (CM4 IO board J2 pin 9, CM5 J2 "
                          "pin 6), its voltage, and that the receiver has a fix")
        if seen > dt + 1.5:
            return Result("pulses", WARN, f"more than one pulse per second: {rate}",
                          "no link carrier (stale repeats), or a both-edges PHC without "
                          "both_edges = true in nanotime.toml")
        if seen < dt - 1.5:
            return Result("pulses", WARN, f"pulses missing: {rate}",
                          "a weak or intermittent PPS; check wiring and signal level")
        if lost > 0:
            return Result("pulses", WARN, rate,
                          "pulses lost: another program reads the PHC (chrony `refclock PHC` "
                          "or `hwtimestamp`, phc2sys); on a CM4 only phc-pps-sync may")
        return Result("pulses", OK, rate)

    def check_lock(self):
        _, second, err = self.status_pair()
        if err:
            return Result("lock", FAIL, f"cannot read phc-pps-sync's status ({err})",
                          "is phc-pps-sync running? (systemctl status phc-pps-sync)")
        state = status_field(second, "lock_state")
        cls = status_field(second, "clock_class")
        bound = status_field(second, "error_bound_s")
        detail = (f"clockClass {cls:g}" if isinstance(cls, (int, float)) else "clockClass ?")
        if isinstance(bound, (int, float)):
            detail += f", error bound {bound * 1e9:.0f} ns"
        if state == "tracking":
            return Result("lock", OK, f"tracking, {detail}")
        if state in ("acquiring", "converging"):
            return Result("lock", WARN, f"{state}, {detail}",
                          "normal for the first minutes after a start; if it stays, check "
                          "the pulses and gpsd checks")
        if state == "holdover":
            return Result("lock", WARN, f"holdover, {detail}",
                          "the PPS or the time of day is missing: see the pulses and gpsd "
                          "checks; time is served until the error bound exceeds the limit")
        if state == "freerun":
            return Result("lock", FAIL, f"freerun, {detail}",
                          "no usable PPS for longer than the holdover limit: see the pulses "
                          "and gpsd checks")
        return Result("lock", FAIL, f"unknown lock state {state!r}",
                      "phc-pps-sync has not reported a state yet, or versions do not match")

    def check_system(self):
        _, second, err = self.status_pair()
        if err:
            return Result("system", FAIL, f"cannot read phc-pps-sync's status ({err})",
                          "is phc-pps-sync running? (systemctl status phc-pps-sync)")
        sys_ = second.get("system") if isinstance(second, dict) else None
        if not isinstance(sys_, dict):
            return Result("system", WARN, "phc-pps-sync does not report the system clock "
                          "(no \"system\" in its status)", "update nanotime (phc-pps-sync and "
                          "nanotime-doctor from the same version)")
        bound = _num(sys_.get("bound_ns"))
        if bound is None:
            return Result("system", WARN, "no sample sent to chronyd yet: the system clock's "
                          "bound is unknown", "wait for lock (see the lock check); if it stays, "
                          "PHC reads fail or are all slow: journalctl -u phc-pps-sync")
        how = ", ".join(x for x in (sys_.get("method"), sys_.get("latch_model")) if x)
        parts = [f"NTP can promise ±{_us(bound)}" + (f" ({how})" if how else "")]
        parts.append(_bracket_text(sys_))
        slow = _slow_rate(sys_)
        if sys_.get("gpio_configured"):
            parts.append(_gpio_text(sys_))
        message = "; ".join(p for p in parts if p)
        if sys_.get("alarm"):
            off = _num(sys_.get("disagreement_ns"))
            return Result("system", WARN, f"GPIO PPS ALARM: GPIO and PHC disagree"
                          + (f" by {_us(off)}" if off is not None else "") + f"; {message}",
                          "the system clock may be off by more than chronyd was told: check "
                          "that the GPIO and SYNC_OUT carry the same PPS, and "
                          "gpio_latency_floor_ns (docs/user-guide.md, GPIO PPS)")
        told = self._chrony_promise_ns()
        if told is not None and told < bound:
            return Result("system", WARN, f"chronyd tells clients ±{_us(told)} (PHC0 delay "
                          f"{told * 2e-9:g} in {CHRONY_DROPIN}) but the bound is ±{_us(bound)}; "
                          f"{message}", "run nanotime-setup again (it writes the delay for this "
                          "box), or set PHC0's delay to at least twice the bound")
        if slow is not None and slow > SLOW_READ_WARN:
            return Result("system", WARN, message, "many PHC reads are too slow to use: a "
                          "busy CPU or MDIO bus (another program reading the PHC?)")
        return Result("system", OK, message)

    def _chrony_promise_ns(self):
        """Half the PHC0 `delay` of the chrony drop-in (what chronyd adds to the root
        distance), in ns; None when the drop-in or the line is missing."""
        try:
            with open(hw.under(self.root, CHRONY_DROPIN)) as f:
                text = f.read()
        except OSError:
            return None
        for line in text.splitlines():
            words = line.split("#")[0].split()
            if words[:1] == ["refclock"] and "PHC0" in words and "delay" in words[:-1]:
                try:
                    return float(words[words.index("delay") + 1]) / 2 * 1e9
                except ValueError:
                    return None
        return None

    def check_gpsd(self):
        host = self.setting("gpsd_host") or GPSD_ADDRESS[0]
        port = int(self.setting("gpsd_port") or GPSD_ADDRESS[1])
        if self.args.gpsd:
            host, _, p = self.args.gpsd.rpartition(":")
            host, port = host or "127.0.0.1", int(p)

        def done(reports):
            mode = max((r.get("mode", 0) for r in reports if r.get("class") == "TPV"), default=0)
            return mode >= 2 and any(r.get("class") == "PPS" for r in reports)

        try:
            reports = self.env.gpsd_reports(host, port, self.args.gpsd_seconds, done)
        except OSError as e:
            return Result("gpsd", FAIL, f"gpsd not reachable at {host}:{port} ({e.strerror or e})",
                          "systemctl status gpsd; DEVICES and GPSD_OPTIONS=\"-n\" in "
                          "/etc/default/gpsd")
        devices = [d.get("path") for r in reports if r.get("class") == "DEVICES"
                   for d in r.get("devices", [])]
        tpv = [r for r in reports if r.get("class") == "TPV"]
        pps = [r for r in reports if r.get("class") == "PPS"]
        toff = [r for r in reports if r.get("class") == "TOFF"]
        mode = max((r.get("mode", 0) for r in tpv), default=0)
        seconds = self.args.gpsd_seconds
        if not tpv:
            hint = ("gpsd has no device: set DEVICES in /etc/default/gpsd" if not devices else
                    "check the receiver's wiring (TX to RX), its baud rate, and that nothing "
                    "else (a login console) uses the UART")
            return Result("gpsd", FAIL, f"no TPV report from gpsd in {seconds:g} s "
                          f"(devices: {', '.join(devices) or 'none'})", hint)
        if mode < 2:
            return Result("gpsd", FAIL, f"no fix (TPV mode {mode})",
                          "the antenna needs a clear sky view; a cold start takes minutes "
                          "(cgps shows the satellites)")
        fix = "3D fix" if mode >= 3 else "2D fix"
        if not pps:
            return Result("gpsd", WARN, f"{fix}, but no PPS report from gpsd "
                          f"({len(toff)} TOFF)",
                          "gpsd needs the pps-gpio device: /dev/pps0 in DEVICES, the "
                          "dtoverlay=pps-gpio line in config.txt, the PPS wired to that GPIO "
                          "(ppstest /dev/pps0)")
        qerr = "with qErr" if any("qErr" in r for r in pps) else "no qErr"
        return Result("gpsd", OK, f"{fix}, {len(pps)} PPS ({qerr}), {len(toff)} TOFF")

    def check_receiver(self):
        _, second, err = self.status_pair()
        if err:
            return Result("receiver", FAIL, f"cannot read phc-pps-sync's status ({err})",
                          "is phc-pps-sync running? (systemctl status phc-pps-sync)")
        rx = second.get("receiver") if isinstance(second, dict) else None
        if not isinstance(rx, dict) or not rx.get("watched"):
            return Result("receiver", OK, "not watched (receiver_watch = false, tod_source = "
                          "\"system\", or an older phc-pps-sync): the bound assumes a fixed "
                          "position")
        if not rx.get("connected"):
            return Result("receiver", WARN, "the receiver watch is not connected to gpsd",
                          "see the gpsd check; journalctl -u phc-pps-sync")
        model, mode = rx.get("model") or "", rx.get("time_mode") or "unknown"
        if not model and mode == "unknown":
            return Result("receiver", WARN, "no UBX messages from the receiver (not a u-blox, "
                          "or its UBX output is off): time mode, antenna and jamming unknown",
                          "for a u-blox timing receiver: nanotime receiver configure (enables "
                          "TIM-TP, TIM-SVIN, MON-HW/MON-RF)")
        verdict, problems, hints = OK, [], []

        def finding(v, text, hint):
            nonlocal verdict
            verdict = v if RANK[v] > RANK[verdict] else verdict
            problems.append(text)
            hints.append(hint)

        _receiver_mode_finding(rx, mode, finding)
        antenna = rx.get("antenna") or "unknown"
        if antenna in ("short", "open"):
            finding(FAIL, f"antenna {'short circuit' if antenna == 'short' else 'open circuit'}",
                    "check the antenna cable and connectors (an active antenna on a receiver "
                    "that supervises it)")
        elif antenna == "off":
            finding(WARN, "antenna power off", "the receiver does not power the antenna: an "
                    "active antenna needs it (receiver's antenna supply settings)")
        jam = _num(rx.get("jamming_indicator"))
        if jam is not None and jam > JAMMING_HIGH:
            finding(WARN, f"jamming indicator {jam:.0f} of 255 (high)", "interference near "
                    "the antenna or its cable: move it away from transmitters and switching "
                    "supplies; check the cable's shield")
        if not rx.get("timtp_present"):
            finding(WARN, "no UBX-TIM-TP: the pulses' qErr is not corrected (a few ns worse)",
                    "nanotime receiver configure (enables TIM-TP)")
        sats = _num(rx.get("satellites_used"))
        what = f"{model or 'receiver'}" + (f" ({rx['firmware']})" if rx.get("firmware") else "")
        facts = f"{what}, {mode}, antenna {antenna}" + (
            f", jamming {jam:.0f}" if jam is not None else "") + (
            f", {sats:.0f} satellites" if sats is not None else "")
        if verdict == OK:
            return Result("receiver", OK, facts + ", TIM-TP present")
        return Result("receiver", verdict, "; ".join(problems) + f" ({facts})", "; ".join(hints))

    def check_leap(self):
        # "" (phc-pps-sync does not read one): tzdata's list still matters to chronyd.
        rel = self.setting("leap_seconds_file") or TZDATA_LEAP_FILE
        path = hw.under(self.root, rel)
        try:
            with open(path, errors="replace") as f:
                lines = f.read().splitlines()
        except OSError as e:
            return Result("leap", WARN, f"{rel}: {e.strerror}",
                          "apt install tzdata (TAI-UTC then comes from gpsd only)")
        expiry = None
        for line in lines:
            if line.startswith("#@"):
                try:
                    expiry = int(line[2:].split()[0]) - NTP_UNIX_OFFSET_S
                except (ValueError, IndexError):
                    pass
        if expiry is None:
            return Result("leap", WARN, f"{rel} has no expiry line (#@)",
                          "the file looks damaged: apt install --reinstall tzdata")
        days = (expiry - self.env.now()) / DAY_S
        date = time.strftime("%Y-%m-%d", time.gmtime(expiry))
        if days < 0:
            return Result("leap", FAIL, f"{rel} expired on {date}",
                          "apt update && apt install tzdata (a newer tzdata has a new list)")
        if days < 30:
            return Result("leap", WARN, f"{rel} expires on {date} ({days:.0f} days)",
                          "update tzdata soon (apt update && apt install tzdata)")
        return Result("leap", OK, f"leap-seconds.list valid until {date} ({days:.0f} days)")

    def check_chrony(self):
        argv = ["chronyc", "-c", "-n"]
        if self.args.chrony_socket:
            argv += ["-h", self.args.chrony_socket]
        rc, out, err = self.env.run("chronyc-sources", argv + ["sources"])
        if rc is None:
            return Result("chrony", FAIL, "chronyc not installed", "apt install chrony")
        if rc != 0:
            why = (err.strip() or out.strip() or f"chronyc exit status {rc}").splitlines()[-1]
            return Result("chrony", FAIL, f"chronyd does not answer ({why})",
                          "systemctl status chrony")
        rows = [r for r in csv.reader(io.StringIO(out)) if len(r) >= 10]
        refid = self.args.chrony_refid
        row = next((r for r in rows if r[2] == refid), None)
        selected = next((r[2] for r in rows if r[1] == "*"), None)
        if row is None:
            return Result("chrony", FAIL, f"no {refid} source in chronyd",
                          "/etc/chrony/conf.d/nanotime.conf missing (run nanotime-setup), or "
                          "chrony not restarted since (systemctl restart chrony)")
        state, reach = row[1], int(row[5], 8)
        try:  # no offset to show before the first sample
            offset = f", offset {round(float(row[7]) * 1e9) + 0:+d} ns" if reach else ""
        except ValueError:
            offset = ""
        seen = f"{refid} state '{state}', reach {reach:o}{offset}"
        if state == "*" and reach == 0o377:
            return Result("chrony", OK, f"{refid} selected, reach 377{offset}")
        if state == "*":
            return Result("chrony", WARN, f"{seen}: selected, but samples missed recently",
                          "phc-pps-sync sends only while locked: see the lock and pulses checks")
        others = f" (selected: {selected})" if selected else " (no source selected)"
        hints = {
            "?": "no usable samples: phc-pps-sync sends only while tracking (lock check); "
                 "a stale socket after a chrony restart heals by itself within seconds",
            "x": "chronyd calls it a falseticker: the nanotime.conf line must keep `trust`",
            "~": "too variable: look at the pulses check and the PHC offset in nanotime-status",
        }
        return Result("chrony", FAIL, f"{refid} not selected: {seen}{others}",
                      hints.get(state, "compare with `chronyc sources -v`"))

    def check_nts(self):
        r = nts_check.check(self.args.root, self.env.now(), "nts" in (self.args.check or ()))
        return Result("nts", *r) if r else None

    def check_ptp4l(self):
        uds, domain = self.ptp4l_target()
        base = ["pmc", "-u", "-b", "0", "-d", str(domain), "-s", uds]
        for _ in range(3):  # pmc waits ~100 ms for an answer: a busy ptp4l can miss it
            rc, out, err = self.env.run("pmc-port-data-set", base + ["GET PORT_DATA_SET"])
            if rc is None:
                return Result("ptp4l", FAIL, "pmc not installed", "apt install linuxptp")
            port = parse_pmc(out, "PORT_DATA_SET")
            if port:
                break
        if rc != 0 or not port:
            return Result("ptp4l", FAIL, f"ptp4l does not answer on {uds} (domain {domain})",
                          "systemctl status 'ptp4l@*'; nanotime-setup enables "
                          "ptp4l@<interface>.service")
        state = port.get("portState", "?")
        for _ in range(3):
            rc, out, err = self.env.run("pmc-grandmaster-settings-np",
                                        base + ["GET GRANDMASTER_SETTINGS_NP"])
            gm = parse_pmc(out, "GRANDMASTER_SETTINGS_NP") if rc == 0 else {}
            if gm:
                break
        try:
            cls = int(gm.get("clockClass", ""), 0)
        except ValueError:
            cls = None
        seen = f"port {state}, announcing clockClass {cls if cls is not None else '?'}"
        results = []
        if state in ("FAULTY", "DISABLED", "INITIALIZING"):
            results.append((FAIL, "the port is not working: journalctl -u 'ptp4l@*' (on a CM4, "
                            "tx_timestamp_timeout 100 is needed; the shipped config has it)"))
        elif state == "LISTENING":
            results.append((WARN, "not announcing yet (link down, or just started)"))
        elif state in ("SLAVE", "UNCALIBRATED", "PASSIVE", "PRE_MASTER"):
            results.append((WARN, "another grandmaster on the network is better: it wins the "
                            "BMCA (compare clockClass and priority1)"))
        if cls is None:
            results.append((WARN, "could not read GRANDMASTER_SETTINGS_NP"))
        elif cls == 248:
            lock = status_field(self.status_pair()[1] or {}, "lock_state")
            why = ("248 = not traceable (ptp4l's start value), so clients do not trust it. "
                   "phc-pps-sync raises it to 6 once locked, over ptp4l's socket: "
                   "ptp4l_socket/ptp4l_domain in nanotime.toml must match ptp4l.cfg's "
                   f"uds_address/domainNumber ({uds}, {domain})")
            results.append((WARN if lock in ("acquiring", "converging") else FAIL, why))
        elif cls in (7, 52, 187):
            results.append((WARN, f"{cls} = holdover/degraded: see the lock check"))
        elif cls == 255:
            results.append((FAIL, "255 = slave-only: this is not configured as a grandmaster"))
        elif cls != 6:
            results.append((WARN, f"unexpected clockClass {cls}"))
        if not results:
            return Result("ptp4l", OK, seen)
        worst = max(results, key=lambda r: RANK[r[0]])[0]
        return Result("ptp4l", worst, seen, "; ".join(h for _, h in results))

    def check_daemons(self):
        units = ("phc-pps-sync", "gps-sock-bridge")
        rc, out, _ = self.env.run("systemctl-is-active",
                                  ["systemctl", "is-active", *(f"{u}.service" for u in units)])
        states = out.split()
        if rc is None or len(states) != len(units):
            states = []  # no systemd: look for the processes
            for u in units:
                prc, pout, _ = self.env.run(f"pidof-{u}", ["pidof", u])
                states.append("running" if prc == 0 and pout.strip() else "not running")
        status = dict(zip(units, states))
        seen = ", ".join(f"{u} {s}" for u, s in status.items())
        good = ("active", "running")
        if status["phc-pps-sync"] not in good:
            return Result("daemons", FAIL, seen,
                          "systemctl start phc-pps-sync; its errors: journalctl -u phc-pps-sync")
        if status["gps-sock-bridge"] not in good:
            return Result("daemons", WARN, seen,
                          "the GPS/PPS cross-checks are missing: systemctl start "
                          "gps-sock-bridge; journalctl -u gps-sock-bridge")
        return Result("daemons", OK, seen)

    def run(self, names):
        results = (getattr(self, f"check_{n}")() for n in names)
        return [r for r in results if r is not None]  # None: not applicable here (nts)


def _receiver_mode_finding(rx, mode, finding):
    """The time mode's finding: only fixed mode gives the receiver's best pulse."""
    if mode == "survey_in":
        dur, acc = _num(rx.get("survey_duration_s")), _num(rx.get("survey_accuracy_m"))
        progress = (f"{dur:.0f} s" if dur is not None else "") + (
            f", ±{acc:.1f} m" if acc is not None else "")
        finding(WARN, "receiver surveying its position" + (f" ({progress})" if progress else "")
                + ": accuracy limited by position until the survey ends",
                "wait for the survey to end (nanotime receiver status); if it never does, "
                "loosen the survey's accuracy limit in [receiver] and run nanotime receiver "
                "survey --restart")
    elif mode == "navigation":
        finding(WARN, "receiver not in a time mode (navigation): accuracy limited by position",
                "nanotime receiver configure (survey-in), or nanotime receiver fix-position "
                "with a surveyed position")
    elif mode != "fixed":
        finding(WARN, "receiver time mode unknown (no UBX-TIM-SVIN)",
                "nanotime receiver configure (enables TIM-SVIN), then nanotime receiver status")


def parse_pmc(text, dataset):
    """{field: value} of the first `dataset` response in pmc's output, {} if none."""
    fields, inside = {}, False
    for line in text.splitlines():
        if "RESPONSE MANAGEMENT" in line:
            if inside:
                break
            inside = line.split()[-1] == dataset
            continue
        if inside and line.strip():
            parts = line.split(None, 1)
            fields[parts[0]] = parts[1].strip() if len(parts) > 1 else ""
    return fields


# -- main -----------------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def parse_args(argv):
    p = _Parser(prog="nanotime-doctor",
                description="Check a nanotime time server: PHC and pin, link, PPS pulses, lock, "
                            "gpsd, the receiver, leap-seconds.list, chronyd, ptp4l, the daemons.",
                epilog="Exit status: 0 all OK, 1 warnings, 2 failures, 64 usage. See "
                       "nanotime-doctor(8).")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--check", action="append", choices=CHECKS, metavar="NAME",
                   help=f"run only these checks (repeatable): {', '.join(CHECKS)}")
    p.add_argument("--config", default="/etc/nanotime/nanotime.toml", metavar="FILE")
    p.add_argument("--interface", metavar="IF", help="default: from nanotime.toml")
    p.add_argument("--phc", metavar="DEV", help="default: the PHC behind the interface")
    p.add_argument("--status", metavar="URL", help="phc-pps-sync's status JSON (default "
                   "http://<listen of [phc-pps-sync.status]>/status?history=0)")
    p.add_argument("--window", type=float, default=5.0, metavar="S",
                   help="seconds between the two status reads of the pulses check (default 5)")
    p.add_argument("--gpsd", metavar="HOST:PORT", help="default: phc-pps-sync's gpsd_host "
                   "and gpsd_port")
    p.add_argument("--gpsd-seconds", type=float, default=4.0, metavar="S",
                   help="how long to listen to gpsd at most (default 4)")
    p.add_argument("--chrony-socket", metavar="PATH", help="chronyd's command socket "
                   "(chronyc -h; default chronyc's)")
    p.add_argument("--chrony-refid", default="PHC0", metavar="REFID")
    p.add_argument("--ptp4l-socket", metavar="PATH", help="default: phc-pps-sync's "
                   "ptp4l_socket")
    p.add_argument("--ptp4l-domain", type=int, metavar="N")
    p.add_argument("--root", default="/", metavar="DIR",
                   help="read /sys, /etc, /usr/share under DIR (tests)")
    p.add_argument("--fixtures", metavar="DIR", help="take command outputs, status JSON and "
                   "gpsd reports from DIR instead of the system (tests)")
    p.add_argument("--now", type=float, metavar="UNIX_S", help="the current time (tests)")
    bundle.add_arguments(p)
    args = p.parse_args(argv)
    if args.window < 0 or args.gpsd_seconds <= 0:
        p.error("--window must be >= 0 and --gpsd-seconds > 0")
    if args.bundle:
        try:
            bundle.parse_duration(args.duration)
        except ValueError as e:
            p.error(f"--duration {e}")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    env = (FixtureEnv(args.root, args.fixtures, args.now) if args.fixtures
           else Env(args.root, args.now))
    results = Doctor(args, env).run(args.check or CHECKS)
    worst = max((r.verdict for r in results), key=RANK.get, default=OK)
    code = RANK[worst]
    if args.json:
        json.dump({"verdict": worst, "exit": code,
                   "checks": [r.as_dict() for r in results]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for r in results:
            print(f"{r.verdict:<5}{r.check:<9}{r.message}")
            if r.hint and r.verdict != OK:
                print(f"{'':14}-> {r.hint}")
        counts = {v: sum(r.verdict == v for r in results) for v in (OK, WARN, FAIL)}
        print(f"nanotime-doctor: {counts[OK]} OK, {counts[WARN]} WARN, {counts[FAIL]} FAIL")
    if args.bundle:
        return bundle.write(args, env, results, worst, code, find_program, sys.stderr)
    return code
