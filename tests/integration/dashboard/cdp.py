"""Headless Chromium driven over the Chrome DevTools Protocol, with the Python 3 standard library
only (no Selenium, no Playwright: CI reaches only the Debian mirror, and Debian's `chromium` is
all this needs).

    with Chromium() as browser:
        page = browser.page()                      # the first tab (about:blank)
        page.navigate("http://127.0.0.1:8473/")
        n = page.evaluate("window.__nanotime.polls")
        page.screenshot("dashboard.png", width=1280)
        print(page.exceptions)                     # uncaught JavaScript errors seen so far

Chromium runs as `chromium --headless --no-sandbox ... --remote-debugging-port=0
--user-data-dir=<fresh temp dir>`; the port it picked is read from <dir>/DevToolsActivePort.
The WebSocket client below is the minimum RFC 6455 needs for CDP: masked text frames out,
text/continuation/ping/close frames in. Cleanup (browser process, temp dir) on every exit path.
"""

import base64
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request

# Flags for a root, offline, throw-away browser: no sandbox (root), no GPU, nothing that phones
# home (QUIC, component updates, sync, background networking), a fresh profile every time.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-default-apps", "--disable-extensions", "--mute-audio",
                  "--hide-scrollbars", "--force-color-profile=srgb", "--lang=en-US"]


class BrowserError(AssertionError):
    pass


def chromium_path():
    """Debian's chromium (package `chromium`): the real binary behind the /usr/bin launcher, so
    /etc/chromium.d cannot add flags; a missing browser is a failure, never a skip."""
    for p in (os.environ.get("NANOTIME_CHROMIUM", ""), "/usr/lib/chromium/chromium"):
        if p and os.access(p, os.X_OK):
            return p
    p = shutil.which("chromium")
    if p:
        return p
    raise BrowserError("chromium is not installed (apt install chromium): the test cannot run")


class WebSocket:
    """A client WebSocket (RFC 6455) on a plain TCP socket: enough for CDP on loopback."""

    def __init__(self, url, timeout_s=10.0):
        assert url.startswith("ws://"), url
        hostport, _, path = url[len("ws://"):].partition("/")
        host, _, port = hostport.rpartition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=timeout_s)
        key = base64.b64encode(os.urandom(16)).decode()
        # No Origin header: Chromium only checks --remote-allow-origins when one is sent.
        self.sock.sendall((f"GET /{path} HTTP/1.1\r\nHost: {hostport}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise BrowserError(f"WebSocket handshake with {url}: connection closed")
            head += chunk
        head, _, self.buf = head.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise BrowserError(f"WebSocket handshake with {url}: {head.decode(errors='replace')}")

    def close(self):
        try:
            self._send_frame(0x8, b"")
        except OSError:
            pass
        self.sock.close()

    def _send_frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_text(self, text):
        self._send_frame(0x1, text.encode())

    def _read_exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise BrowserError("WebSocket: connection closed by the browser")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv_text(self, timeout_s):
        """One whole message (continuations joined); socket.timeout when none comes in time."""
        self.sock.settimeout(timeout_s)
        parts = []
        while True:
            b0, b1 = self._read_exact(2)
            fin, opcode, n = b0 & 0x80, b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read_exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read_exact(8))[0]
            mask = self._read_exact(4) if b1 & 0x80 else None
            payload = self._read_exact(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x9:  # ping
                self._send_frame(0xA, payload)
                continue
            if opcode == 0x8:
                raise BrowserError("WebSocket: the browser closed the connection")
            if opcode in (0x1, 0x2, 0x0):
                parts.append(payload)
                if fin:
                    return b"".join(parts).decode()


class Page:
    """One tab, driven over its own DevTools WebSocket."""

    def __init__(self, ws_url):
        self.ws = WebSocket(ws_url)
        self.next_id = 1
        self.exceptions = []   # uncaught JavaScript errors (Runtime.exceptionThrown)
        self.console = []      # console.* calls: (type, text)
        self.requests = []     # URLs the page requested (Network.requestWillBeSent)
        self.events = []       # other events, method names only (for debugging)
        self.call("Runtime.enable")
        self.call("Page.enable")
        self.call("Network.enable")

    def close(self):
        self.ws.close()

    def _on_event(self, msg):
        method = msg.get("method", "")
        p = msg.get("params", {})
        if method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            self.exceptions.append(d.get("exception", {}).get("description") or d.get("text"))
        elif method == "Network.requestWillBeSent":
            self.requests.append(p.get("request", {}).get("url", ""))
        elif method == "Runtime.consoleAPICalled":
            self.console.append((p.get("type"), " ".join(str(a.get("value", a.get("description")))
                                                         for a in p.get("args", []))))
        else:
            self.events.append(method)

    def call(self, method, params=None, timeout_s=20.0):
        """Sends a CDP command and returns its result (BrowserError on an error reply)."""
        msg_id = self.next_id
        self.next_id += 1
        self.ws.send_text(json.dumps({"id": msg_id, "method": method, "params": params or {}}))
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"CDP {method}: no answer within {timeout_s} s")
            try:
                msg = json.loads(self.ws.recv_text(left))
            except socket.timeout:
                continue
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise BrowserError(f"CDP {method}: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self._on_event(msg)

    def pump(self, seconds):
        """Lets the page run for `seconds` while collecting its events."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = json.loads(self.ws.recv_text(left))
            except socket.timeout:
                return
            if "method" in msg:
                self._on_event(msg)

    def navigate(self, url, timeout_s=20.0):
        r = self.call("Page.navigate", {"url": url})
        if r.get("errorText"):
            raise BrowserError(f"navigate {url}: {r['errorText']}")
        self.wait_for("document.readyState === 'complete'", timeout_s, f"{url} loaded")

    def evaluate(self, expression, await_promise=False):
        """The JSON value of a JavaScript expression in the page (BrowserError if it throws)."""
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": await_promise})
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise BrowserError(f"evaluate {expression!r}: "
                               f"{d.get('exception', {}).get('description') or d.get('text')}")
        return r.get("result", {}).get("value")

    def wait_for(self, expression, timeout_s, what, interval_s=0.25):
        """Polls a JavaScript expression until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout_s
        last = None
        while True:
            try:
                v = self.evaluate(expression)
                if v:
                    return v
                last = v
            except BrowserError as e:
                last = e
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out after {timeout_s} s waiting for {what} "
                                   f"({expression}); last value {last!r}; page errors "
                                   f"{self.exceptions}; console {self.console[-5:]}")
            self.pump(interval_s)

    def set_viewport(self, width, height, scale=1.0, mobile=False):
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile})

    def screenshot(self, path, width, height=None, scale=1.0, mobile=False):
        """A PNG of the whole page at `width` CSS px (height: the page's, unless given)."""
        self.set_viewport(width, height or 800, scale, mobile)
        self.pump(0.3)  # the page redraws its canvases on resize
        if height is None:
            height = int(self.evaluate("Math.ceil(document.documentElement.scrollHeight)"))
            self.set_viewport(width, height, scale, mobile)
            self.pump(0.3)
        r = self.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False},
                      timeout_s=30)
        data = base64.b64decode(r["data"])
        with open(path, "wb") as f:
            f.write(data)
        return png_size(data)


def png_size(data):
    """(width, height) from a PNG's IHDR (and a check that it is a PNG)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise BrowserError("not a PNG")
    return struct.unpack("!II", data[16:24])


def _die_with_parent():
    """preexec_fn: the browser gets SIGKILL if the test process dies, even by SIGKILL (its
    renderers follow it), so no chromium outlives its test."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


class Chromium:
    def __init__(self, extra_flags=(), width=1280, height=900):
        self.binary = chromium_path()
        self.dir = tempfile.mkdtemp(prefix="nanotime-chromium-")
        self.flags = CHROMIUM_FLAGS + [f"--user-data-dir={self.dir}/profile",
                                       "--remote-debugging-port=0",
                                       f"--window-size={width},{height}", *extra_flags]
        self.proc = None
        self.port = None
        self.pages = []

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stop()
        return False

    def start(self, timeout_s=30.0):
        self._log = open(os.path.join(self.dir, "chromium.log"), "w")
        self.proc = subprocess.Popen([self.binary, *self.flags, "about:blank"], stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     preexec_fn=_die_with_parent)
        port_file = os.path.join(self.dir, "profile", "DevToolsActivePort")
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with open(port_file) as f:
                    lines = f.read().split("\n")
                if lines[0].strip().isdigit() and len(lines) > 1:
                    self.port = int(lines[0])
                    break
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise BrowserError(f"chromium exited at start ({self.proc.returncode}):\n"
                                   f"{self.log_tail()}")
            if time.monotonic() > deadline:
                raise BrowserError(f"chromium did not open its DevTools port in {timeout_s} s:\n"
                                   f"{self.log_tail()}")
            time.sleep(0.1)
        print(f"chromium: {self.binary} (DevTools on 127.0.0.1:{self.port})", flush=True)

    def version(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/version", timeout=10) as r:
            return json.loads(r.read())

    def page(self):
        """The first tab ("page" target)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=10) as r:
            targets = json.loads(r.read())
        for t in targets:
            if t.get("type") == "page":
                p = Page(t["webSocketDebuggerUrl"])
                self.pages.append(p)
                return p
        raise BrowserError(f"no page target in {targets}")

    def log_tail(self, lines=30):
        try:
            with open(os.path.join(self.dir, "chromium.log"), errors="replace") as f:
                return "\n".join(f.read().splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        try:
            for p in self.pages:
                try:
                    p.close()
                except OSError:
                    pass
            self.pages = []
            if self.proc is not None and self.proc.poll() is None:
                # Its own session: the renderer/GPU/zygote children go with it.
                os.killpg(self.proc.pid, signal.SIGTERM)
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                    self.proc.wait(timeout=10)
            if self.proc is not None:
                try:  # any straggler left in the group
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        finally:
            self.proc = None
            if getattr(self, "_log", None):
                self._log.close()
                self._log = None
            shutil.rmtree(self.dir, ignore_errors=True)
