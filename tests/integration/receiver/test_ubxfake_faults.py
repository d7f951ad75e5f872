#!/usr/bin/python3
"""Faults of the fake u-blox receiver, seen through the real gpsd 3.22:

- "nak CFG-TMODE2": the survey-in write is NAKed and has no effect on the receiver's RAM;
- "drop CFG-TP5": a TP5 poll gets no answer at all (no reply, no ACK), counted as dropped;
- antenna short + jamming 200: MON-HW enabled through gpsd reports aStatus SHORT and jamInd 200;
- "garbage on": garbage bytes between frames; TIM-TP still arrives through gpsd;
- "reset-after 3": TP5 (cable delay 100 ns) ACKed, CFG-CFG save ACKed, the 3rd CFG message is
  not answered, the receiver reboots (boot count 2) with RAM = saved (100 ns, not the lost write);
- gpsd keeps serving a plain JSON client TPVs throughout all of that.
"""

import struct
import sys
import time

import ubxharness
from ubxharness import count


def check(failed, ok, what):
    print(("PASS " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failed.append(what)


TMODE2_SURVEY = bytes.fromhex("01000000" + "00000000" * 3 + "00000000" + "2c010000" + "88130000")


def tp5(cable_delay_ns):
    """CFG-TP5 for TIMEPULSE (index 0), version 1: delay, 1 s period, 100 ms locked pulse,
    flags 0x77 (active, lock to GNSS, locked set, length, align to TOW, rising edge, UTC)."""
    return struct.pack("<BBHhhIIIIiI", 0, 1, 0, cable_delay_ns, 0, 1000000, 1000000, 0, 100000,
                       0, 0x77)


def m8t_faults(failed):
    with ubxharness.UbxGpsd("m8t") as g, ubxharness.TpvMonitor(g.port) as mon:
        check(failed, g.control("nak CFG-TMODE2") == "ok", "control: nak CFG-TMODE2 accepted")
        ack, _ = g.transact(0x06, 0x3D, TMODE2_SURVEY)
        st = g.state()
        check(failed, ack == "nak" and st["config"]["ram"]["TMODE2"]["timeMode"] == 0
              and count(st, "naks_sent", "CFG-TMODE2") == 1 and st["survey"]["starts"] == 0,
              "nak fault: survey-in NAKed, RAM time mode unchanged, no survey started")

        check(failed, g.control("clear") == "ok" and g.control("drop CFG-TP5") == "ok",
              "control: clear + drop CFG-TP5 accepted")
        ack, payload = g.transact(0x06, 0x31, b"", timeout_s=2.0)
        st = g.state()
        check(failed, ack is None and payload is None and count(st, "dropped", "CFG-TP5") == 1
              and count(st, "acks_sent", "CFG-TP5") == 0,
              "drop fault: TP5 poll received but not answered at all")
        check(failed, g.control("bogus 1").startswith("error"), "control: unknown command -> error")
        check(failed, g.control("drop XYZ-1").startswith("error"), "control: bad name -> error")
        g.control("clear")

        g.control("antenna short")
        g.control("jamming 200")
        ack, _ = g.transact(0x06, 0x01, bytes.fromhex("0a0901"))
        with g.raw() as raw:
            hw = raw.wait_frame(0x0A, 0x09, 4.0)
        check(failed, ack == "ack" and hw is not None and len(hw) == 60 and hw[20] == 3 and hw[45] == 200,
              "MON-HW through gpsd: aStatus 3 (short), jamInd 200")

        g.control("garbage on")
        ack, _ = g.transact(0x06, 0x01, bytes.fromhex("0d0101"))
        sent0 = g.state()["garbage_bytes_sent"]
        with g.raw() as raw:
            tps = [raw.wait_frame(0x0D, 0x01, 2.5) for _ in range(2)]
        st = g.state()
        print("garbage: fake wrote {} bytes, the raw:2 client skipped {} non-UBX bytes".format(
            st["garbage_bytes_sent"] - sent0, raw.reader.skipped_bytes))
        check(failed, ack == "ack" and all(p is not None and len(p) == 16 for p in tps)
              and st["garbage_bytes_sent"] > sent0,
              "garbage fault: garbage written, TIM-TP still arrives through gpsd")
        g.control("clear")

        # reset-after 3: TP5 100 ns (1st, ACK), CFG-CFG save all (2nd, ACK), TP5 150 ns (3rd:
        # swallowed by the reboot).
        g.control("reset-after 3")
        ack1, _ = g.transact(0x06, 0x31, tp5(100))
        ack2, _ = g.transact(0x06, 0x09, struct.pack("<III", 0, 0xFFFF, 0))
        ack3, _ = g.transact(0x06, 0x31, tp5(150), timeout_s=2.0)
        st = g.wait_state(lambda s: s["boots"] == 2, 3)
        check(failed, (ack1, ack2, ack3) == ("ack", "ack", None),
              "reset-after 3: first two ACKed, the third unanswered ({}, {}, {})".format(ack1, ack2, ack3))
        check(failed, st["config"]["ram"]["TP5-0"]["antCableDelay_ns"] == 100
              and st["config"]["saved"]["TP5-0"]["antCableDelay_ns"] == 100
              and count(st, "unanswered_reset", "CFG-TP5") == 1,
              "reset-after 3: rebooted with RAM = saved (cable delay 100 ns, 150 lost)")
        time.sleep(1.0)   # boot silence
        ack, payload = g.transact(0x06, 0x31, b"")
        check(failed, ack == "ack" and payload is not None
              and struct.unpack_from("<h", payload, 4)[0] == 100,
              "after the reboot: TP5 poll through gpsd answers 100 ns")
        check(failed, g.running(), "gpsd still running")
    check(failed, mon.error is None and mon.max_gap_s() < 2.5,
          "gpsd served TPV with time throughout ({} TPVs, longest gap {:.1f} s)".format(
              len(mon.times), mon.max_gap_s()))


def main():
    failed = []
    for scenario in (m8t_faults,):
        t0 = time.monotonic()
        scenario(failed)
        print("{}: {:.1f} s".format(scenario.__name__, time.monotonic() - t0), flush=True)
    print("{} failed".format(len(failed)) if failed else "all checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
