#!/usr/bin/python3
"""Fake u-blox timing receiver: UBX (and NMEA) on a pty, with state, for tests through gpsd.

Written from the u-blox protocol specifications (M8 and F9 "interface description"),
independently of lib/ubx, so the two check each other. Standard library only.

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

Usage: ubxfake.py [--personality m8t|f9t|m8n] [--time-scale 1] [--state-file P] [--control P]
                  [--nak NAME]... [--drop NAME]... [--garbage] [--reset-after N] [--link P]
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

# ---------------------------------------------------------------------------------------------
# UBX framing (u-blox protocol specification, "UBX frame structure" and "UBX checksum")

SYNC = b"\xb5\x62"
MAX_PAYLOAD = 4096  # longer frames are treated as garbage (real receivers' buffers are smaller)


def ubx_checksum(body):
    """8-bit Fletcher over class, id, length and payload."""
    ck_a = ck_b = 0
    for byte in body:
        ck_a = (ck_a + byte) & 0xFF
        ck_b = (ck_b + ck_a) & 0xFF
    return bytes((ck_a, ck_b))


def ubx_frame(cls, msg_id, payload=b""):
    body = struct.pack("<BBH", cls, msg_id, len(payload)) + payload
    return SYNC + body + ubx_checksum(body)


class FrameReader:
    """Incremental UBX frame parser: feed bytes, get (cls, id, payload); skips non-UBX bytes."""

    def __init__(self):
        self.buf = b""
        self.skipped_bytes = 0
        self.bad_checksums = 0

    def feed(self, data):
        self.buf += data
        frames = []
        while True:
            start = self.buf.find(SYNC)
            if start < 0:
                # Keep a trailing 0xB5: it may be the first half of the next sync.
                keep = 1 if self.buf.endswith(b"\xb5") else 0
                self.skipped_bytes += len(self.buf) - keep
                self.buf = self.buf[len(self.buf) - keep:]
                return frames
            self.skipped_bytes += start
            self.buf = self.buf[start:]
            if len(self.buf) < 6:
                return frames
            cls, msg_id, length = struct.unpack_from("<BBH", self.buf, 2)
            if length > MAX_PAYLOAD:
                self.skipped_bytes += 2
                self.buf = self.buf[2:]
                continue
            if len(self.buf) < 8 + length:
                return frames
            body = self.buf[2:6 + length]
            if ubx_checksum(body) != self.buf[6 + length:8 + length]:
                self.bad_checksums += 1
                self.skipped_bytes += 2
                self.buf = self.buf[2:]
                continue
            frames.append((cls, msg_id, bytes(body[4:])))
            self.buf = self.buf[8 + length:]


def nmea(body):
    cs = 0
    for ch in body.encode("ascii"):
        cs ^= ch
    return "${}*{:02X}\r\n".format(body, cs).encode("ascii")


# ---------------------------------------------------------------------------------------------
# Message names (for counts in the state file and for fault selection)

NAMES = {
    (0x01, 0x01): "NAV-POSECEF", (0x01, 0x04): "NAV-DOP", (0x01, 0x06): "NAV-SOL",
    (0x01, 0x07): "NAV-PVT", (0x01, 0x11): "NAV-VELECEF", (0x01, 0x20): "NAV-TIMEGPS",
    (0x01, 0x26): "NAV-TIMELS", (0x01, 0x30): "NAV-SVINFO", (0x01, 0x32): "NAV-SBAS",
    (0x01, 0x35): "NAV-SAT", (0x01, 0x61): "NAV-EOE",
    (0x05, 0x00): "ACK-NAK", (0x05, 0x01): "ACK-ACK",
    (0x06, 0x00): "CFG-PRT", (0x06, 0x01): "CFG-MSG", (0x06, 0x02): "CFG-INF",
    (0x06, 0x04): "CFG-RST", (0x06, 0x08): "CFG-RATE", (0x06, 0x09): "CFG-CFG",
    (0x06, 0x13): "CFG-ANT", (0x06, 0x16): "CFG-SBAS", (0x06, 0x23): "CFG-NAVX5",
    (0x06, 0x24): "CFG-NAV5", (0x06, 0x31): "CFG-TP5", (0x06, 0x3D): "CFG-TMODE2",
    (0x06, 0x3E): "CFG-GNSS", (0x06, 0x71): "CFG-TMODE3", (0x06, 0x8A): "CFG-VALSET",
    (0x06, 0x8B): "CFG-VALGET", (0x06, 0x8C): "CFG-VALDEL",
    (0x0A, 0x04): "MON-VER", (0x0A, 0x09): "MON-HW", (0x0A, 0x38): "MON-RF",
    (0x0D, 0x01): "TIM-TP", (0x0D, 0x04): "TIM-SVIN",
    (0xF0, 0x00): "NMEA-GGA", (0xF0, 0x01): "NMEA-GLL", (0xF0, 0x02): "NMEA-GSA",
    (0xF0, 0x03): "NMEA-GSV", (0xF0, 0x04): "NMEA-RMC", (0xF0, 0x05): "NMEA-VTG",
    (0xF0, 0x07): "NMEA-GST", (0xF0, 0x08): "NMEA-ZDA", (0xF0, 0x09): "NMEA-GBS",
}
IDS = {v: k for k, v in NAMES.items()}


def msg_name(cls, msg_id):
    return NAMES.get((cls, msg_id), "{:02X}-{:02X}".format(cls, msg_id))


def parse_msg_name(text):
    """'CFG-TMODE2', '06-3d', '0x06,0x3d' -> (cls, id); ValueError otherwise."""
    text = text.strip()
    if text.upper() in IDS:
        return IDS[text.upper()]
    for sep in ("-", ",", ":"):
        if sep in text:
            a, b = text.split(sep, 1)
            try:
                cls, msg_id = int(a, 16), int(b, 16)
            except ValueError:
                break
            if 0 <= cls <= 255 and 0 <= msg_id <= 255:
                return cls, msg_id
    raise ValueError("unknown message name {!r} (use e.g. CFG-TMODE2 or 06-3d)".format(text))


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

# A plausible antenna position (Zurich): geodetic and the matching ECEF (WGS84), in cm.
LAT_DEG, LON_DEG, HEIGHT_M = 47.3713, 8.5423, 410.0


def llh_to_ecef_cm(lat_deg, lon_deg, h_m):
    a, f = 6378137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    n = a / math.sqrt(1 - e2 * math.sin(lat) ** 2)
    x = (n + h_m) * math.cos(lat) * math.cos(lon)
    y = (n + h_m) * math.cos(lat) * math.sin(lon)
    z = (n * (1 - e2) + h_m) * math.sin(lat)
    return [int(round(v * 100)) for v in (x, y, z)]


TRUE_ECEF_CM = llh_to_ecef_cm(LAT_DEG, LON_DEG, HEIGHT_M)
ANTENNA_CODES = {"ok": 2, "short": 3, "open": 4, "off": 1}  # aStatus / antStatus
GPS_EPOCH_UNIX = 315964800
LEAP_S = 18


# ---------------------------------------------------------------------------------------------
# Generation 8 configuration: one structured value per CFG message (per port / per index),
# layers RAM, saved (BBR and flash together) and default. CFG-CFG sections (clear/save/load
# masks) group them like the specification: ioPort, msgConf, infMsg, navConf, antConf.

SECTION_BITS = {"PRT": 0, "MSG": 1, "INF": 2, "ANT": 10}  # everything else: navConf (bit 3)

TMODE2_FMT = "<BBHiiiIII"        # 28 bytes
TMODE2_FIELDS = ("timeMode", "reserved1", "flags", "ecefXOrLat", "ecefYOrLon", "ecefZOrAlt",
                 "fixedPosAcc_mm", "svinMinDur_s", "svinAccLimit_mm")
TP5_FMT = "<BBHhhIIIIiI"         # 32 bytes
TP5_FIELDS = ("tpIdx", "version", "reserved1", "antCableDelay_ns", "rfGroupDelay_ns",
              "freqPeriod", "freqPeriodLock", "pulseLenRatio", "pulseLenRatioLock",
              "userConfigDelay_ns", "flags")
PRT_FMT = "<BBHIIHHHH"           # 20 bytes
PRT_FIELDS = ("portID", "reserved1", "txReady", "mode", "baudRate", "inProtoMask",
              "outProtoMask", "flags", "reserved2")
RATE_FMT = "<HHH"
RATE_FIELDS = ("measRate_ms", "navRate", "timeRef")
STRUCTS = {0x3D: ("TMODE2", TMODE2_FMT, TMODE2_FIELDS), 0x31: ("TP5", TP5_FMT, TP5_FIELDS),
           0x00: ("PRT", PRT_FMT, PRT_FIELDS), 0x08: ("RATE", RATE_FMT, RATE_FIELDS)}


def gen8_defaults(timing):
    d = {
        "PRT-1": dict(zip(PRT_FIELDS, (1, 0, 0, 0x8C0, 9600, 0x07, 0x03, 0, 0))),
        "RATE": dict(zip(RATE_FIELDS, (1000, 1, 1))),
        "NAV5": "ffff" + "00" * 34,
        # NMEA on UART1 as from the factory (GGA, GLL, GSA, GSV, RMC, VTG); no UBX output.
        "MSG-F0-00": 1, "MSG-F0-01": 1, "MSG-F0-02": 1, "MSG-F0-03": 1, "MSG-F0-04": 1,
        "MSG-F0-05": 1,
    }
    for idx in (0, 1):
        # TP5 flags 0x77: active, lockGnssFreq, lockedOtherSet, isLength, alignToTow,
        # rising edge; grid UTC. Period 1 s; pulse 100 ms when locked.
        d["TP5-{}".format(idx)] = dict(zip(TP5_FIELDS, (
            idx, 1, 0, 50, 0, 1000000, 1000000, 0, 100000, 0, 0x77)))
    if timing:
        d["TMODE2"] = dict(zip(TMODE2_FIELDS, (0, 0, 0, 0, 0, 0, 0, 0, 0)))
    return d


def section_of(name):
    return SECTION_BITS.get(name.split("-")[0], 3)


class Gen8Config:
    """CFG-* messages of a generation-8 receiver. handle() returns (verdict, reply frames)."""

    generation = 8

    def __init__(self, timing):
        self.timing = timing
        self.default = gen8_defaults(timing)
        self.saved = json.loads(json.dumps(self.default))
        self.ram = json.loads(json.dumps(self.default))

    def reboot(self):
        self.ram = json.loads(json.dumps(self.saved))

    def layers(self):
        return {"ram": self.ram, "saved": self.saved, "default": self.default}

    # -- accessors used by the receiver model -------------------------------------------------
    def time_mode(self):
        """(mode 0/1/2, min_dur_s, acc_limit_mm, fixed ECEF cm or None)."""
        t = self.ram.get("TMODE2")
        if not t:
            return 0, 0, 0, None
        pos = None
        if t["timeMode"] == 2 and not t["flags"] & 1:
            pos = [t["ecefXOrLat"], t["ecefYOrLon"], t["ecefZOrAlt"]]
        elif t["timeMode"] == 2:
            pos = llh_to_ecef_cm(t["ecefXOrLat"] * 1e-7, t["ecefYOrLon"] * 1e-7,
                                 t["ecefZOrAlt"] / 100.0)
        return t["timeMode"], t["svinMinDur_s"], t["svinAccLimit_mm"], pos

    def cable_delay_ns(self):
        return self.ram["TP5-0"]["antCableDelay_ns"]

    def timegrid_utc(self):
        return (self.ram["TP5-0"]["flags"] >> 7) & 0xF == 0

    def rate(self, cls, msg_id):
        return self.ram.get("MSG-{:02X}-{:02X}".format(cls, msg_id), 0)

    def out_protocols(self):
        m = self.ram["PRT-1"]["outProtoMask"]
        return bool(m & 1), bool(m & 2)

    # -- CFG handling -------------------------------------------------------------------------
    def handle(self, msg_id, payload):
        """-> ("ack"|"nak"|"none", [reply payloads as (cls, id, bytes)], changed_time_mode)."""
        if msg_id == 0x01:
            return self._msg(payload)
        if msg_id == 0x09:
            return self._cfg(payload)
        if msg_id == 0x3D and not self.timing:
            return "nak", [], False
        if msg_id in STRUCTS:
            return self._struct(msg_id, payload)
        name = NAMES.get((0x06, msg_id), "").replace("CFG-", "")
        if not name or msg_id in (0x8A, 0x8B, 0x8C):
            return "nak", [], False
        # Other known CFG messages (NAV5, NAVX5, SBAS, GNSS, ANT, INF): kept as raw bytes.
        if not payload:
            if name in self.ram:
                return "ack", [(0x06, msg_id, bytes.fromhex(self.ram[name]))], False
            return "nak", [], False
        self.ram[name] = payload.hex()
        return "ack", [], False

    def _struct(self, msg_id, payload):
        name, fmt, fields = STRUCTS[msg_id]
        size = struct.calcsize(fmt)
        if msg_id == 0x00:      # CFG-PRT: poll with 0 or 1 byte (port id); we have UART1 only
            if len(payload) <= 1:
                port = payload[0] if payload else 1
                cur = dict(self.ram["PRT-1"], portID=port)
                return "ack", [(0x06, 0x00, struct.pack(fmt, *(cur[f] for f in fields)))], False
            key = "PRT-{}".format(payload[0])
        elif msg_id == 0x31:    # CFG-TP5: poll with 0 or 1 byte (tpIdx)
            if len(payload) <= 1:
                idx = payload[0] if payload else 0
                cur = self.ram.get("TP5-{}".format(idx))
                if cur is None:
                    return "nak", [], False
                return "ack", [(0x06, 0x31, struct.pack(fmt, *(cur[f] for f in fields)))], False
            key = "TP5-{}".format(payload[0])
        else:
            if not payload:
                cur = self.ram[name]
                return "ack", [(0x06, msg_id, struct.pack(fmt, *(cur[f] for f in fields)))], False
            key = name
        if len(payload) != size:
            return "nak", [], False
        values = dict(zip(fields, struct.unpack(fmt, payload)))
        if key.startswith("PRT-") and key != "PRT-1":
            return "ack", [], False     # other ports: accepted, not modelled
        if key.startswith("TP5-") and key not in self.ram:
            return "nak", [], False
        if name == "TMODE2" and values["timeMode"] > 2:
            return "nak", [], False
        self.ram[key] = values
        return "ack", [], name == "TMODE2"

    def _msg(self, payload):
        if len(payload) == 2:       # poll: rates on the 6 ports, only UART1 (port 1) modelled
            rate = self.rate(payload[0], payload[1])
            return "ack", [(0x06, 0x01, bytes((payload[0], payload[1], 0, rate, 0, 0, 0, 0)))], False
        if len(payload) == 3:
            rate = payload[2]
        elif len(payload) == 8:
            rate = payload[3]
        else:
            return "nak", [], False
        if payload[0] == 0x0D and not self.timing:
            return "nak", [], False
        self.ram["MSG-{:02X}-{:02X}".format(payload[0], payload[1])] = rate
        return "ack", [], False

    def _cfg(self, payload):
        if len(payload) not in (12, 13):
            return "nak", [], False
        clear, save, load = struct.unpack_from("<III", payload)
        names = set(self.default) | set(self.ram) | set(self.saved)
        changed = False
        for name in sorted(names):
            bit = 1 << section_of(name)
            if clear & bit:
                if name in self.default:
                    self.saved[name] = json.loads(json.dumps(self.default[name]))
                else:
                    self.saved.pop(name, None)
            if save & bit and name in self.ram:
                self.saved[name] = json.loads(json.dumps(self.ram[name]))
            if load & bit and name in self.saved:
                if name == "TMODE2" and self.ram.get(name) != self.saved[name]:
                    changed = True   # only a different time mode restarts the survey
                self.ram[name] = json.loads(json.dumps(self.saved[name]))
        return "ack", [], changed

# ---------------------------------------------------------------------------------------------
# Generation 9 configuration: key/value items (key id bits 28..30 give the value size), layers
# RAM, BBR, flash, default. Unknown keys make the whole VALGET/VALSET fail with ACK-NAK, like
# the real receiver.

F9_KEYS = [
    # name, key id, type, default
    ("CFG-TMODE-MODE", 0x20030001, "E1", 0), ("CFG-TMODE-POS_TYPE", 0x20030002, "E1", 0),
    ("CFG-TMODE-ECEF_X", 0x40030003, "I4", 0), ("CFG-TMODE-ECEF_Y", 0x40030004, "I4", 0),
    ("CFG-TMODE-ECEF_Z", 0x40030005, "I4", 0), ("CFG-TMODE-ECEF_X_HP", 0x20030006, "I1", 0),
    ("CFG-TMODE-ECEF_Y_HP", 0x20030007, "I1", 0), ("CFG-TMODE-ECEF_Z_HP", 0x20030008, "I1", 0),
    ("CFG-TMODE-LAT", 0x40030009, "I4", 0), ("CFG-TMODE-LON", 0x4003000A, "I4", 0),
    ("CFG-TMODE-HEIGHT", 0x4003000B, "I4", 0), ("CFG-TMODE-LAT_HP", 0x2003000C, "I1", 0),
    ("CFG-TMODE-LON_HP", 0x2003000D, "I1", 0), ("CFG-TMODE-HEIGHT_HP", 0x2003000E, "I1", 0),
    ("CFG-TMODE-FIXED_POS_ACC", 0x4003000F, "U4", 0),
    ("CFG-TMODE-SVIN_MIN_DUR", 0x40030010, "U4", 0),
    ("CFG-TMODE-SVIN_ACC_LIMIT", 0x40030011, "U4", 0),
    ("CFG-TP-PULSE_DEF", 0x20050023, "E1", 0), ("CFG-TP-PULSE_LENGTH_DEF", 0x20050030, "E1", 1),
    ("CFG-TP-ANT_CABLEDELAY", 0x30050001, "I2", 50),
    ("CFG-TP-PERIOD_TP1", 0x40050002, "U4", 1000000),
    ("CFG-TP-PERIOD_LOCK_TP1", 0x40050003, "U4", 1000000),
    ("CFG-TP-LEN_TP1", 0x40050004, "U4", 0), ("CFG-TP-LEN_LOCK_TP1", 0x40050005, "U4", 100000),
    ("CFG-TP-USER_DELAY_TP1", 0x40050006, "I4", 0), ("CFG-TP-TP1_ENA", 0x10050007, "L", 1),
    ("CFG-TP-SYNC_GNSS_TP1", 0x10050008, "L", 1), ("CFG-TP-USE_LOCKED_TP1", 0x10050009, "L", 1),
    ("CFG-TP-ALIGN_TO_TOW_TP1", 0x1005000A, "L", 1), ("CFG-TP-POL_TP1", 0x1005000B, "L", 1),
    ("CFG-TP-TIMEGRID_TP1", 0x2005000C, "E1", 0),
    ("CFG-RATE-MEAS", 0x30210001, "U2", 1000), ("CFG-RATE-NAV", 0x30210002, "U2", 1),
    ("CFG-RATE-TIMEREF", 0x20210003, "E1", 1),
    ("CFG-UART1-BAUDRATE", 0x40520001, "U4", 38400),
    ("CFG-UART1INPROT-UBX", 0x10730001, "L", 1), ("CFG-UART1INPROT-NMEA", 0x10730002, "L", 1),
    ("CFG-UART1INPROT-RTCM3X", 0x10730004, "L", 1),
    ("CFG-UART1OUTPROT-UBX", 0x10740001, "L", 1), ("CFG-UART1OUTPROT-NMEA", 0x10740002, "L", 1),
    ("CFG-UART1OUTPROT-RTCM3X", 0x10740004, "L", 1),
]
# Output rates on UART1: (class, id) -> key. CFG-MSG (which gpsd sends) writes the same items.
F9_MSGOUT = {
    (0x01, 0x07): ("CFG-MSGOUT-UBX_NAV_PVT_UART1", 0x20910007, 0),
    (0x01, 0x26): ("CFG-MSGOUT-UBX_NAV_TIMELS_UART1", 0x20910061, 0),
    (0x01, 0x01): ("CFG-MSGOUT-UBX_NAV_POSECEF_UART1", 0x20910025, 0),
    (0x01, 0x04): ("CFG-MSGOUT-UBX_NAV_DOP_UART1", 0x20910039, 0),
    (0x01, 0x11): ("CFG-MSGOUT-UBX_NAV_VELECEF_UART1", 0x2091003E, 0),
    (0x01, 0x20): ("CFG-MSGOUT-UBX_NAV_TIMEGPS_UART1", 0x20910048, 0),
    (0x01, 0x35): ("CFG-MSGOUT-UBX_NAV_SAT_UART1", 0x20910016, 0),
    (0x01, 0x61): ("CFG-MSGOUT-UBX_NAV_EOE_UART1", 0x20910160, 0),
    (0x0D, 0x01): ("CFG-MSGOUT-UBX_TIM_TP_UART1", 0x2091017E, 0),
    (0x0D, 0x04): ("CFG-MSGOUT-UBX_TIM_SVIN_UART1", 0x20910098, 0),
    (0x0A, 0x38): ("CFG-MSGOUT-UBX_MON_RF_UART1", 0x2091035A, 0),
    (0x0A, 0x09): ("CFG-MSGOUT-UBX_MON_HW_UART1", 0x209101B5, 0),
    (0xF0, 0x00): ("CFG-MSGOUT-NMEA_ID_GGA_UART1", 0x209100BB, 1),
    (0xF0, 0x01): ("CFG-MSGOUT-NMEA_ID_GLL_UART1", 0x209100CA, 1),
    (0xF0, 0x02): ("CFG-MSGOUT-NMEA_ID_GSA_UART1", 0x209100C0, 1),
    (0xF0, 0x03): ("CFG-MSGOUT-NMEA_ID_GSV_UART1", 0x209100C5, 1),
    (0xF0, 0x04): ("CFG-MSGOUT-NMEA_ID_RMC_UART1", 0x209100AC, 1),
    (0xF0, 0x05): ("CFG-MSGOUT-NMEA_ID_VTG_UART1", 0x209100B1, 1),
    (0xF0, 0x07): ("CFG-MSGOUT-NMEA_ID_GST_UART1", 0x209100D4, 0),
    (0xF0, 0x08): ("CFG-MSGOUT-NMEA_ID_ZDA_UART1", 0x209100D9, 0),
    (0xF0, 0x09): ("CFG-MSGOUT-NMEA_ID_GBS_UART1", 0x209100DE, 0),
}
F9_TABLE = {kid: (name, typ, default) for name, kid, typ, default in F9_KEYS}
F9_TABLE.update({kid: (name, "U1", default) for name, kid, default in F9_MSGOUT.values()})
F9_BY_NAME = {v[0]: k for k, v in F9_TABLE.items()}
VALUE_SIZE = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8}  # key bits 28..30 -> bytes
LAYER_BITS = {"ram": 1, "bbr": 2, "flash": 4}
VALGET_LAYERS = {0: "ram", 1: "bbr", 2: "flash", 7: "default"}


def key_size(kid):
    return VALUE_SIZE.get((kid >> 28) & 7)


def decode_value(kid, raw):
    typ = F9_TABLE[kid][1]
    return int.from_bytes(raw, "little", signed=typ.startswith("I"))


def encode_value(kid, value):
    typ = F9_TABLE[kid][1]
    return int(value).to_bytes(key_size(kid), "little", signed=typ.startswith("I"))


def parse_key_values(data):
    """cfgData -> [(kid, value)]; ValueError on an unknown key or a truncated item."""
    items, pos = [], 0
    while pos < len(data):
        if pos + 4 > len(data):
            raise ValueError("truncated key")
        kid = struct.unpack_from("<I", data, pos)[0]
        if kid not in F9_TABLE:
            raise ValueError("unknown key 0x{:08x}".format(kid))
        size = key_size(kid)
        raw = data[pos + 4:pos + 4 + size]
        if len(raw) != size:
            raise ValueError("truncated value")
        items.append((kid, decode_value(kid, raw)))
        pos += 4 + size
    return items


class Gen9Config:
    generation = 9

    def __init__(self):
        self.default = {name: default for _, (name, _, default) in F9_TABLE.items()}
        self.bbr, self.flash = {}, {}
        self.ram = dict(self.default)
        self.pending = None  # VALSET transaction: [(layers, kid, value)]

    def reboot(self):
        self.ram = dict(self.default)
        self.ram.update(self.flash)
        self.ram.update(self.bbr)
        self.pending = None

    def layers(self):
        return {"ram": self.ram, "bbr": self.bbr, "flash": self.flash, "default": self.default}

    def get(self, name):
        return self.ram[name]

    def time_mode(self):
        mode = self.get("CFG-TMODE-MODE")
        pos = None
        if mode == 2 and self.get("CFG-TMODE-POS_TYPE") == 0:
            pos = [self.get("CFG-TMODE-ECEF_" + a) for a in "XYZ"]
        elif mode == 2:
            pos = llh_to_ecef_cm(self.get("CFG-TMODE-LAT") * 1e-7, self.get("CFG-TMODE-LON") * 1e-7,
                                 self.get("CFG-TMODE-HEIGHT") / 100.0)
        # SVIN_ACC_LIMIT is in 0.1 mm on gen 9
        return mode, self.get("CFG-TMODE-SVIN_MIN_DUR"), self.get("CFG-TMODE-SVIN_ACC_LIMIT") / 10.0, pos

    def cable_delay_ns(self):
        return self.get("CFG-TP-ANT_CABLEDELAY")

    def timegrid_utc(self):
        return self.get("CFG-TP-TIMEGRID_TP1") == 0

    def rate(self, cls, msg_id):
        entry = F9_MSGOUT.get((cls, msg_id))
        return self.ram[entry[0]] if entry else 0

    def out_protocols(self):
        return bool(self.get("CFG-UART1OUTPROT-UBX")), bool(self.get("CFG-UART1OUTPROT-NMEA"))

    def handle(self, msg_id, payload):
        if msg_id == 0x8A:
            return self._valset(payload)
        if msg_id == 0x8B:
            return self._valget(payload)
        if msg_id == 0x8C:
            return self._valdel(payload)
        if msg_id == 0x01:
            return self._msg(payload)
        if msg_id == 0x09:
            return self._cfg(payload)
        if msg_id == 0x00:
            return self._prt(payload)
        if msg_id == 0x08 and len(payload) == 6:
            meas, nav, ref = struct.unpack("<HHH", payload)
            self.ram.update({"CFG-RATE-MEAS": meas, "CFG-RATE-NAV": nav, "CFG-RATE-TIMEREF": ref})
            return "ack", [], False
        return "nak", [], False   # CFG-TMODE2, CFG-TP5, CFG-NAV5, ... are not F9 messages here

    def _apply(self, layers, items):
        changed = False
        for kid, value in items:
            name = F9_TABLE[kid][0]
            if layers & 1:
                changed = changed or name.startswith("CFG-TMODE-")
                self.ram[name] = value
            if layers & 2:
                self.bbr[name] = value
            if layers & 4:
                self.flash[name] = value
        return changed

    def _valset(self, payload):
        if len(payload) < 4 or payload[0] not in (0, 1) or not payload[1] & 7:
            return "nak", [], False
        layers, action = payload[1], (payload[2] & 3 if payload[0] == 1 else 0)
        try:
            items = parse_key_values(payload[4:])
        except ValueError:
            self.pending = None   # a failed item aborts the whole transaction
            return "nak", [], False
        if action == 0:
            return "ack", [], self._apply(layers, items)
        if action == 1:
            self.pending = [(layers, items)]
            return "ack", [], False
        if self.pending is None:
            return "nak", [], False
        self.pending.append((layers, items))
        if action == 2:
            return "ack", [], False
        changed = False
        for lay, its in self.pending:
            changed = self._apply(lay, its) or changed
        self.pending = None
        return "ack", [], changed

    def _valget(self, payload):
        if len(payload) < 8 or payload[0] != 0 or payload[1] not in VALGET_LAYERS:
            return "nak", [], False
        layer = VALGET_LAYERS[payload[1]]
        source = self.layers()[layer]
        out = bytearray(struct.pack("<BBH", 1, payload[1], 0))
        for pos in range(4, len(payload) - 3, 4):
            kid = struct.unpack_from("<I", payload, pos)[0]
            if kid not in F9_TABLE:
                return "nak", [], False
            name = F9_TABLE[kid][0]
            if name not in source:
                continue     # not stored in that layer: simply absent from the reply
            out += struct.pack("<I", kid) + encode_value(kid, source[name])
        return "ack", [(0x06, 0x8B, bytes(out))], False

    def _valdel(self, payload):
        if len(payload) < 4 or not payload[1] & 6 or payload[1] & 1:
            return "nak", [], False
        for pos in range(4, len(payload) - 3, 4):
            kid = struct.unpack_from("<I", payload, pos)[0]
            if kid not in F9_TABLE:
                return "nak", [], False
            name = F9_TABLE[kid][0]
            if payload[1] & 2:
                self.bbr.pop(name, None)
            if payload[1] & 4:
                self.flash.pop(name, None)
        return "ack", [], False

    def _msg(self, payload):
        if len(payload) == 2:
            rate = self.rate(payload[0], payload[1])
            return "ack", [(0x06, 0x01, bytes((payload[0], payload[1], 0, rate, 0, 0, 0, 0)))], False
        if len(payload) not in (3, 8):
            return "nak", [], False
        entry = F9_MSGOUT.get((payload[0], payload[1]))
        if entry is None:
            return "nak", [], False
        self.ram[entry[0]] = payload[2] if len(payload) == 3 else payload[3]
        return "ack", [], False

    def _prt(self, payload):
        if len(payload) <= 1:
            port = payload[0] if payload else 1
            body = struct.pack(PRT_FMT, port, 0, 0, 0x8C0, self.get("CFG-UART1-BAUDRATE"),
                               self.get("CFG-UART1INPROT-UBX") | self.get("CFG-UART1INPROT-NMEA") << 1,
                               self.get("CFG-UART1OUTPROT-UBX") | self.get("CFG-UART1OUTPROT-NMEA") << 1,
                               0, 0)
            return "ack", [(0x06, 0x00, body)], False
        if len(payload) != 20:
            return "nak", [], False
        values = dict(zip(PRT_FIELDS, struct.unpack(PRT_FMT, payload)))
        if values["portID"] == 1:
            self.ram["CFG-UART1-BAUDRATE"] = values["baudRate"]
            for bit, proto in ((1, "UBX"), (2, "NMEA")):
                self.ram["CFG-UART1INPROT-" + proto] = int(bool(values["inProtoMask"] & bit))
                self.ram["CFG-UART1OUTPROT-" + proto] = int(bool(values["outProtoMask"] & bit))
        return "ack", [], False

    def _cfg(self, payload):
        if len(payload) not in (12, 13):
            return "nak", [], False
        clear, save, load = struct.unpack_from("<III", payload)
        devices = payload[12] if len(payload) == 13 else 0x03   # BBR + flash when absent
        targets = [layer for bit, layer in ((1, self.bbr), (2, self.flash)) if devices & bit]
        if clear:
            for layer in targets:
                layer.clear()
        if save:
            for layer in targets:
                layer.update(self.ram)
        changed = False
        if load:
            before = {k: v for k, v in self.ram.items() if k.startswith("CFG-TMODE-")}
            self.reboot()
            changed = before != {k: v for k, v in self.ram.items() if k.startswith("CFG-TMODE-")}
        return "ack", [], changed

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
        week, tow_ms = gps_time(unix_s)
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
    except ValueError as e:
        ap.error(str(e))

    pty = Pty()
    rx = Receiver(args.personality, args.time_scale, args.state_file, args.delay_ms, args.boot_s)
    rx.naks, rx.drops, rx.garbage = naks, drops, args.garbage
    rx.reset_after, rx.antenna, rx.jamming, rx.fix = (args.reset_after, args.antenna,
                                                      args.jamming, not args.no_fix)
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
