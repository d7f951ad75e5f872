"""A real gpsd 3.22 reading the fake u-blox receiver (ubxfake.py) on a pty, on a private port.

    with UbxGpsd(personality="f9t", time_scale=100) as g:   # raises if gpsd never reports it
        g.device                       # gpsd's DEVICE object (driver "u-blox", subtype ...)
        g.state()                      # the fake's state file (what the receiver really got)
        g.control("nak CFG-TMODE2")    # run-time fault / condition, reply "ok ..." or "error ..."
        with g.raw() as raw:           # ?WATCH raw:2 -> the receiver's binary, frame by frame
            g.write_ubx(0x0A, 0x04)    # ?DEVICE hexdata through gpsd; returns gpsd's reply
            raw.wait_frame(0x0A, 0x04) # the MON-VER answer as gpsd passed it on
        g.transact(0x06, 0x3D, b"")    # write + wait for the reply frames and ACK/NAK
        g.tpv(5)                       # TPVs a plain JSON client gets in 5 s

Nothing is shared with a system gpsd: own port, control socket, pid file, pty, temp dir.
gpsd 3.22 probes a new pty for ~4 s before it sends its own UBX probes and names the device.
"""

import binascii
import json
import os
import shutil
import socket
import struct
import sys
import tempfile
import threading
import time

import gpsdharness
import ubxfake

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "ubxfake.py")
DEVICE_WRITE_MAX_BYTES = 255   # gpsd 3.22's hexdata buffer: 512 hex digits incl. NUL


class RawClient:
    """A gpsd client watching with raw:2 (binary passthrough) or raw:1 (hex lines)."""

    def __init__(self, port, path, raw=2):
        self.raw = raw
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=2)
        watch = {"enable": True, "raw": raw, "device": path}
        self.sock.sendall(("?WATCH=" + json.dumps(watch) + ";\n").encode())
        self.reader = ubxfake.FrameReader()
        self.frames = []        # (cls, id, payload) not yet consumed
        self.received = b""     # everything received, for diagnostics
        self._lines = b""       # raw:1 line buffer
        # gpsd answers the WATCH only once the watch is on: before that, frames could be missed.
        deadline = time.monotonic() + 5.0
        while b'"class":"WATCH"' not in self.received:
            left = deadline - time.monotonic()
            if left <= 0 or not self.pump(left):
                self.close()
                raise RuntimeError("gpsd did not confirm ?WATCH raw:{}: {!r}".format(
                    raw, self.received[-300:]))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        self.sock.close()

    def pump(self, timeout_s):
        """Read what arrives within timeout_s; returns False when gpsd closed the connection."""
        self.sock.settimeout(max(0.01, timeout_s))
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return True
        if not data:
            return False
        self.received += data
        if self.raw == 2:
            self.frames += self.reader.feed(data)
        else:
            self.frames += self._hex_frames(data)
        return True

    def _hex_frames(self, data):
        """raw:1 sends each binary packet as one line of hex digits."""
        frames = []
        self._lines += data
        while b"\n" in self._lines:
            line, self._lines = self._lines.split(b"\n", 1)
            line = line.strip()
            if line.startswith(b"b562"):
                frames += ubxfake.FrameReader().feed(binascii.unhexlify(line))
        return frames

    def wait_frame(self, cls, msg_id, timeout_s=5.0, predicate=None):
        """The first frame (cls, id) [matching predicate(payload)]; None after timeout_s."""
        deadline = time.monotonic() + timeout_s
        while True:
            for i, (c, m, payload) in enumerate(self.frames):
                if c == cls and m == msg_id and (predicate is None or predicate(payload)):
                    del self.frames[:i + 1]
                    return payload
            left = deadline - time.monotonic()
            if left <= 0 or not self.pump(min(left, 0.5)):
                return None

    def wait_ack(self, cls, msg_id, timeout_s=5.0):
        """'ack', 'nak' or None (no answer) for a frame of (cls, id) sent earlier."""
        deadline = time.monotonic() + timeout_s
        while True:
            for i, (c, m, payload) in enumerate(self.frames):
                if c == 0x05 and m in (0x00, 0x01) and payload[:2] == bytes((cls, msg_id)):
                    del self.frames[:i + 1]
                    return "ack" if m == 0x01 else "nak"
            left = deadline - time.monotonic()
            if left <= 0 or not self.pump(min(left, 0.5)):
                return None


class UbxGpsd(gpsdharness.GpsdOnPty):
    def __init__(self, personality="m8t", time_scale=1.0, fake_args=(), gpsd_args=(),
                 duration_s=300, wait_s=25.0):
        self.personality = personality
        self.time_scale = time_scale
        self.fake_args = list(fake_args)
        self.gpsd_args = list(gpsd_args)
        self.duration_s = duration_s
        self.wait_s = wait_s
        self.dir = tempfile.mkdtemp(prefix="nanotime-ubx-")
        self._gpsd = gpsdharness.GpsdProcess(self.dir)
        self.port = self._gpsd.port
        self.state_path = os.path.join(self.dir, "state.json")
        self.control_path = os.path.join(self.dir, "control.sock")
        self.fake = None
        self.pty = None
        self.device = None

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self, wait_for_device=True):
        args = [sys.executable, "-B", FAKE, "--personality", self.personality,
                "--time-scale", str(self.time_scale), "--duration-s", str(self.duration_s),
                "--state-file", self.state_path, "--control", self.control_path] + self.fake_args
        self.fake, self.pty = gpsdharness.start_pty_source(args, "fake receiver")
        self.start_gpsd()
        if wait_for_device:
            self.device = self.wait_for_device(self.wait_s)
            self.settle()

    def start_gpsd(self):
        # -D 4 so the log shows every byte gpsd writes to the receiver.
        self._gpsd.start(self.pty, ["-D", "4"] + self.gpsd_args)

    def stop(self):
        self._gpsd.stop()
        if self.fake is not None:
            gpsdharness.end_process(self.fake)
            self.fake.stdout.close()
            self.fake = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    # -- gpsd side ----------------------------------------------------------------------------
    def request(self, line, timeout_s=3.0, want=("DEVICE", "DEVICES", "ERROR")):
        """Send one command line to gpsd on a fresh connection; the first reply of a wanted
        class (the VERSION banner is skipped)."""
        deadline = time.monotonic() + timeout_s
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
            s.sendall(line.encode() + b"\n")
            for obj in gpsdharness.json_objects(s, deadline):
                if obj.get("class") in want:
                    return obj
        return None

    def wait_for_device(self, timeout_s=25.0, driver="u-blox"):
        """gpsd's DEVICE for our pty once its driver is `driver`; RuntimeError after timeout."""
        deadline = time.monotonic() + timeout_s
        last = None
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                reply = self.request("?DEVICES;", timeout_s=1.0, want=("DEVICES",))
            except OSError as e:     # gpsd not listening yet
                last = e
                time.sleep(0.2)
                continue
            for dev in (reply or {}).get("devices", []):
                last = dev
                if dev.get("path") == self.pty and dev.get("driver") == driver:
                    return dev
            time.sleep(0.3)
        raise RuntimeError("gpsd did not report {} as {} within {:.0f} s (last: {}); log: {}"
                           .format(self.pty, driver, timeout_s, last, self.read_log()))

    def settle(self, quiet_s=2.0, timeout_s=15.0):
        """Wait until gpsd's own configuration of the receiver is over: nothing received by
        the fake for quiet_s. gpsd configures twice, the second time a second or two after the
        device shows as u-blox; its CFG-MSG ACKs look exactly like ours (an ACK names only the
        class and id), so tests start writing after this."""
        deadline = time.monotonic() + timeout_s
        last, since = None, time.monotonic()
        while time.monotonic() < deadline:
            total = sum(self.state()["counts"]["received"].values())
            if total != last:
                last, since = total, time.monotonic()
            elif time.monotonic() - since >= quiet_s:
                return total
            time.sleep(0.2)
        raise RuntimeError("gpsd kept writing to the receiver for {:.0f} s".format(timeout_s))

    def write_frame(self, frame):
        """Send one binary frame to the receiver through gpsd (?DEVICE hexdata). Returns gpsd's
        reply object (DEVICE on success; ERROR e.g. while the device type is still unknown)."""
        if len(frame) > DEVICE_WRITE_MAX_BYTES:
            raise ValueError("gpsd 3.22 takes at most {} bytes per ?DEVICE write, not {}".format(
                DEVICE_WRITE_MAX_BYTES, len(frame)))
        req = {"path": self.pty, "hexdata": frame.hex()}
        return self.request("?DEVICE=" + json.dumps(req, separators=(",", ":")) + ";")

    def write_ubx(self, cls, msg_id, payload=b""):
        return self.write_frame(ubxfake.ubx_frame(cls, msg_id, payload))

    def raw(self, mode=2):
        return RawClient(self.port, self.pty, mode)

    def transact(self, cls, msg_id, payload=b"", reply=None, timeout_s=5.0):
        """Write a UBX message through gpsd and wait for its answer on a raw:2 watch:
        -> (ack, reply_payload): ack 'ack'/'nak'/None, reply_payload for `reply` (cls, id)
        (default: the same class/id, for polls) or None."""
        with self.raw() as raw:
            raw.frames.clear()
            self.write_ubx(cls, msg_id, payload)
            want = reply or ((cls, msg_id) if is_poll(cls, msg_id, payload) else None)
            answer = None
            if want:
                answer = raw.wait_frame(want[0], want[1], timeout_s)
            ack = raw.wait_ack(cls, msg_id, timeout_s if cls == 0x06 else 0.5)
            return ack, answer

    def tpv(self, seconds):
        """TPV reports a plain JSON client (?WATCH json) gets during `seconds`."""
        return [o for o in gpsdharness.read_reports(self.port, seconds, pps=False)
                if o.get("class") == "TPV"]

    def check_alive(self):
        self._gpsd.check_alive()
        if self.fake is not None and self.fake.poll() is not None:
            raise RuntimeError("fake receiver exited with status {}".format(self.fake.returncode))

    def read_log(self, tail=3000):
        return self._gpsd.read_log(tail)

    # -- fake side ----------------------------------------------------------------------------
    def state(self):
        with open(self.state_path) as f:
            return json.load(f)

    def control(self, command, timeout_s=3.0):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout_s)
            s.connect(self.control_path)
            s.sendall(command.encode() + b"\n")
            buf = b""
            while b"\n" not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    break
                buf += chunk
        return buf.decode().strip()

    def wait_state(self, predicate, timeout_s=10.0, poll_s=0.2):
        """The first state for which predicate(state) holds; RuntimeError after timeout_s."""
        deadline = time.monotonic() + timeout_s
        last = None
        while time.monotonic() < deadline:
            try:
                last = self.state()
            except (OSError, ValueError):
                last = None
            if last is not None and predicate(last):
                return last
            time.sleep(poll_s)
        raise RuntimeError("fake state condition not met within {:.0f} s; last: {}".format(
            timeout_s, json.dumps(last)[:1500]))


class TpvMonitor:
    """A plain JSON gpsd client in a thread for the whole `with` block: records the arrival
    time of every TPV with a time, so a test can show gpsd kept serving clients throughout."""

    def __init__(self, port):
        self.port = port
        self.times = []          # (monotonic arrival, TPV time string)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.error = None

    def __enter__(self):
        self.started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)
        self.ended = time.monotonic()
        return False

    def _run(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b'?WATCH={"enable":true,"json":true};\n')
                buf = b""
                while not self._stop.is_set():
                    try:
                        chunk = s.recv(65536)
                    except socket.timeout:
                        continue
                    if not chunk:
                        self.error = "gpsd closed the connection"
                        return
                    buf += chunk
                    while b"\n" in buf:
                        line, buf = buf.split(b"\n", 1)
                        try:
                            obj = json.loads(line)
                        except ValueError:
                            continue
                        if obj.get("class") == "TPV" and obj.get("time"):
                            self.times.append((time.monotonic(), obj["time"]))
        except OSError as e:
            self.error = str(e)

    def max_gap_s(self):
        """Longest stretch without a TPV, from the start to the end of the block."""
        marks = [self.started] + [t for t, _ in self.times] + [self.ended]
        return max(b - a for a, b in zip(marks, marks[1:]))


def is_poll(cls, msg_id, payload):
    """Does this message ask the receiver for an answer of the same class/id?"""
    if (cls, msg_id) == (0x06, 0x8B):                       # CFG-VALGET
        return True
    if (cls, msg_id) == (0x06, 0x01):                       # CFG-MSG: 2-byte poll
        return len(payload) == 2
    if (cls, msg_id) in ((0x06, 0x00), (0x06, 0x31)):       # CFG-PRT / CFG-TP5: port / index
        return len(payload) <= 1
    return not payload


def count(state, table, name):
    """How many frames of `name` the fake received / acked / naked ('received', 'acks_sent'...)."""
    return state["counts"][table].get(name, 0)


def u32le(value):
    return struct.pack("<I", value)
