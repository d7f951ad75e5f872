"""UBX framing and message names for the fake u-blox receiver (ubxfake.py) and its harness.

Written from the u-blox protocol specifications, independently of lib/ubx.
"""

import math
import struct

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
# Geodesy: the fake antenna's position

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
