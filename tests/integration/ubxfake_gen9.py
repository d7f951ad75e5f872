"""Generation-9 configuration (ZED-F9T) of the fake u-blox receiver (ubxfake.py)."""

import struct

from ubxfake_gen8 import PRT_FIELDS, PRT_FMT
from ubxfake_proto import llh_to_ecef_cm

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

    def preset_rate(self, cls, msg_id, rate):
        """Output rate in RAM and BBR (configured and saved before we start)."""
        entry = F9_MSGOUT.get((cls, msg_id))
        if entry is None:
            return False
        self.ram[entry[0]] = self.bbr[entry[0]] = rate
        return True

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
        position = struct.unpack_from("<H", payload, 2)[0]
        found = []
        for pos in range(4, len(payload) - 3, 4):
            kid = struct.unpack_from("<I", payload, pos)[0]
            if kid & 0xFFFF == 0xFFFF:
                # Group wildcard ("CFG-TMODE-*" = 0x2003ffff): every item of that group.
                group = (kid >> 16) & 0xFF
                found += sorted(k for k in F9_TABLE if (k >> 16) & 0xFF == group)
            elif kid in F9_TABLE:
                found.append(kid)
            else:
                return "nak", [], False
        # Items not stored in that layer are simply absent; at most 64 per answer, `position`
        # skips the ones already read (the specification's paging).
        found = [k for k in found if F9_TABLE[k][0] in source][position:position + 64]
        out = bytearray(struct.pack("<BBH", 1, payload[1], position))
        for kid in found:
            out += struct.pack("<I", kid) + encode_value(kid, source[F9_TABLE[kid][0]])
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
