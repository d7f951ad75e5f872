"""Generation-8 configuration (LEA-M8T, NEO-M8N) of the fake u-blox receiver (ubxfake.py)."""

import json
import struct

from ubxfake_proto import NAMES, llh_to_ecef_cm

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

    def preset_rate(self, cls, msg_id, rate):
        """Output rate in RAM and saved: a receiver configured and saved before we start.
        False if this model has no such message."""
        if cls == 0x0D and not self.timing:
            return False
        key = "MSG-{:02X}-{:02X}".format(cls, msg_id)
        self.ram[key] = self.saved[key] = rate
        return True

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
