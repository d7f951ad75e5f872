#!/usr/bin/python3
"""The fake u-blox receiver on its own (no gpsd): the pty opened directly, like a serial port.

- UBX framing checked against frames worked out by hand (MON-VER poll, ACK-ACK, ACK-NAK);
- frames split over several writes, garbage and a bad checksum before a frame: the frame is
  still answered, the junk is counted in the state file;
- gen 8 CFG-CFG: save copies RAM to saved, a reset reloads RAM from saved, clear restores the
  defaults in saved, load copies saved to RAM;
- fixed mode (CFG-TMODE2 mode 2, ECEF): time mode "fixed", NAV-PVT fixType 5 (time only);
- run-time control over the socket; bad command-line arguments are refused with a message.
"""

import json
import os
import select
import socket
import struct
import subprocess
import sys
import tempfile
import time
import tty

import ubxfake

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(os.path.dirname(HERE), "ubxfake.py")


def check(failed, ok, what):
    print(("PASS " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failed.append(what)


class Direct:
    """The fake with its pty opened by us (raw mode), a frame reader and the control socket."""

    def __init__(self, tmp, *args):
        self.state_path = os.path.join(tmp, "state.json")
        self.control_path = os.path.join(tmp, "ctl")
        self.proc = subprocess.Popen(
            [sys.executable, "-B", FAKE, "--duration-s", "60", "--state-file", self.state_path,
             "--control", self.control_path, "--boot-s", "0.2"] + list(args),
            stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        assert line[0] == "PTY", line
        self.fd = os.open(line[1], os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd)
        self.reader = ubxfake.FrameReader()
        self.raw = b""
        self.frames = []

    def close(self):
        os.close(self.fd)
        self.proc.terminate()
        self.proc.wait(5)
        self.proc.stdout.close()

    def send(self, data):
        os.write(self.fd, data)

    def wait(self, cls, msg_id, timeout_s=3.0, predicate=None):
        deadline = time.monotonic() + timeout_s
        while True:
            for i, (c, m, p) in enumerate(self.frames):
                if (c, m) == (cls, msg_id) and (predicate is None or predicate(p)):
                    del self.frames[:i + 1]
                    return p
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                data = os.read(self.fd, 4096)
                self.raw += data
                self.frames += self.reader.feed(data)

    def state(self):
        with open(self.state_path) as f:
            return json.load(f)

    def control(self, cmd):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(3)
            s.connect(self.control_path)
            s.sendall(cmd.encode() + b"\n")
            return s.recv(65536).decode().strip()


def tp5(cable_delay_ns):
    return struct.pack("<BBHhhIIIIiI", 0, 1, 0, cable_delay_ns, 0, 1000000, 1000000, 0, 100000,
                       0, 0x77)


def fuzz(frames_per_personality=3000):
    """Bad input of every kind gets an answer or silence, never an exception: random
    class/id (mostly CFG, the busiest code), random lengths and bytes, with valid checksums,
    fed in process; the epoch output runs in between. Returns the errors found."""
    import contextlib
    import io
    import random
    rng = random.Random(7)
    errors = []
    for name in sorted(ubxfake.PERSONALITIES):
        rx = ubxfake.Receiver(name, 100.0, None, 50, 0.0)
        for i in range(frames_per_personality):
            cls = 0x06 if rng.random() < 0.8 else rng.choice((0x01, 0x05, 0x0A, 0x0D, rng.randrange(256)))
            msg_id = rng.choice((0x00, 0x01, 0x04, 0x08, 0x09, 0x24, 0x31, 0x3D, 0x8A, 0x8B, 0x8C,
                                 rng.randrange(256)))
            payload = bytes(rng.randrange(256) for _ in range(rng.choice((0, 1, 2, 3, 4, 8, 12, 13,
                                                                          20, 28, 32, rng.randrange(80)))))
            if msg_id in (0x8A, 0x8B, 0x8C) and payload and rng.random() < 0.5:
                payload = bytes((0,)) + payload[1:]
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    rx.receive(ubxfake.ubx_frame(cls, msg_id, payload))
                    if i % 50 == 0:
                        rx.booting_until = 0.0
                        rx.epoch(1800000000 + i)
            except Exception as e:   # noqa: BLE001 -- any exception is the finding
                errors.append("{} {:02x}-{:02x} {}: {!r}".format(name, cls, msg_id, payload.hex(), e))
                break
            rx.out.clear()
    for e in errors:
        print("  " + e)
    return errors


def main():
    failed = []
    check(failed, ubxfake.ubx_frame(0x0A, 0x04) == bytes.fromhex("b5620a0400000e34"),
          "framing: MON-VER poll = b5 62 0a 04 00 00 0e 34")
    # ACK-NAK for CFG-TMODE2: body 05 00 02 00 06 3d, Fletcher worked out by hand: 4a 6f.
    check(failed, ubxfake.ubx_frame(0x05, 0x00, b"\x06\x3d") == bytes.fromhex("b5620500020006 3d4a6f".replace(" ", "")),
          "framing: ACK-NAK CFG-TMODE2 = ... 4a 6f")

    with tempfile.TemporaryDirectory(prefix="nanotime-ubxfake-") as tmp:
        d = Direct(tmp, "--personality", "m8t")
        try:
            poll = bytes.fromhex("b5620a0400000e34")
            d.send(b"\x00\xff$GPTXT junk\r\n" + b"\xb5\x62\x06\x31\x00\x00\x00\x00" + poll[:3])
            time.sleep(0.1)
            d.send(poll[3:])
            ver = d.wait(0x0A, 0x04)
            st = d.state()
            check(failed, ver is not None and b"MOD=LEA-M8T" in ver,
                  "junk + bad checksum + split frame: MON-VER still answered")
            check(failed, st["input_bad_checksums"] == 1 and st["input_skipped_bytes"] >= 15,
                  "junk counted in the state file ({} skipped, {} bad checksums)".format(
                      st["input_skipped_bytes"], st["input_bad_checksums"]))

            d.send(ubxfake.ubx_frame(0x06, 0x31, tp5(80)))
            ack = d.wait(0x05, 0x01, predicate=lambda p: p == b"\x06\x31")
            d.send(ubxfake.ubx_frame(0x06, 0x09, struct.pack("<IIIB", 0, 0xFFFF, 0, 0x03)))
            ack2 = d.wait(0x05, 0x01, predicate=lambda p: p == b"\x06\x09")
            d.send(ubxfake.ubx_frame(0x06, 0x31, tp5(90)))
            d.wait(0x05, 0x01, predicate=lambda p: p == b"\x06\x31")
            st = d.state()
            check(failed, ack is not None and ack2 is not None
                  and st["config"]["saved"]["TP5-0"]["antCableDelay_ns"] == 80
                  and st["config"]["ram"]["TP5-0"]["antCableDelay_ns"] == 90,
                  "CFG-CFG save: saved 80 ns, RAM then 90 ns")
            # CFG-RST controlled software reset: RAM back to the saved 80 ns.
            d.send(ubxfake.ubx_frame(0x06, 0x04, bytes.fromhex("00000100")))
            time.sleep(0.5)
            st = d.state()
            check(failed, st["boots"] == 2 and st["config"]["ram"]["TP5-0"]["antCableDelay_ns"] == 80,
                  "CFG-RST: reboot, RAM reloaded from saved (80 ns)")
            d.wait(0x0A, 0x04, 1.0)   # read what the receiver printed meanwhile
            check(failed, b"$GNTXT,01,01,02,u-blox AG - www.u-blox.com*" in d.raw,
                  "after the reset: boot banner (NMEA TXT) on the line")
            # clear (restore defaults in saved) + load (saved -> RAM): 50 ns, the default.
            d.send(ubxfake.ubx_frame(0x06, 0x09, struct.pack("<IIIB", 0xFFFF, 0, 0xFFFF, 0x03)))
            d.wait(0x05, 0x01, predicate=lambda p: p == b"\x06\x09")
            st = d.state()
            check(failed, st["config"]["saved"]["TP5-0"]["antCableDelay_ns"] == 50
                  and st["config"]["ram"]["TP5-0"]["antCableDelay_ns"] == 50,
                  "CFG-CFG clear + load: saved and RAM back to the default 50 ns")

            # Fixed position: mode 2, ECEF (cm) of the fake's antenna, accuracy 100 mm.
            x, y, z = ubxfake.TRUE_ECEF_CM
            d.send(ubxfake.ubx_frame(0x06, 0x3D, struct.pack("<BBHiiiIII", 2, 0, 0, x, y, z, 100, 0, 0)))
            d.wait(0x05, 0x01, predicate=lambda p: p == b"\x06\x3d")
            d.send(ubxfake.ubx_frame(0x01, 0x07))
            pvt = d.wait(0x01, 0x07)
            st = d.state()
            check(failed, st["time_mode"] == "fixed" and st["fixed_position_ecef_cm"] == [x, y, z]
                  and pvt is not None and pvt[20] == 5,
                  "fixed mode: state fixed at the given ECEF, NAV-PVT fixType 5")

            check(failed, d.control("fix off") == "ok" and d.state()["fix"] is False,
                  "control: fix off")
            d.send(ubxfake.ubx_frame(0x01, 0x07))
            pvt = d.wait(0x01, 0x07)
            check(failed, pvt is not None and pvt[20] == 0, "no fix: NAV-PVT fixType 0")
            check(failed, d.control("jamming 300").startswith("error"), "control: jamming 300 refused")
            state_line = d.control("state")
            check(failed, state_line.startswith("ok {") and json.loads(state_line[3:])["personality"] == "m8t",
                  "control: state returns the JSON state")
        finally:
            d.close()

    check(failed, not fuzz(), "random frames (valid checksums) into every personality: no crash")

    with tempfile.TemporaryDirectory(prefix="nanotime-ubxfake-") as tmp:
        d = Direct(tmp, "--personality", "f9t", "--enable", "TIM-TP", "--enable", "MON-RF")
        try:
            tp = d.wait(0x0D, 0x01, 2.5)
            rf = d.wait(0x0A, 0x38, 1.5)
            st = d.state()
            check(failed, tp is not None and len(tp) == 16 and rf is not None
                  and st["config"]["bbr"].get("CFG-MSGOUT-UBX_TIM_TP_UART1") == 1,
                  "--enable TIM-TP, MON-RF: output from the start, saved in BBR")
        finally:
            d.close()
    bad = subprocess.run([sys.executable, "-B", FAKE, "--personality", "m8n", "--enable", "TIM-TP"],
                         capture_output=True, text=True, timeout=10)
    check(failed, bad.returncode == 2 and "no such output message on NEO-M8N" in bad.stderr,
          "--enable TIM-TP on the M8N refused with a message")
    bad = subprocess.run([sys.executable, "-B", FAKE, "--personality", "f9x"],
                         capture_output=True, text=True, timeout=10)
    check(failed, bad.returncode == 2 and "invalid choice" in bad.stderr,
          "bad --personality refused with a message")
    bad = subprocess.run([sys.executable, "-B", FAKE, "--nak", "NOPE"],
                         capture_output=True, text=True, timeout=10)
    check(failed, bad.returncode == 2 and "unknown message name" in bad.stderr,
          "bad --nak name refused with a message")
    print("{} failed".format(len(failed)) if failed else "all checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
