"""A fake gpsd: speaks gpsd 3.22's JSON protocol to libgps clients, with scripted values.

A real gpsd cannot produce PPS from a pty, so PPS/qErr and bad-input tests use this server.
What it sends mirrors gpsd 3.22 byte for byte where it matters (checked against a real gpsd
3.22 and gpsd.c ship_pps_message):
  on connect   {"class":"VERSION","release":"3.22","rev":"3.22","proto_major":3,"proto_minor":14}
  ?WATCH=...   {"class":"DEVICES",...} then {"class":"WATCH",...} echoing the flags
  each second S (only to clients that asked for "pps":true, as gpsd does):
    at S + pps_emit_delay_s   PPS  real=S, clock=S+clock_offset_ns (+ "qErr" when set)
    at S + serial_delay_s     TOFF real=S, clock=S+serial_delay_s+clock_offset_ns
  and to every watcher, right after the TOFF: TPV with `mode` and time S.

So for a client: PPS  real - clock = -clock_offset_ns              (true - system at the edge)
                 TOFF real - clock = -serial_delay_s - clock_offset_ns

Controls (plain attributes, read at each emission; set them from the test thread):
  serial_delay_s, clock_offset_ns (int), qerr_ps (int or None), mode (1 no fix, 3 3D fix),
  send_pps / send_toff (bool), jump_next_toff_s (one-off: added to the next TOFF's real_sec),
  inject(kind): replaces the next second's reports by bad input, kinds in BAD_KINDS.
Every emitted record is appended to .sent as (kind, dict) for the test's own bookkeeping.
"""

import json
import socket
import threading
import time

BAD_KINDS = ("malformed", "huge", "midline_close", "wrong_class")
# A bad record carries times that would be an obviously wrong sample (+0.5 s) if a client
# ever used it, so "no sample from bad input" is checkable in chronyd's refclocks log.
BAD_OFFSET_S = 0.5

DEVICE = "/dev/ttyFAKE0"


def _line(obj):
    return (json.dumps(obj, separators=(",", ":")) + "\r\n").encode()


class _Client:
    def __init__(self, sock, addr):
        self.sock = sock
        self.addr = addr
        self.watch = False
        self.pps = False
        self.lock = threading.Lock()
        self.alive = True

    def send(self, data):
        with self.lock:
            if not self.alive:
                return False
            try:
                self.sock.sendall(data)
                return True
            except OSError:
                self.close()
                return False

    def close(self):
        self.alive = False
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class FakeGpsd:
    def __init__(self, serial_delay_s=0.130, clock_offset_ns=0, qerr_ps=None, mode=3,
                 pps_emit_delay_s=0.010):
        self.serial_delay_s = serial_delay_s
        self.clock_offset_ns = clock_offset_ns
        self.qerr_ps = qerr_ps
        self.mode = mode
        self.pps_emit_delay_s = pps_emit_delay_s
        self.send_pps = True
        self.send_toff = True
        self.jump_next_toff_s = 0
        self.sent = []
        self.connections = 0
        self._inject = []
        self._clients = []
        self._clients_lock = threading.Lock()
        self._stop = threading.Event()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._threads = []

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        for target in (self._accept_loop, self._tick_loop):
            t = threading.Thread(target=target, daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(5)
        with self._clients_lock:
            for c in self._clients:
                c.close()
            self._clients = []
        self._listener.close()

    def inject(self, kind):
        if kind not in BAD_KINDS:
            raise ValueError("unknown bad-input kind " + kind)
        self._inject.append(kind)

    def watchers(self):
        with self._clients_lock:
            return [c for c in self._clients if c.alive and c.watch]

    def wait_for_watcher(self, timeout_s):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if any(c.pps for c in self.watchers()):
                return True
            time.sleep(0.05)
        return False

    # -- connections -------------------------------------------------------------------------
    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                sock, addr = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            client = _Client(sock, addr)
            self.connections += 1
            with self._clients_lock:
                self._clients.append(client)
            client.send(_line({"class": "VERSION", "release": "3.22", "rev": "3.22",
                               "proto_major": 3, "proto_minor": 14}))
            t = threading.Thread(target=self._client_loop, args=(client,), daemon=True)
            t.start()

    def _client_loop(self, client):
        buf = b""
        client.sock.settimeout(0.2)
        while not self._stop.is_set() and client.alive:
            try:
                chunk = client.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf or b";" in buf:
                cut = min(i for i in (buf.find(b"\n"), buf.find(b";")) if i >= 0)
                cmd, buf = buf[:cut].strip(), buf[cut + 1:]
                if cmd:
                    self._command(client, cmd.decode(errors="replace"))
        client.close()

    def _command(self, client, cmd):
        if cmd.startswith("?WATCH"):
            flags = {}
            if "=" in cmd:
                try:
                    flags = json.loads(cmd.split("=", 1)[1])
                except ValueError:
                    client.send(_line({"class": "ERROR", "message": "Invalid WATCH: " + cmd}))
                    return
            client.watch = bool(flags.get("enable", True))
            client.pps = client.watch and bool(flags.get("pps", False))
            client.send(_line({"class": "DEVICES", "devices": [{
                "class": "DEVICE", "path": DEVICE, "driver": "NMEA0183",
                "activated": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "native": 0, "bps": 38400, "parity": "N", "stopbits": 1, "cycle": 1.00}]}))
            client.send(_line({"class": "WATCH", "enable": client.watch, "json": True,
                               "nmea": False, "raw": 0, "scaled": False, "timing": False,
                               "split24": False, "pps": client.pps}))
        elif cmd.startswith("?VERSION"):
            client.send(_line({"class": "VERSION", "release": "3.22", "rev": "3.22",
                               "proto_major": 3, "proto_minor": 14}))
        else:
            client.send(_line({"class": "ERROR", "message": "Unrecognized request '{}'".format(
                cmd[:40])}))

    # -- the once-per-second reports ---------------------------------------------------------
    def _sleep_until(self, wall):
        while not self._stop.is_set():
            left = wall - time.time()
            if left <= 0:
                return True
            self._stop.wait(min(left, 0.2))
        return False

    def _tick_loop(self):
        second = int(time.time()) + 1
        while not self._stop.is_set():
            if not self._sleep_until(second + self.pps_emit_delay_s):
                return
            if time.time() > second + 0.5:  # stalled: skip to the present second
                second = int(time.time()) + 1
                continue
            kind = self._inject.pop(0) if self._inject else None
            if kind:
                self._emit_bad(kind, second)
            else:
                if self.send_pps:
                    self._emit_pps(second)
                if not self._sleep_until(second + self.serial_delay_s):
                    return
                if self.send_toff:
                    self._emit_toff(second)
                self._emit_tpv(second)
            second += 1

    def _broadcast(self, data, pps_only):
        for c in self.watchers():
            if pps_only and not c.pps:
                continue
            c.send(data)

    @staticmethod
    def _split_ns(total_ns):
        return total_ns // 1_000_000_000, total_ns % 1_000_000_000

    def _emit_pps(self, second):
        clock_sec, clock_nsec = self._split_ns(second * 1_000_000_000 + self.clock_offset_ns)
        obj = {"class": "PPS", "device": DEVICE, "real_sec": second, "real_nsec": 0,
               "clock_sec": clock_sec, "clock_nsec": clock_nsec, "precision": -20}
        if self.qerr_ps is not None:
            obj["qErr"] = int(self.qerr_ps)
        self.sent.append(("PPS", obj))
        self._broadcast(_line(obj), pps_only=True)

    def _emit_toff(self, second):
        real = second + self.jump_next_toff_s
        self.jump_next_toff_s = 0
        clock_ns = second * 1_000_000_000 + round(self.serial_delay_s * 1e9) + self.clock_offset_ns
        clock_sec, clock_nsec = self._split_ns(clock_ns)
        obj = {"class": "TOFF", "device": DEVICE, "real_sec": real, "real_nsec": 0,
               "clock_sec": clock_sec, "clock_nsec": clock_nsec}
        self.sent.append(("TOFF", obj))
        self._broadcast(_line(obj), pps_only=True)

    def _emit_tpv(self, second):
        obj = {"class": "TPV", "device": DEVICE, "mode": self.mode,
               "time": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(second)),
               "ept": 0.005, "lat": 47.371333333, "lon": 8.542333333, "altHAE": 457.0}
        if self.mode < 2:
            obj = {"class": "TPV", "device": DEVICE, "mode": self.mode,
                   "time": obj["time"], "ept": 0.005}
        self.sent.append(("TPV", obj))
        self._broadcast(_line(obj), pps_only=False)

    def _emit_bad(self, kind, second):
        """Bad input in place of this second's reports; its times are BAD_OFFSET_S wrong.
        Recorded in .sent with the number of watchers it was sent to."""
        recipients = len(self.watchers())
        clock_sec, clock_nsec = self._split_ns(
            second * 1_000_000_000 + self.clock_offset_ns - round(BAD_OFFSET_S * 1e9))
        toff = {"class": "TOFF", "device": DEVICE, "real_sec": second, "real_nsec": 0,
                "clock_sec": clock_sec, "clock_nsec": clock_nsec}
        good = _line(toff)
        if kind == "malformed":
            # Truncated object, then a stray brace: not JSON.
            data = good[:len(good) // 2] + b"}}{\"class\":\r\n"
            self._broadcast(data, pps_only=False)
        elif kind == "huge":
            # One 1 MB line: far beyond libgps' 10 KB line buffer.
            pad = b"A" * (1 << 20)
            data = b'{"class":"TOFF","device":"' + pad + b'",' + good[1:]
            self._broadcast(data, pps_only=False)
        elif kind == "wrong_class":
            # Well-formed JSON of an unknown class carrying time fields.
            obj = dict(toff, **{"class": "BOGUS"})
            self._broadcast(_line(obj), pps_only=False)
            # ... and a known class with wrongly typed fields.
            obj = dict(toff, **{"class": "PPS", "real_sec": "soon", "clock_sec": [clock_sec]})
            self._broadcast(_line(obj), pps_only=False)
        elif kind == "midline_close":
            data = good[:len(good) // 2]
            for c in self.watchers():
                c.send(data)
                c.close()
        self.sent.append(("BAD", {"kind": kind, "second": second, "recipients": recipients}))
