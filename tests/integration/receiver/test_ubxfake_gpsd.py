#!/usr/bin/python3
"""The fake u-blox receiver (ubxfake.py) through the real gpsd 3.22 (ubxharness):

- M8T and F9T personalities are recognised by gpsd as driver "u-blox" (subtype from MON-VER);
- a MON-VER poll written through gpsd (?DEVICE hexdata) is answered, and gpsd passes the reply
  on unchanged (raw:2), byte for byte as worked out from the specification here;
- M8T: CFG-TMODE2 poll answered; a survey-in written through gpsd (CFG-TMODE2, 300 s, 5 m) is
  ACKed (ACK-ACK bytes checked by hand), completes in fake time (time scale 100), TIM-SVIN
  enabled through gpsd reports it valid, the state file shows it;
- F9T: CFG-VALGET answered per layer; a CFG-VALSET survey-in to RAM+BBR completes; a RAM-only
  change is lost and the BBR one kept over a CFG-RST (the receiver reloads its saved config);
  the gen-8 CFG-TMODE2 is NAKed;
- a plain gpsd JSON client gets TPVs with time throughout (no gap > 2.5 s).

Payloads are written as literal bytes from the u-blox protocol specifications, not with the
fake's own encoders, so a shared misunderstanding would show.
"""

import struct
import sys
import time

import ubxharness
from ubxharness import count

SCALE = 100  # fake seconds per wall second


def check(failed, ok, what):
    print(("PASS " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failed.append(what)


def mon_ver_payload(sw, hw, extensions):
    """MON-VER: swVersion char[30], hwVersion char[10], extension char[30] each."""
    out = sw.encode().ljust(30, b"\0") + hw.encode().ljust(10, b"\0")
    for ext in extensions:
        out += ext.encode().ljust(30, b"\0")
    return out


# MON-VER poll: class 0x0A id 0x04, no payload, checksum 0x0E 0x34 (also in gpsd's own log).
MON_VER_POLL = bytes.fromhex("b5620a0400000e34")
# ACK-ACK for CFG-TMODE2 (06 3D): checksum worked out by hand over 05 01 02 00 06 3D.
ACK_TMODE2 = bytes.fromhex("b5620501020006 3d4b74".replace(" ", ""))
# CFG-TMODE2 survey-in: timeMode 1, flags 0, position 0, fixedPosAcc 0, svinMinDur 300 s,
# svinAccLimit 5000 mm.
TMODE2_SURVEY = bytes.fromhex("01000000" + "00000000" * 3 + "00000000" + "2c010000" + "88130000")


def m8t(failed):
    with ubxharness.UbxGpsd("m8t", time_scale=SCALE) as g:
        dev = g.device
        check(failed, dev.get("driver") == "u-blox" and "MOD=LEA-M8T" in dev.get("subtype1", ""),
              "m8t: gpsd reports driver u-blox, MOD=LEA-M8T ({})".format(dev.get("subtype1")))
        with ubxharness.TpvMonitor(g.port) as mon:
            with g.raw() as raw:
                reply = g.write_frame(MON_VER_POLL)
                check(failed, reply is not None and reply.get("class") == "DEVICE",
                      "m8t: ?DEVICE hexdata accepted (reply class {})".format(
                          reply and reply.get("class")))
                want = ubxharness.ubxfake.ubx_frame(0x0A, 0x04, mon_ver_payload(
                    "ROM CORE 3.01 (107888)", "00080000",
                    ["FWVER=TIM 1.10", "PROTVER=22.00", "MOD=LEA-M8T", "FIS=0xEF4015 (100111)",
                     "GPS;GLO;GAL;BDS", "SBAS;IMES;QZSS"]))
                got = raw.wait_frame(0x0A, 0x04, 5.0)
                deadline = time.monotonic() + 2
                while want not in raw.received and time.monotonic() < deadline:
                    raw.pump(0.2)
                check(failed, got is not None and want in raw.received,
                      "m8t: MON-VER answer passed on by gpsd byte for byte")

            ack, payload = g.transact(0x06, 0x3D)
            check(failed, ack == "ack" and payload is not None and len(payload) == 28
                  and payload[0] == 0, "m8t: CFG-TMODE2 poll answered (28 bytes, mode 0), ACKed")

            # Enable TIM-SVIN on the current port: CFG-MSG class 0D id 04 rate 1.
            ack, _ = g.transact(0x06, 0x01, bytes.fromhex("0d0401"))
            check(failed, ack == "ack", "m8t: CFG-MSG TIM-SVIN rate 1 ACKed")
            with g.raw() as raw:
                g.write_ubx(0x06, 0x3D, TMODE2_SURVEY)
                ack = raw.wait_ack(0x06, 0x3D)
                check(failed, ack == "ack" and ACK_TMODE2 in raw.received,
                      "m8t: survey-in CFG-TMODE2 ACKed (exact ACK-ACK bytes)")
                st = g.state()
                check(failed, st["survey"]["starts"] == 1 and st["configured_time_mode"] == "survey_in"
                      and st["survey"]["min_dur_s"] == 300 and st["survey"]["acc_limit_m"] == 5.0,
                      "m8t: state file shows a survey started with 300 s / 5 m")
                running = raw.wait_frame(0x0D, 0x04, 3.0, lambda p: len(p) == 28 and p[25] == 1)
                svin = raw.wait_frame(0x0D, 0x04, 8.0, lambda p: len(p) == 28 and p[24] == 1)
            check(failed, running is not None and running[24] == 0
                  and 0 < struct.unpack_from("<I", running)[0] < 300,
                  "m8t: TIM-SVIN through gpsd: active, not yet valid, 0 < dur < 300 s first")
            if svin:
                dur_s, _, _, _, mean_v_mm2, obs, valid, active = struct.unpack_from("<IiiiIIBB", svin)
                print("TIM-SVIN: dur {} s, accuracy {:.2f} m, obs {}".format(
                    dur_s, mean_v_mm2 ** 0.5 / 1000, obs))
            check(failed, svin is not None and svin[25] == 0 and struct.unpack_from("<I", svin)[0] >= 300
                  and struct.unpack_from("<I", svin, 16)[0] ** 0.5 <= 5000,
                  "m8t: TIM-SVIN through gpsd: valid, not active, dur >= 300 s, acc <= 5 m")
            st = g.state()
            check(failed, st["survey"]["valid"] and st["time_mode"] == "fixed"
                  and st["fixed_position_ecef_cm"] is not None,
                  "m8t: state file: survey valid, receiver in fixed mode")
            modes = [t.get("mode") for t in g.tpv(2.2)]
            check(failed, modes and all(m == 3 for m in modes),
                  "m8t: fixed mode (NAV-PVT fixType 5, time only): gpsd TPV mode 3 {}".format(modes))
            check(failed, count(st, "received", "CFG-TMODE2") == 2
                  and count(st, "acks_sent", "CFG-TMODE2") == 2,
                  "m8t: the fake got exactly 2 CFG-TMODE2 (poll + set) and ACKed both")
        check(failed, mon.error is None and len(mon.times) >= 3 and mon.max_gap_s() < 2.5,
              "m8t: JSON client got TPV with time throughout ({} TPVs, longest gap {:.1f} s, "
              "error {})".format(len(mon.times), mon.max_gap_s(), mon.error))


def f9_item(key, fmt, value):
    return struct.pack("<I", key) + struct.pack("<" + fmt, value)


TMODE_MODE, SVIN_MIN_DUR, SVIN_ACC_LIMIT = 0x20030001, 0x40030010, 0x40030011
ANT_CABLEDELAY, MSGOUT_TIM_SVIN_UART1 = 0x30050001, 0x20910098


def f9t(failed):
    with ubxharness.UbxGpsd("f9t", time_scale=SCALE) as g:
        dev = g.device
        check(failed, dev.get("driver") == "u-blox" and "MOD=ZED-F9T" in dev.get("subtype1", ""),
              "f9t: gpsd reports driver u-blox, MOD=ZED-F9T ({})".format(dev.get("subtype1")))
        with ubxharness.TpvMonitor(g.port) as mon:
            ack, payload = g.transact(0x0A, 0x04)
            check(failed, payload is not None and b"PROTVER=29.20" in payload,
                  "f9t: MON-VER poll through gpsd answered")
            # VALGET: version 0, layer 0 (RAM), position 0, keys TMODE-MODE, TP-ANT_CABLEDELAY.
            req = bytes((0, 0, 0, 0)) + struct.pack("<II", TMODE_MODE, ANT_CABLEDELAY)
            ack, payload = g.transact(0x06, 0x8B, req)
            want = bytes((1, 0, 0, 0)) + f9_item(TMODE_MODE, "B", 0) + f9_item(ANT_CABLEDELAY, "h", 50)
            check(failed, ack == "ack" and payload == want,
                  "f9t: CFG-VALGET RAM answered: mode 0, cable delay 50 ns ({})".format(
                      payload and payload.hex()))
            ack, payload = g.transact(0x06, 0x8B, bytes((0, 1, 0, 0)) + struct.pack("<I", TMODE_MODE))
            check(failed, ack == "ack" and payload == bytes((1, 1, 0, 0)),
                  "f9t: CFG-VALGET BBR: nothing saved yet (empty answer)")
            ack, _ = g.transact(0x06, 0x3D, TMODE2_SURVEY)
            check(failed, ack == "nak", "f9t: gen-8 CFG-TMODE2 NAKed")

            # VALSET to RAM+BBR (layers 0x03): survey-in 300 s, 5 m (50000 x 0.1 mm), TIM-SVIN
            # on UART1; then RAM only: cable delay 120 ns.
            items = (f9_item(TMODE_MODE, "B", 1) + f9_item(SVIN_MIN_DUR, "I", 300)
                     + f9_item(SVIN_ACC_LIMIT, "I", 50000) + f9_item(MSGOUT_TIM_SVIN_UART1, "B", 1))
            ack, _ = g.transact(0x06, 0x8A, bytes((0, 0x03, 0, 0)) + items)
            check(failed, ack == "ack", "f9t: CFG-VALSET survey-in to RAM+BBR ACKed")
            ack, _ = g.transact(0x06, 0x8A, bytes((0, 0x01, 0, 0)) + f9_item(ANT_CABLEDELAY, "h", 120))
            check(failed, ack == "ack", "f9t: CFG-VALSET cable delay 120 ns to RAM ACKed")
            # VALSET transaction (version 1): begin with cable delay 77 ns (not applied yet),
            # end with an empty item list -> applied; a transaction with an unknown key is
            # NAKed and its end then has nothing to end.
            ack1, _ = g.transact(0x06, 0x8A, bytes((1, 0x01, 1, 0)) + f9_item(ANT_CABLEDELAY, "h", 77))
            mid = g.state()["config"]["ram"]["CFG-TP-ANT_CABLEDELAY"]
            ack2, _ = g.transact(0x06, 0x8A, bytes((1, 0x01, 3, 0)))
            end = g.state()["config"]["ram"]["CFG-TP-ANT_CABLEDELAY"]
            check(failed, (ack1, ack2, mid, end) == ("ack", "ack", 120, 77),
                  "f9t: VALSET transaction applied only at its end ({}, {}, {}, {})".format(
                      ack1, ack2, mid, end))
            ack1, _ = g.transact(0x06, 0x8A, bytes((1, 0x01, 1, 0)) + f9_item(0x40FF0001, "I", 1))
            ack2, _ = g.transact(0x06, 0x8A, bytes((1, 0x01, 3, 0)) + f9_item(ANT_CABLEDELAY, "h", 99))
            check(failed, (ack1, ack2) == ("nak", "nak")
                  and g.state()["config"]["ram"]["CFG-TP-ANT_CABLEDELAY"] == 77,
                  "f9t: VALSET with an unknown key NAKed, the transaction is gone")
            ack, payload = g.transact(0x06, 0x8B, bytes((0, 0, 0, 0)) + struct.pack("<I", 0x2003FFFF))
            check(failed, ack == "ack" and payload is not None and payload[4:9] == f9_item(TMODE_MODE, "B", 1)
                  and len(payload) == 4 + 8 * 5 + 9 * 8,
                  "f9t: VALGET CFG-TMODE-* wildcard: 17 items from CFG-TMODE-MODE = 1 on")
            st = g.state()
            check(failed, st["config"]["bbr"].get("CFG-TMODE-MODE") == 1
                  and st["config"]["ram"]["CFG-TP-ANT_CABLEDELAY"] == 77
                  and "CFG-TP-ANT_CABLEDELAY" not in st["config"]["bbr"]
                  and st["survey"]["starts"] == 1 and st["survey"]["min_dur_s"] == 300
                  and st["survey"]["acc_limit_m"] == 5.0,
                  "f9t: state file: mode in RAM+BBR, cable delay in RAM only, survey started")
            with g.raw() as raw:
                svin = raw.wait_frame(0x0D, 0x04, 8.0, lambda p: len(p) == 28 and p[24] == 1)
            check(failed, svin is not None and struct.unpack_from("<I", svin)[0] >= 300,
                  "f9t: TIM-SVIN through gpsd reports the survey valid")
            st = g.wait_state(lambda s: s["survey"]["valid"], 5)
            check(failed, st["time_mode"] == "fixed", "f9t: state file: survey valid, fixed mode")

            # CFG-RST controlled software reset (navBbrMask 0, resetMode 1): no ACK by design.
            with g.raw() as raw:
                g.write_ubx(0x06, 0x04, bytes.fromhex("00000100"))
                check(failed, raw.wait_ack(0x06, 0x04, 1.5) is None, "f9t: CFG-RST is not acknowledged")
            st = g.wait_state(lambda s: s["boots"] == 2, 5)
            check(failed, st["config"]["ram"]["CFG-TP-ANT_CABLEDELAY"] == 50
                  and st["config"]["ram"]["CFG-TMODE-MODE"] == 1
                  and st["survey"]["starts"] == 2,
                  "f9t: after reset RAM = default + BBR: cable delay back to 50, survey restarted")
            time.sleep(1.0)   # the receiver's boot silence
            ack, payload = g.transact(0x06, 0x8B, bytes((0, 0, 0, 0)) + struct.pack("<I", ANT_CABLEDELAY))
            check(failed, ack == "ack" and payload == bytes((1, 0, 0, 0)) + f9_item(ANT_CABLEDELAY, "h", 50),
                  "f9t: CFG-VALGET after the reset reads cable delay 50 ns")
        check(failed, mon.error is None and len(mon.times) >= 3 and mon.max_gap_s() < 2.5,
              "f9t: JSON client got TPV with time throughout ({} TPVs, longest gap {:.1f} s)".format(
                  len(mon.times), mon.max_gap_s()))


def main():
    failed = []
    for scenario in (m8t, f9t):
        t0 = time.monotonic()
        scenario(failed)
        print("{}: {:.1f} s".format(scenario.__name__, time.monotonic() - t0), flush=True)
    print("{} failed".format(len(failed)) if failed else "all checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
