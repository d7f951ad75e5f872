"""phc-pps-sync in realtime simulation with its status endpoint on TCP, and the clients the
metrics, endpoint and dashboard tests share (Python 3 standard library, plus Debian's
python3-prometheus-client for parse_metrics()).

    with HttpPhcPpsSync("rt-outage-short.toml", {"chrony_socket": ""}) as d:
        d.wait_for(lambda: d.lock_state() == "tracking", 60, "tracking")
        code, headers, body = d.get("/metrics")
        m = parse_metrics(body.decode())        # {(sample name, labels): value}

The daemon itself is started by tests/integration/daemon/daemonharness.py (PhcPpsSync); this
only moves status_listen to TCP ("127.0.0.1:0": the daemon picks a free port and logs it in
its "started:" line, so parallel runs never collide) and reads /status over it.
"""

import http.client
import json
import math
import os
import re
import signal
import socket
import sys
import threading
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_HERE, "..", "daemon"))

from daemonharness import DaemonError, PhcPpsSync  # noqa: E402

PROFILE_DIR = os.path.join(_HERE, "profiles")


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        raise AssertionError(what)


def cleanup_on_sigterm():
    """SIGTERM (ctest's timeout, a user) raises KeyboardInterrupt, so every `with` block stops
    its daemon, browser or namespace instead of leaving them behind."""
    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_term)


def profile_path(name):
    return os.path.join(PROFILE_DIR, name)


class HttpPhcPpsSync(PhcPpsSync):
    """PhcPpsSync whose status endpoint is TCP. settings["status_listen"] = None leaves the key
    out of the configuration (the daemon's default, 127.0.0.1:8473)."""

    def __init__(self, profile, settings, client_ns=None, **kw):
        """client_ns: the network namespace our HTTP clients connect from (the daemon's, when
        it runs in one: its loopback is not ours)."""
        s = {"status_listen": "127.0.0.1:0"}
        s.update(settings)
        if os.path.sep not in profile:
            profile = profile_path(profile)
        super().__init__(profile, s, **kw)
        self.host, self.port = None, None
        self.client_ns = client_ns

    def write_config(self, settings):
        super().write_config({k: v for k, v in settings.items() if v is not None})

    def start(self, timeout_s=15.0):
        super().start(timeout_s)
        m = re.search(r"started:.*; status (\S+?)\s*$", self.log_text(), re.M)
        if not m:
            raise DaemonError(f"no status endpoint in the start-up line:\n{self.log_tail()}")
        host, _, port = m.group(1).rpartition(":")
        self.host, self.port = host.strip("[]"), int(port)
        print(f"{self.name}: status endpoint http://{m.group(1)}/", flush=True)

    @property
    def base_url(self):
        return f"http://{self.host}:{self.port}"

    def get(self, path, timeout_s=5.0):
        """(HTTP status, headers dict with lower-case names, body bytes)."""
        try:
            c = NsHTTPConnection(self.client_ns, self.host, self.port, timeout=timeout_s)
            c.request("GET", path)
            r = c.getresponse()
            body = r.read()
            headers = {k.lower(): v for k, v in r.getheaders()}
            c.close()
        except OSError as e:
            raise DaemonError(f"GET {path}: {e}")
        return r.status, headers, body

    def status(self, query="?history=0"):
        code, _, body = self.get("/status" + query)
        if code != 200:
            raise DaemonError(f"/status: HTTP {code}")
        return json.loads(body)

    def metrics(self):
        """/metrics parsed by prometheus_client (see parse_metrics)."""
        code, headers, body = self.get("/metrics")
        if code != 200:
            raise DaemonError(f"/metrics: HTTP {code}")
        return parse_metrics(body.decode())

    def counter(self, name, **labels):
        for s in self.metric(name).get("series", []):
            if all(s["labels"].get(k) == v for k, v in labels.items()):
                return s["value"]
        return None


class NsHTTPConnection(http.client.HTTPConnection):
    """HTTPConnection from inside network namespace `ns` (None: ours)."""

    def __init__(self, ns, host, port, timeout):
        super().__init__(host, port, timeout=timeout)
        self.ns = ns

    def connect(self):
        if self.ns is None:
            return super().connect()
        self.sock = netns_socket(self.ns)
        self.sock.settimeout(self.timeout)
        self.sock.connect((self.host, self.port))


class Metrics:
    """One /metrics scrape as prometheus_client parsed it."""

    def __init__(self, families):
        self.families = {f.name: f for f in families}
        self.samples = {}
        for f in families:
            for s in f.samples:
                self.samples[(s.name, tuple(sorted(s.labels.items())))] = s.value

    def value(self, name, **labels):
        return self.samples.get((name, tuple(sorted(labels.items()))))

    def state(self, name="nanotime_lock_state"):
        on = [dict(k[1])["state"] for k, v in self.samples.items() if k[0] == name and v == 1]
        return on[0] if len(on) == 1 else on


def parse_metrics(text):
    """Parses the text exposition format with prometheus_client's parser (Debian's
    python3-prometheus-client) and checks what that parser lets through: HELP and TYPE on every
    family, counters named *_total, sample names of their family. Returns a Metrics."""
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        raise AssertionError("python3-prometheus-client is not installed "
                             "(apt install python3-prometheus-client): the test cannot run")
    families = list(text_string_to_metric_families(text))
    typed = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))
    helped = set(re.findall(r"^# HELP (\S+) \S", text, re.M))
    for f in families:
        raw_name = f.name + "_total" if f.type == "counter" else f.name
        if raw_name not in typed or raw_name not in helped:
            raise AssertionError(f"/metrics: family {raw_name} lacks # HELP or # TYPE")
        if f.type not in ("counter", "gauge"):
            raise AssertionError(f"/metrics: {raw_name} has type {f.type}")
        for s in f.samples:
            if s.name != raw_name:
                raise AssertionError(f"/metrics: sample {s.name} in family {raw_name}")
            if f.type == "counter" and (math.isnan(s.value) or s.value < 0):
                raise AssertionError(f"/metrics: counter {s.name} = {s.value}")
    if not families:
        raise AssertionError("/metrics: no metric families")
    return Metrics(families)


# -- raw sockets, for the endpoint robustness test ----------------------------------------------
_libc = None


def netns_socket(ns, family=socket.AF_INET, kind=socket.SOCK_STREAM):
    """A socket created inside network namespace `ns` (/run/netns/<ns>): setns() in a throw-away
    thread (it changes only that thread), and the socket keeps its namespace for good."""
    import ctypes
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    out = {}

    def body():
        fd = os.open(f"/run/netns/{ns}", os.O_RDONLY | os.O_CLOEXEC)
        try:
            if _libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
                out["error"] = OSError(ctypes.get_errno(), f"setns {ns}")
                return
            out["sock"] = socket.socket(family, kind)
        finally:
            os.close(fd)

    t = threading.Thread(target=body)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["sock"]


def raw_exchange(sock, data, timeout_s=5.0):
    """Sends `data`, reads until the server closes (or timeout): the bytes received."""
    sock.settimeout(timeout_s)
    if data:
        sock.sendall(data)
    got = b""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not chunk:
            break
        got += chunk
    return got


def status_code(response_bytes):
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", response_bytes)
    return int(m.group(1)) if m else None
