#!/usr/bin/python3
"""Fake u-blox timing receiver: UBX (and NMEA) on a pty, with state, for tests through gpsd.

Written from the u-blox protocol specifications (M8 and F9 "interface description"),
independently of lib/ubx, so the two check each other. Standard library only; framing and names
in ubxfake_proto.py, the configuration models in ubxfake_gen8.py / ubxfake_gen9.py.

Personalities (--personality):
  m8t  LEA-M8T, generation 8: CFG-TMODE2, CFG-TP5, CFG-MSG, CFG-NAV5, CFG-PRT, CFG-RATE,
       CFG-CFG, CFG-RST; outputs TIM-TP, TIM-SVIN, MON-HW, NAV-TIMELS, NAV-PVT (+EOE), NMEA.
  f9t  ZED-F9T, generation 9: CFG-VALSET / CFG-VALGET / CFG-VALDEL with the layers RAM, BBR,
       flash and default; CFG-PRT, CFG-MSG, CFG-RATE, CFG-CFG, CFG-RST are still accepted (gpsd
       sends them), CFG-TMODE2 / CFG-TP5 / CFG-NAV5 are NAKed like on a real F9. MON-RF
       instead of MON-HW.
  m8n  NEO-M8N, a navigation receiver: no TIM messages, CFG-TMODE2 NAKed, TIM polls unanswered.

State: configuration in RAM, saved (gen 8: BBR/flash as one "saved"; gen 9: "bbr", "flash")
and defaults; time mode; survey-in; antenna; jamming. The receiver's own clock runs
--time-scale times faster than the wall clock: a survey with a 300 s minimum finishes in 3 s of
wall time at --time-scale 100. Output comes in epochs at the top of every wall-clock second
(+ --delay-ms); each epoch advances the fake clock by --time-scale seconds. The UTC time in
NAV-PVT / TIM-TP / NMEA is the real wall-clock time, so gpsd's TPV is correct.
The survey: accuracy = 50 m / sqrt(duration); valid when duration >= minimum and accuracy <=
limit; then the receiver is in fixed mode on the surveyed position (TIM-SVIN active 0, valid 1).
Any CFG-TMODE2 / TMODE key write that selects survey-in (re)starts the survey, like the real
receiver does; the count of starts is in the state file.

Faults (command line, or at run time on the control socket):
  nak NAME      answer ACK-NAK to every frame of that class/id (NAME: CFG-TMODE2 or 06-3d)
  drop NAME     silently drop (no answer at all, no effect) frames of that class/id
  garbage on|off  write random non-UBX bytes between output frames
  reset-after N   on the N-th CFG frame from now: no answer, no effect, reboot (RAM = saved),
                  silence for --boot-s, then a boot banner (NMEA TXT) like a real receiver
  reset         reboot now
  antenna ok|short|open|off   antenna state in MON-HW / MON-RF
  jamming N     jamming indicator 0..255
  fix on|off    GNSS fix (no fix: survey does not progress, NAV-PVT fixType 0)
  clear         remove all nak/drop/garbage/reset-after faults
  state         reply with the state as one JSON line
  quit          exit
Control socket: --control PATH, a Unix stream socket; one command per line, reply "ok ..." or
"error ...". Signals: SIGTERM / SIGINT exit 0; SIGHUP reboots (like "reset").

State file (--state-file PATH): JSON, rewritten atomically on every change and every epoch:
config (ram/saved/default or ram/bbr/flash/default), time_mode, survey, enabled messages,
counts of frames received per class/id, ACKs / NAKs sent, faults, boots.

The pty slave path is printed first on stdout ("PTY /dev/pts/N"); "BOOT n" lines follow on every
reboot. The program stops by itself after --duration-s and sleeps in select() in between.

--enable NAME (e.g. TIM-TP) starts with that message output at rate 1, in RAM and saved, like
a receiver that was configured and saved before.

Usage: ubxfake.py [--personality m8t|f9t|m8n] [--time-scale 1] [--state-file P] [--control P]
                  [--nak NAME]... [--drop NAME]... [--garbage] [--reset-after N] [--link P]
                  [--enable NAME]... [--antenna ok|short|open|off] [--jamming N] [--no-fix]
"""

import argparse
import errno
import json
import math
import os
import random
import select
import signal
import socket
import struct
import sys
import time
import tty

# The protocol helpers live in small modules next to this file; they are re-exported here so
# tests need only "import ubxfake".
from ubxfake_gen8 import Gen8Config
from ubxfake_gen9 import Gen9Config
from ubxfake_proto import (  # noqa: F401  (re-exported)
    IDS, LAT_DEG, LON_DEG, HEIGHT_M, NAMES, SYNC, TRUE_ECEF_CM, FrameReader, llh_to_ecef_cm,
    msg_name, nmea, parse_msg_name, ubx_checksum, ubx_frame)

# ---------------------------------------------------------------------------------------------
# Personalities

PERSONALITIES = {
    "m8t": {
        "generation": 8, "timing": True, "model": "LEA-M8T",
        "sw": "ROM CORE 3.01 (107888)", "hw": "00080000",
        "ext": ["FWVER=TIM 1.10", "PROTVER=22.00", "MOD=LEA-M8T", "FIS=0xEF4015 (100111)",
                "GPS;GLO;GAL;BDS", "SBAS;IMES;QZSS"],
        "qerr_ps": 10500,  # sawtooth amplitude: ~21 ns peak to peak on M8T
    },
    "f9t": {
        "generation": 9, "timing": True, "model": "ZED-F9T",
        "sw": "EXT CORE 1.00 (f10c36)", "hw": "00190000",
        "ext": ["ROM BASE 0x118B2060", "FWVER=TIM 2.20", "PROTVER=29.20", "MOD=ZED-F9T",
                "GPS;GLO;GAL;BDS", "SBAS;QZSS", "NAVIC"],
        "qerr_ps": 4000,
    },
    "m8n": {
        "generation": 8, "timing": False, "model": "NEO-M8N",
        "sw": "ROM CORE 3.01 (107888)", "hw": "00080000",
        "ext": ["FWVER=SPG 3.01", "PROTVER=18.00", "MOD=NEO-M8N", "FIS=0xEF4015 (100111)",
                "GPS;GLO;GAL;BDS", "SBAS;IMES;QZSS"],
        "qerr_ps": 0,
    },
}

ANTENNA_CODES = {"ok": 2, "short": 3, "open": 4, "off": 1}  # aStatus / antStatus
GPS_EPOCH_UNIX = 315964800
LEAP_S = 18


# ---------------------------------------------------------------------------------------------
# Survey-in, in the receiver's own (scaled) time

SURVEY_ACC_AT_1S_M = 50.0


class Survey:
    def __init__(self):
        self.active = False
        self.valid = False
        self.dur_s = 0.0
        self.min_dur_s = 0
        self.acc_limit_mm = 0.0
        self.starts = 0
        self.mean_cm = [0, 0, 0]

    def start(self, min_dur_s, acc_limit_mm):
        self.active, self.valid, self.dur_s = True, False, 0.0
        self.min_dur_s, self.acc_limit_mm = min_dur_s, acc_limit_mm
        self.starts += 1
        self.mean_cm = [0, 0, 0]

    def stop(self):
        self.active = False

    def acc_mm(self):
        return 1000.0 * SURVEY_ACC_AT_1S_M / math.sqrt(max(self.dur_s, 1.0))

    def advance(self, fake_dt_s):
        """Progress while a fix is available; ends valid when both criteria are met."""
        if not self.active:
            return
        self.dur_s += fake_dt_s
        # The mean converges onto the true position, off by about the current accuracy.
        err_cm = self.acc_mm() / 10.0 / math.sqrt(3)
        self.mean_cm = [int(round(c + err_cm)) for c in TRUE_ECEF_CM]
        if int(self.dur_s) >= self.min_dur_s and self.acc_mm() <= self.acc_limit_mm:
            self.active, self.valid = False, True

    def snapshot(self):
        return {"active": self.active, "valid": self.valid, "dur_s": int(self.dur_s),
                "acc_m": round(self.acc_mm() / 1000.0, 4) if self.starts else None,
                "min_dur_s": self.min_dur_s, "acc_limit_m": self.acc_limit_mm / 1000.0,
                "starts": self.starts, "mean_ecef_cm": self.mean_cm}


# ---------------------------------------------------------------------------------------------
# Output messages of one epoch

def gps_time(unix_s):
    """(week, time of week in ms) of the GPS time at UTC unix_s (LEAP_S leap seconds)."""
    gps_s = unix_s - GPS_EPOCH_UNIX + LEAP_S
    return int(gps_s // 604800), int(round((gps_s % 604800) * 1000))


def nav_pvt(unix_s, fix_type, itow_ms):
    t = time.gmtime(int(unix_s))
    ok = fix_type >= 2
    payload = struct.pack(
        "<IHBBBBBBIiBBBBiiiiIIiiiiiIIH6xihH",
        itow_ms, t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
        0x07 if ok else 0x00, 20 if ok else 0xFFFFFFFF, 0, fix_type, 0x01 if ok else 0, 0x00,
        12 if ok else 0, int(LON_DEG * 1e7), int(LAT_DEG * 1e7), int(HEIGHT_M * 1000),
        int((HEIGHT_M - 47.0) * 1000), 1500 if ok else 0xFFFFFFFF, 2500 if ok else 0xFFFFFFFF,
        0, 0, 0, 0, 0, 100, 0, 120 if ok else 9999, 0, 0, 0)
    assert len(payload) == 92
    return ubx_frame(0x01, 0x07, payload)


class Receiver:
    def __init__(self, personality, time_scale, state_file, delay_ms, boot_s, seed=1):
        self.p = PERSONALITIES[personality]
        self.personality = personality
        self.cfg = Gen9Config() if self.p["generation"] == 9 else Gen8Config(self.p["timing"])
        self.time_scale = time_scale
        self.state_file = state_file
        self.delay_s = delay_ms / 1000.0
        self.boot_s = boot_s
        self.rng = random.Random(seed)
        self.reader = FrameReader()
        self.survey = Survey()
        self.fixed_cm = None
        self.fix = True
        self.antenna = "ok"
        self.jamming = 10
        self.naks, self.drops = set(), set()
        self.garbage = False
        self.garbage_bytes_sent = 0
        self.reset_after = 0         # 0: off; else reboot on that many-th CFG frame from now
        self.cfg_frames_seen = 0
        self.boots = 0
        self.booting_until = 0.0     # monotonic; input ignored and no output before then
        self.epochs = 0
        self.fake_s = 0.0
        self.counts = {"received": {}, "acks_sent": {}, "naks_sent": {}, "dropped": {},
                       "unanswered_reset": {}}
        self.out = bytearray()       # bytes waiting for the pty
        self.boot(initial=True)

    # -- lifecycle ----------------------------------------------------------------------------
    def boot(self, initial=False):
        self.boots += 1
        if not initial:
            self.cfg.reboot()
            self.booting_until = time.monotonic() + self.boot_s
        self.reader = FrameReader()
        self.survey.active = False
        self.survey.valid = False
        self.apply_time_mode(restart=True)
        if not initial:
            print("BOOT", self.boots, flush=True)
        self.write_state()

    def apply_time_mode(self, restart):
        mode, min_dur_s, acc_limit_mm, pos = self.cfg.time_mode()
        if mode == 1 and (restart or not (self.survey.active or self.survey.valid)):
            self.survey.start(min_dur_s, acc_limit_mm)
        elif mode != 1:
            self.survey.stop()
            self.survey.valid = False
        self.fixed_cm = pos

    def effective_time_mode(self):
        mode = self.cfg.time_mode()[0]
        if mode == 2 or (mode == 1 and self.survey.valid):
            return "fixed"
        if mode == 1:
            return "survey_in"
        return "navigation"

    # -- input --------------------------------------------------------------------------------
    def receive(self, data):
        if time.monotonic() < self.booting_until:
            return   # a booting receiver loses what arrives on its UART
        for cls, msg_id, payload in self.reader.feed(data):
            self.handle_frame(cls, msg_id, payload)
            if time.monotonic() < self.booting_until:
                return   # rebooted in the middle of this chunk: the rest is lost
        self.write_state()

    def bump(self, table, cls, msg_id):
        name = msg_name(cls, msg_id)
        self.counts[table][name] = self.counts[table].get(name, 0) + 1

    def send(self, cls, msg_id, payload=b""):
        self.out += ubx_frame(cls, msg_id, payload)

    def ack(self, cls, msg_id, good):
        self.bump("acks_sent" if good else "naks_sent", cls, msg_id)
        self.send(0x05, 0x01 if good else 0x00, bytes((cls, msg_id)))

    def handle_frame(self, cls, msg_id, payload):
        self.bump("received", cls, msg_id)
        if (cls, msg_id) in self.drops:
            self.bump("dropped", cls, msg_id)
            return
        if cls == 0x06:
            self.cfg_frames_seen += 1
            if self.reset_after and self.cfg_frames_seen >= self.reset_after:
                self.reset_after = 0
                self.bump("unanswered_reset", cls, msg_id)
                self.boot()
                return
        if (cls, msg_id) in self.naks:
            self.ack(cls, msg_id, False)
            return
        if cls == 0x06 and msg_id == 0x04:
            self.cfg_rst(payload)
        elif cls == 0x06:
            verdict, replies, tmode_changed = self.cfg.handle(msg_id, payload)
            for reply in replies:
                self.send(*reply)
            self.ack(cls, msg_id, verdict == "ack")
            if tmode_changed:
                self.apply_time_mode(restart=True)
        elif not payload:
            self.poll(cls, msg_id)

    def cfg_rst(self, payload):
        # CFG-RST is never acknowledged. Modes 0/1/2/4 restart, 8/9 stop/start GNSS only.
        if len(payload) == 4 and payload[2] in (0x00, 0x01, 0x02, 0x04):
            self.boot()

    def poll(self, cls, msg_id):
        """Answer a poll (empty payload) of an output message; unknown polls get no answer."""
        if (cls, msg_id) == (0x0A, 0x04):
            self.send(0x0A, 0x04, self.mon_ver())
            return
        frame = self.message(cls, msg_id, time.time())
        if frame:
            self.out += frame

    def mon_ver(self):
        p = self.p
        body = p["sw"].encode().ljust(30, b"\0") + p["hw"].encode().ljust(10, b"\0")
        for ext in p["ext"]:
            body += ext.encode().ljust(30, b"\0")
        return body

    # -- output -------------------------------------------------------------------------------
    def message(self, cls, msg_id, unix_s):
        """One output frame for (cls, id) at UTC unix_s, or None if this model has no such."""
        _, tow_ms = gps_time(unix_s)
        gen9 = self.p["generation"] == 9
        timing = self.p["timing"]
        if (cls, msg_id) == (0x01, 0x07):
            fix_type = 0
            if self.fix:
                fix_type = 5 if self.effective_time_mode() == "fixed" else 3
            return nav_pvt(unix_s, fix_type, tow_ms)
        if (cls, msg_id) == (0x01, 0x61):
            return ubx_frame(0x01, 0x61, struct.pack("<I", tow_ms))
        if (cls, msg_id) == (0x01, 0x26):
            return ubx_frame(0x01, 0x26, struct.pack(
                "<IB3xBbBbiHH3xB", tow_ms, 0, 2, LEAP_S, 2, 0, 0, 0, 0, 0x03))
        if (cls, msg_id) == (0x0D, 0x01) and timing:
            return self.tim_tp(unix_s)
        if (cls, msg_id) == (0x0D, 0x04) and timing:
            s = self.survey
            mean = s.mean_cm if s.starts else [0, 0, 0]
            return ubx_frame(0x0D, 0x04, struct.pack(
                "<IiiiIIBBH", int(s.dur_s), mean[0], mean[1], mean[2],
                int(s.acc_mm() ** 2) if s.starts else 0, int(s.dur_s), int(s.valid),
                int(s.active), 0))
        if (cls, msg_id) == (0x0A, 0x09) and not gen9:
            return self.mon_hw()
        if (cls, msg_id) == (0x0A, 0x38) and gen9:
            return self.mon_rf()
        return None

    def jamming_state(self):
        return 1 if self.jamming < 80 else (2 if self.jamming < 160 else 3)

    def mon_hw(self):
        a_status = ANTENNA_CODES[self.antenna]
        a_power = 0 if self.antenna == "off" else 1
        flags = 0x01 | (self.jamming_state() << 2)   # rtcCalib, jammingState
        payload = struct.pack("<IIIIHHBBBBI17sB2xIII", 0, 0, 0, 0, 80, 2000, a_status, a_power,
                              flags, 0, 0xFFFFFFFF, bytes(range(17)), self.jamming, 0, 0, 0)
        assert len(payload) == 60
        return ubx_frame(0x0A, 0x09, payload)

    def mon_rf(self):
        a_status = ANTENNA_CODES[self.antenna]
        a_power = 0 if self.antenna == "off" else 1
        block = struct.pack("<BBBBI4xHHBbBbB3x", 0, self.jamming_state(), a_status, a_power,
                            0, 80, 2000, self.jamming, 0, 100, 0, 100)
        assert len(block) == 24
        return ubx_frame(0x0A, 0x38, struct.pack("<BB2x", 0, 1) + block)

    def tim_tp(self, unix_s):
        """The next pulse's time (top of the next second), with its quantisation error."""
        nxt = int(unix_s) + 1
        utc = self.cfg.timegrid_utc()
        week, tow_ms = gps_time(nxt - (LEAP_S if utc else 0))
        qerr_ps = int(self.rng.uniform(-1, 1) * self.p["qerr_ps"])
        flags = (0x01 if utc else 0x00) | 0x02   # timeBase UTC/GNSS, UTC available
        if not self.fix:
            flags |= 0x10                         # qErr invalid
        return ubx_frame(0x0D, 0x01, struct.pack("<IIiHBB", tow_ms, 0, qerr_ps, week, flags, 0))

    def nmea_burst(self, unix_s):
        t = time.gmtime(int(unix_s))
        hms = time.strftime("%H%M%S.00", t)
        out = b""
        fix = self.fix
        if self.cfg.rate(0xF0, 0x04):
            out += nmea("GNRMC,{},{},4722.2780,N,00832.5380,E,0.0,,{},,,{},V".format(
                hms, "A" if fix else "V", time.strftime("%d%m%y", t), "A" if fix else "N"))
        if self.cfg.rate(0xF0, 0x00):
            out += nmea("GNGGA,{},4722.2780,N,00832.5380,E,{},12,0.9,410.0,M,47.0,M,,".format(
                hms, 1 if fix else 0))
        if self.cfg.rate(0xF0, 0x08):
            out += nmea("GNZDA,{},{:02d},{:02d},{:04d},00,00".format(
                hms, t.tm_mday, t.tm_mon, t.tm_year))
        return out

    EPOCH_ORDER = [(0x0D, 0x01), (0x0D, 0x04), (0x0A, 0x09), (0x0A, 0x38), (0x01, 0x26),
                   (0x01, 0x07), (0x01, 0x61)]

    def epoch(self, unix_s):
        """Advance fake time by one epoch, then write the enabled messages for second unix_s."""
        self.epochs += 1
        self.fake_s += self.time_scale
        if self.fix:
            was_active = self.survey.active
            self.survey.advance(self.time_scale)
            if was_active and self.survey.valid:
                self.fixed_cm = list(self.survey.mean_cm)
        ubx_on, nmea_on = self.cfg.out_protocols()
        if ubx_on:
            for cls, msg_id in self.EPOCH_ORDER:
                rate = self.cfg.rate(cls, msg_id)
                if rate and self.epochs % rate == 0:
                    frame = self.message(cls, msg_id, unix_s)
                    if frame:
                        self.out += frame
                        if self.garbage:
                            junk = bytes(self.rng.randrange(256) for _ in range(7))
                            self.out += junk.replace(b"\xb5", b"\x00")   # never a sync
                            self.garbage_bytes_sent += len(junk)
        if nmea_on:
            self.out += self.nmea_burst(unix_s)
        self.write_state()

    def banner(self):
        """What a u-blox prints on its UART after a reset (NMEA TXT), if NMEA output is on."""
        if not self.cfg.out_protocols()[1]:
            return b""
        lines = ["u-blox AG - www.u-blox.com", "HW " + self.p["hw"], self.p["sw"]]
        lines += self.p["ext"][:3]
        return b"".join(nmea("GNTXT,01,01,02,{}".format(x)) for x in lines)

    # -- state --------------------------------------------------------------------------------
    def snapshot(self):
        enabled = {}
        for (cls, msg_id), name in NAMES.items():
            rate = self.cfg.rate(cls, msg_id)
            if rate:
                enabled[name] = rate
        mode, min_dur_s, acc_limit_mm, _ = self.cfg.time_mode()
        return {
            "personality": self.personality, "model": self.p["model"],
            "generation": self.p["generation"], "boots": self.boots, "epochs": self.epochs,
            "fake_time_s": self.fake_s, "time_scale": self.time_scale,
            "config": self.cfg.layers(),
            "configured_time_mode": {0: "navigation", 1: "survey_in", 2: "fixed"}.get(mode, str(mode)),
            "time_mode": self.effective_time_mode(), "survey": self.survey.snapshot(),
            "fixed_position_ecef_cm": self.fixed_cm, "cable_delay_ns": self.cfg.cable_delay_ns(),
            "enabled_messages": enabled, "out_protocols": dict(zip(("ubx", "nmea"), self.cfg.out_protocols())),
            "fix": self.fix, "antenna": self.antenna, "jamming": self.jamming,
            "faults": {"nak": sorted(msg_name(*k) for k in self.naks),
                       "drop": sorted(msg_name(*k) for k in self.drops),
                       "garbage": self.garbage, "reset_after": self.reset_after},
            "garbage_bytes_sent": self.garbage_bytes_sent,
            "counts": self.counts,
            "input_skipped_bytes": self.reader.skipped_bytes,
            "input_bad_checksums": self.reader.bad_checksums,
        }

    def write_state(self):
        if not self.state_file:
            return
        tmp = self.state_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.snapshot(), f, indent=1, sort_keys=True)
        os.replace(tmp, self.state_file)

    # -- control ------------------------------------------------------------------------------
    def command(self, line):
        """One control command -> reply text ("ok ..." or "error ...")."""
        words = line.split()
        if not words:
            return "error empty command"
        cmd, args = words[0].lower(), words[1:]
        try:
            if cmd in ("nak", "drop") and len(args) == 1:
                (self.naks if cmd == "nak" else self.drops).add(parse_msg_name(args[0]))
            elif cmd == "garbage" and args in (["on"], ["off"]):
                self.garbage = args[0] == "on"
            elif cmd == "reset-after" and len(args) == 1 and int(args[0]) >= 1:
                self.reset_after, self.cfg_frames_seen = int(args[0]), 0
            elif cmd == "reset" and not args:
                self.boot()
            elif cmd == "antenna" and len(args) == 1 and args[0] in ANTENNA_CODES:
                self.antenna = args[0]
            elif cmd == "jamming" and len(args) == 1 and 0 <= int(args[0]) <= 255:
                self.jamming = int(args[0])
            elif cmd == "fix" and args in (["on"], ["off"]):
                self.fix = args[0] == "on"
            elif cmd == "clear" and not args:
                self.naks, self.drops, self.garbage, self.reset_after = set(), set(), False, 0
            elif cmd == "state" and not args:
                return "ok " + json.dumps(self.snapshot(), sort_keys=True)
            elif cmd == "quit" and not args:
                return "ok quit"
            else:
                return "error unknown command or bad arguments: {!r}".format(line.strip())
        except ValueError as e:
            return "error {}".format(e)
        self.write_state()
        return "ok"


class Control:
    """Unix stream socket; each client sends lines, gets one reply line per command."""

    def __init__(self, path):
        self.path = path
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(4)
        self.clients = {}   # socket -> bytes buffer

    def fds(self):
        return [self.sock] + list(self.clients)

    def readable(self, s, receiver):
        """Returns False when the program should quit."""
        if s is self.sock:
            conn, _ = self.sock.accept()
            self.clients[conn] = b""
            return True
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if not data:
            self.drop(s)
            return True
        buf = self.clients[s] + data
        keep_running = True
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            reply = receiver.command(line.decode(errors="replace"))
            keep_running = keep_running and reply != "ok quit"
            try:
                s.sendall(reply.encode() + b"\n")
            except OSError:
                self.drop(s)
                return keep_running
        self.clients[s] = buf
        return keep_running

    def drop(self, s):
        self.clients.pop(s, None)
        s.close()

    def close(self):
        for s in list(self.clients):
            self.drop(s)
        self.sock.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


class Pty:
    """The receiver's UART: a pty in raw mode, slave path for gpsd."""

    def __init__(self):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)   # no echo, no CRLF translation
        self.path = os.ttyname(self.slave)
        os.set_blocking(self.master, False)

    def read(self):
        try:
            return os.read(self.master, 4096)
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.EIO):
                return b""
            raise

    def write(self, buf):
        """Write what the pty takes now; drop it all if nobody reads (like a UART)."""
        if not buf:
            return
        try:
            n = os.write(self.master, bytes(buf))
            del buf[:n]
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EIO):
                raise
            if len(buf) > 65536:
                buf.clear()

    def close(self):
        os.close(self.master)
        os.close(self.slave)


def run(rx, pty, control, duration_s, stop_flag):
    end = time.monotonic() + duration_s
    banner_due = False
    next_second = int(time.time()) + 1
    while not stop_flag["stop"] and time.monotonic() < end:
        now = time.time()
        booting = time.monotonic() < rx.booting_until
        if booting:
            banner_due = True
            rx.out.clear()
        elif banner_due:
            banner_due = False
            rx.out += rx.banner()
        if now >= next_second + rx.delay_s:
            if now - (next_second + rx.delay_s) < 0.5 and not booting:
                rx.epoch(next_second)
            next_second = int(now - rx.delay_s) + 1
        pty.write(rx.out)
        if stop_flag["reset"]:
            stop_flag["reset"] = False
            rx.boot()
        wait_s = next_second + rx.delay_s - time.time()
        if booting:
            wait_s = min(wait_s, rx.booting_until - time.monotonic())
        wait_s = max(0.0, min(wait_s, end - time.monotonic()))
        rfds = [pty.master] + (control.fds() if control else [])
        wfds = [pty.master] if rx.out else []
        try:
            r, w, _ = select.select(rfds, wfds, [], wait_s)
        except InterruptedError:
            continue
        for fd in r:
            if fd is pty.master or fd == pty.master:
                data = pty.read()
                if data:
                    rx.receive(data)
                else:
                    time.sleep(0.01)   # slave closed: EIO keeps the master readable
            elif control and not control.readable(fd, rx):
                stop_flag["stop"] = True
        if w and not r:
            # The pty only had room for part of the output: do not spin on a full buffer.
            time.sleep(0.005)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[2:]))
    ap.add_argument("--personality", choices=sorted(PERSONALITIES), default="m8t")
    ap.add_argument("--time-scale", type=float, default=1.0,
                    help="fake seconds per wall-clock second (survey speed)")
    ap.add_argument("--delay-ms", type=float, default=50.0,
                    help="epoch output this long after the top of the second")
    ap.add_argument("--boot-s", type=float, default=0.5, help="silence after a reset")
    ap.add_argument("--duration-s", type=float, default=300.0, help="exit after this long")
    ap.add_argument("--state-file", help="JSON state, rewritten on every change")
    ap.add_argument("--control", help="Unix socket path for run-time commands")
    ap.add_argument("--nak", action="append", default=[], help="ACK-NAK every frame of NAME")
    ap.add_argument("--drop", action="append", default=[], help="never answer frames of NAME")
    ap.add_argument("--garbage", action="store_true", help="garbage bytes between frames")
    ap.add_argument("--reset-after", type=int, default=0, help="reboot on the N-th CFG frame")
    ap.add_argument("--antenna", choices=sorted(ANTENNA_CODES), default="ok")
    ap.add_argument("--jamming", type=int, default=10)
    ap.add_argument("--no-fix", action="store_true")
    ap.add_argument("--enable", action="append", default=[], metavar="NAME",
                    help="output NAME (e.g. TIM-TP) at rate 1 from the start, in RAM and saved")
    ap.add_argument("--link", help="make a symlink to the pty slave at this path")
    args = ap.parse_args(argv)
    if not 0 < args.time_scale <= 100000:
        ap.error("--time-scale must be in (0, 100000]")
    if not 0 <= args.delay_ms < 900:
        ap.error("--delay-ms must be in [0, 900)")
    if not 0 <= args.jamming <= 255:
        ap.error("--jamming must be in [0, 255]")
    if args.reset_after < 0:
        ap.error("--reset-after must be >= 0")
    try:
        naks = {parse_msg_name(n) for n in args.nak}
        drops = {parse_msg_name(n) for n in args.drop}
        for name in args.enable:
            parse_msg_name(name)
    except ValueError as e:
        ap.error(str(e))

    rx = Receiver(args.personality, args.time_scale, args.state_file, args.delay_ms, args.boot_s)
    rx.naks, rx.drops, rx.garbage = naks, drops, args.garbage
    rx.reset_after, rx.antenna, rx.jamming, rx.fix = (args.reset_after, args.antenna,
                                                      args.jamming, not args.no_fix)
    for name in args.enable:
        if not rx.cfg.preset_rate(*parse_msg_name(name), 1):
            ap.error("--enable {}: no such output message on {}".format(name, rx.p["model"]))
    pty = Pty()
    rx.write_state()
    control = Control(args.control) if args.control else None
    stop_flag = {"stop": False, "reset": False}

    def stop(_sig, _frame):
        stop_flag["stop"] = True

    def reset(_sig, _frame):
        stop_flag["reset"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGHUP, reset)
    if args.link:
        try:
            os.unlink(args.link)
        except FileNotFoundError:
            pass
        os.symlink(pty.path, args.link)
    print("PTY", pty.path, flush=True)
    try:
        run(rx, pty, control, args.duration_s, stop_flag)
    finally:
        if control:
            control.close()
        if args.link:
            try:
                os.unlink(args.link)
            except FileNotFoundError:
                pass
        pty.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
