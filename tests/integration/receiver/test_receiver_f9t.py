#!/usr/bin/python3
"""nanotime-receiver against the fake ZED-F9T through the real gpsd 3.22 (one gpsd + fake for
the whole file), while a plain JSON client keeps getting TPVs:

- status names the model, firmware and generation;
- configure --dry-run prints the exact differences and sends no CFG-VALSET;
- configure writes one VALSET to RAM only (BBR and flash keep their values); a second
  configure says "nothing to change" and sends no VALSET;
- save (CFG-CFG) copies RAM to BBR and flash; with `save = true` in [receiver], configure
  writes RAM, BBR and flash in the same VALSET;
- a VALSET the receiver refuses: exit 1, every key of it "refused", nothing changed;
- fix-position --ecef sets fixed mode with the ECEF keys and their high-precision parts;
- status --json parses.
"""

import json

import ubxharness
from receiverrun import Checks, config_file, received, run

CONFIG = """[receiver]
cable_delay_ns = 56
survey_min_duration_s = 300
survey_accuracy_m = 5.0
"""

check = Checks()
cfg = config_file(CONFIG)
with ubxharness.UbxGpsd("f9t", time_scale=100) as g, ubxharness.TpvMonitor(g.port) as mon:
    g.settle()  # gpsd's own configuration of the receiver is over (its ACKs look like ours)
    rc, out, _ = run(["status"], cfg, g.port)
    check(rc == 0 and "ZED-F9T, firmware TIM 2.20, generation F9" in out, "status names the F9T")

    before = g.state()
    rc, out, _ = run(["configure", "--dry-run"], cfg, g.port)
    after = g.state()
    check(rc == 0 and "  CFG-TP-ANT_CABLEDELAY: 50 ns -> 56 ns\n" in out
          and "  CFG-TMODE-SVIN_ACC_LIMIT: 0 0.1 mm -> 50000 0.1 mm\n" in out,
          "dry run shows the differences in the keys' units")
    check(received(after, "CFG-VALSET") == received(before, "CFG-VALSET")
          and after["config"] == before["config"], "dry run: no VALSET, configuration unchanged")

    rc, out, _ = run(["configure"], cfg, g.port)
    s = g.state()
    check(rc == 0 and "  applied    CFG-TP-ANT_CABLEDELAY: 50 ns -> 56 ns\n" in out,
          "configure applies the cable delay")
    check(received(s, "CFG-VALSET") - received(after, "CFG-VALSET") == 1,
          "configure: one VALSET")
    ram, bbr = s["config"]["ram"], s["config"]["bbr"]
    check(ram["CFG-TP-ANT_CABLEDELAY"] == 56 and ram["CFG-TMODE-MODE"] == 1
          and ram["CFG-TMODE-SVIN_MIN_DUR"] == 300 and ram["CFG-TMODE-SVIN_ACC_LIMIT"] == 50000
          and ram["CFG-MSGOUT-UBX_TIM_TP_UART1"] == 1, "the fake's RAM holds the new values")
    check(bbr.get("CFG-TP-ANT_CABLEDELAY") != 56, "save = false: BBR untouched")

    rc, out, _ = run(["configure"], cfg, g.port)
    s2 = g.state()
    check(rc == 0 and "nothing to change" in out
          and received(s2, "CFG-VALSET") == received(s, "CFG-VALSET"),
          "second configure: nothing to change, no VALSET")

    rc, out, _ = run(["save"], cfg, g.port)
    s = g.state()
    check(rc == 0 and s["config"]["bbr"].get("CFG-TP-ANT_CABLEDELAY") == 56
          and s["config"]["flash"].get("CFG-TP-ANT_CABLEDELAY") == 56, "save: BBR and flash hold 56")

    saving = config_file(CONFIG.replace("56", "61") + "save = true\n")
    rc, out, _ = run(["configure"], saving, g.port)
    s = g.state()
    check(rc == 0 and all(s["config"][layer].get("CFG-TP-ANT_CABLEDELAY") == 61
                          for layer in ("ram", "bbr", "flash")),
          "save = true: one VALSET into RAM, BBR and flash")

    g.control("nak CFG-VALSET")
    before = g.state()["config"]
    rc, out, _ = run(["configure"], cfg, g.port)  # 61 -> 56
    check(rc == 1 and "  refused    CFG-TP-ANT_CABLEDELAY: 61 ns -> 56 ns\n" in out
          and "0 of 1 changes applied" in out, "refused VALSET: exit 1, exact report")
    check(g.state()["config"] == before, "refused VALSET: nothing changed")
    g.control("clear")

    rc, out, _ = run(["fix-position", "--ecef", "4331297.3487,567555.6390,4633133.7110"], cfg,
                     g.port)
    ram = g.state()["config"]["ram"]
    check(rc == 0 and ram["CFG-TMODE-MODE"] == 2 and ram["CFG-TMODE-POS_TYPE"] == 0
          and ram["CFG-TMODE-ECEF_X"] == 433129734 and ram["CFG-TMODE-ECEF_X_HP"] == 87
          and ram["CFG-TMODE-ECEF_Z"] == 463313371 and ram["CFG-TMODE-ECEF_Z_HP"] == 10,
          "fix-position --ecef: cm and 0.1 mm parts")
    check(g.state()["time_mode"] == "fixed", "the fake is in fixed mode")

    rc, out, _ = run(["status", "--json"], cfg, g.port)
    try:
        j = json.loads(out)
    except ValueError:
        j = {}
    check(rc == 0 and j.get("generation") == "F9" and j.get("time_mode") == "fixed"
          and j.get("timtp_present") is True, "status --json: F9, fixed, TIM-TP present")
    g.check_alive()
gap = mon.max_gap_s()
check(mon.error is None and gap < 2.5, "gpsd served TPVs throughout (longest gap {:.1f} s)".format(gap))
check.exit()
