#!/usr/bin/python3
"""nanotime-receiver against the fake LEA-M8T through the real gpsd 3.22 (one gpsd + fake for
the whole file), while a plain JSON client keeps getting TPVs:

- status names the model, firmware and generation;
- configure --dry-run prints the exact differences ("CFG-TP5 antCableDelay: 50 ns -> 56 ns")
  and changes nothing (the fake's configuration is the same, and it received one poll per
  message: no write);
- configure applies them (the fake's RAM shows 56 ns, survey-in with our limits, TIM-TP on);
  a second configure says "nothing to change" and sends polls only;
- survey shows the finished survey; survey --restart starts a new one (the fake counts starts);
- fix-position --from-survey puts the receiver in fixed mode at the surveyed mean;
  fix-position --llh too; save copies RAM to the saved configuration;
- status --json parses and tells the configured-vs-desired difference after fix-position.
"""

import json

import ubxharness
from receiverrun import Checks, config_file, received, run

CONFIG = """[receiver]
cable_delay_ns = 56
survey_min_duration_s = 300
survey_accuracy_m = 5.0
min_elevation_deg = 12
"""

check = Checks()
cfg = config_file(CONFIG)
with ubxharness.UbxGpsd("m8t", time_scale=100) as g, ubxharness.TpvMonitor(g.port) as mon:
    g.settle()  # gpsd's own configuration of the receiver is over (its ACKs look like ours)
    rc, out, _ = run(["status"], cfg, g.port)
    check(rc == 0 and "LEA-M8T, firmware TIM 1.10, generation M8" in out, "status names the M8T")

    before = g.state()
    rc, out, _ = run(["configure", "--dry-run"], cfg, g.port)
    check(rc == 0, "dry run exits 0")
    check("  CFG-TP5 antCableDelay: 50 ns -> 56 ns\n" in out, "dry run shows the cable delay change")
    check("  CFG-TMODE2 svinMinDur: 0 s -> 300 s\n" in out, "dry run shows the survey duration")
    check("  CFG-NAV5 minElev: 0 deg -> 12 deg\n" in out, "dry run shows the elevation mask")
    after = g.state()
    check(after["config"] == before["config"], "dry run: the fake's configuration is unchanged")
    check(all(received(after, m) - received(before, m) == 1
              for m in ("CFG-TP5", "CFG-TMODE2", "CFG-NAV5")),
          "dry run: exactly one poll of CFG-TP5, CFG-TMODE2, CFG-NAV5 each")

    rc, out, _ = run(["configure"], cfg, g.port)
    check(rc == 0 and "  applied    CFG-TP5 antCableDelay: 50 ns -> 56 ns\n" in out,
          "configure applies the cable delay")
    s = g.state()
    check(s["cable_delay_ns"] == 56, "the fake's RAM holds 56 ns")
    check(s["configured_time_mode"] == "survey_in" and s["survey"]["min_dur_s"] == 300
          and s["survey"]["acc_limit_m"] == 5.0, "the fake surveys with 300 s / 5 m")
    check(s["enabled_messages"].get("TIM-TP") == 1 and s["enabled_messages"].get("MON-HW") == 4,
          "TIM-TP every second, MON-HW every 4 s")

    rc, out, _ = run(["configure"], cfg, g.port)
    s2 = g.state()
    check(rc == 0 and "nothing to change" in out, "second configure: nothing to change")
    check(s2["config"]["ram"] == s["config"]["ram"], "second configure: RAM unchanged")
    check(received(s2, "CFG-TP5") - received(s, "CFG-TP5") == 1
          and received(s2, "CFG-MSG") - received(s, "CFG-MSG") == 5,
          "second configure: polls only (1 CFG-TP5, 5 CFG-MSG)")

    g.wait_state(lambda st: st["survey"]["valid"], timeout_s=15)
    rc, out, _ = run(["survey"], cfg, g.port)
    check(rc == 0 and "survey: finished" in out, "survey reports the finished survey")
    starts = g.state()["survey"]["starts"]
    rc, out, _ = run(["survey", "--restart"], cfg, g.port)
    s = g.state()
    check(rc == 0 and s["survey"]["starts"] > starts and s["time_mode"] == "survey_in",
          "survey --restart starts a new survey ({} -> {})".format(starts, s["survey"]["starts"]))

    s = g.wait_state(lambda st: st["survey"]["valid"], timeout_s=15)
    mean = s["survey"]["mean_ecef_cm"]
    rc, out, _ = run(["fix-position", "--from-survey"], cfg, g.port)
    s = g.state()
    check(rc == 0 and s["configured_time_mode"] == "fixed"
          and s["fixed_position_ecef_cm"] == mean, "fix-position --from-survey: fixed at the mean")
    check("fixed_position_ecef = [" in out, "fix-position prints the line to keep it")

    rc, out, _ = run(["fix-position", "--llh", "47.3769,8.5417,470.5"], cfg, g.port)
    s = g.state()
    tmode = s["config"]["ram"]["TMODE2"]
    check(rc == 0 and tmode["timeMode"] == 2 and tmode["flags"] & 1 == 1
          and tmode["ecefXOrLat"] == 473769000 and tmode["ecefYOrLon"] == 85417000
          and tmode["ecefZOrAlt"] == 47050, "fix-position --llh: LLH in 1e-7 deg and cm")

    rc, out, _ = run(["save"], cfg, g.port)
    s = g.state()
    check(rc == 0 and s["config"]["saved"].get("TP5-0", {}).get("antCableDelay_ns") == 56
          and s["config"]["saved"].get("TMODE2") == s["config"]["ram"]["TMODE2"],
          "save: the saved configuration is RAM's")

    rc, out, _ = run(["status", "--json"], cfg, g.port)
    try:
        j = json.loads(out)
    except ValueError:
        j = {}
    check(rc == 0 and j.get("generation") == "M8" and j.get("model") == "LEA-M8T",
          "status --json: model and generation")
    check(j.get("timtp_present") is True and j.get("antenna") == "ok", "status --json: TIM-TP, antenna")
    check(j.get("configured_as_desired") is False
          and "CFG-TMODE2 timeMode: 2 -> 1" in j.get("differences", []),
          "status --json: fixed mode differs from the survey [receiver] asks for")
    g.check_alive()
gap = mon.max_gap_s()
check(mon.error is None and gap < 2.5, "gpsd served TPVs throughout (longest gap {:.1f} s)".format(gap))
check.exit()
