#!/usr/bin/python3
"""nanotime-receiver when things go wrong, through the real gpsd 3.22 and the fake receiver;
each case gives a clear message, an exit status and an exact report, and gpsd keeps serving
a JSON client throughout:

- a message the receiver refuses altogether (CFG-TP5 NAKed, its poll too): its settings are
  named and left alone, the others applied, the fake's cable delay unchanged (a refused
  *write* is in test_receiver_f9t.py: the fake NAKs per class/id, and only gen 9 writes with
  another id than it reads);
- garbage between the receiver's frames: configure still works (exit 0);
- a receiver that restarts in the middle (on the CFG-NAV5 write): exit 1, the CFG-TP5 change
  made before it "lost" (read back as the saved value), the restart named; the next configure
  puts everything right;
- a message that is never answered (CFG-NAV5 dropped): exit 1, "not sent" with "(unread)";
- no MON-VER answer: exit 3; a NEO-M8N (not a timing model): exit 3 naming it, and with
  --force the time mode it refuses to read is left alone.
"""

import ubxharness
from receiverrun import Checks, config_file, run

BASE = "[receiver]\nsurvey_min_duration_s = 300\nsurvey_accuracy_m = 5.0\n"

check = Checks()
with ubxharness.UbxGpsd("m8t", time_scale=100) as g, ubxharness.TpvMonitor(g.port) as mon:
    g.settle()  # gpsd's own configuration of the receiver is over (its ACKs look like ours)
    g.control("nak CFG-TP5")
    rc, out, _ = run(["configure"], config_file(BASE + "cable_delay_ns = 56\n"), g.port)
    check(rc == 0 and "left alone (the receiver refuses to read them: not in its firmware): "
          "CFG-TP5 antCableDelay, CFG-TP5 freqPeriod" in out
          and "  applied    CFG-TMODE2 timeMode: 0 -> 1\n" in out and "CFG-TP5 antCableDelay: 50"
          not in out, "NAK of a whole message: named, left alone, the rest applied")
    check(g.state()["cable_delay_ns"] == 50, "NAK: the cable delay is unchanged")
    g.control("clear")

    g.control("garbage on")
    rc, out, _ = run(["configure"], config_file(BASE + "cable_delay_ns = 56\n"), g.port)
    check(rc == 0 and "  applied    CFG-TP5 antCableDelay: 50 ns -> 56 ns\n" in out,
          "garbage between frames: configure works")
    g.control("clear")

    # The reading polls 8 messages (CFG-TMODE2, -TP5, -NAV5, 5 x CFG-MSG); then the CFG-TP5
    # write (9), its read back (10) and the CFG-NAV5 write (11), on which the fake restarts.
    changed = config_file(BASE + "cable_delay_ns = 60\nmin_elevation_deg = 20\n")
    g.control("reset-after 11")
    rc, out, _ = run(["configure"], changed, g.port)
    check(rc == 1 and "  lost       CFG-TP5 antCableDelay: 56 ns -> 60 ns (reads 50 ns now)\n" in out,
          "restart in the middle: the earlier change is reported lost")
    check("the receiver restarted during the configuration" in out, "restart: named in the report")
    check(g.state()["boots"] == 2, "the fake did restart")
    rc, out, _ = run(["configure"], changed, g.port)
    check(rc == 0 and "  applied    CFG-TP5 antCableDelay: 50 ns -> 60 ns\n" in out
          and "  applied    CFG-TMODE2 timeMode: 0 -> 1\n" in out,
          "after the restart, configure puts everything right")

    g.control("drop CFG-NAV5")
    rc, out, took = run(["configure"], config_file(BASE + "cable_delay_ns = 60\nmin_elevation_deg = 25\n"),
                        g.port)
    check(rc == 1 and "  not sent   CFG-NAV5 minElev: (unread) -> 25 deg\n" in out,
          "no answer: exit 1, \"not sent\" ({:.1f} s)".format(took))
    g.control("clear")

    g.control("drop MON-VER")
    rc, out, _ = run(["status"], config_file(BASE), g.port)
    check(rc == 3 and "no answer to MON-VER" in out, "no MON-VER answer: exit 3, clear message")
    g.control("clear")
    g.check_alive()
gap = mon.max_gap_s()
check(mon.error is None and gap < 2.5, "gpsd served TPVs throughout (longest gap {:.1f} s)".format(gap))

with ubxharness.UbxGpsd("m8n", time_scale=100) as g:
    rc, out, _ = run(["configure"], config_file(BASE), g.port)
    check(rc == 3 and "not a u-blox timing receiver" in out and "NEO-M8N" in out,
          "NEO-M8N: exit 3, named")
    rc, out, _ = run(["--force", "configure"], config_file(BASE), g.port)
    check(rc in (0, 1) and "left alone" in out and "CFG-TMODE2" in out,
          "NEO-M8N with --force: the time mode it refuses is left alone")
check.exit()
