"""Every grandmaster config in ptp4l-configs/ is loaded by the real ptp4l (linuxptp 3.1.1)
and behaves as a grandmaster on a veth pair between two network namespaces.

For each config, the only change is `time_stamping hardware` -> `software` (veth has no PHC;
the interface comes from -i, as in ptp4l@.service). Then:
  - the GM side reaches MASTER and its DEFAULT_DATA_SET / TIME_PROPERTIES_DATA_SET show the
    start-up quality the config promises (clockClass 248, accuracy 0xFE, priority1 128,
    timeSource GNSS 0x20, the profile's domain);
  - a slave made from the SAME config (so transport, domain and BMCA flavour match) plus
    slaveOnly 1 / free_running 1 picks it as its master: its PARENT_DATA_SET names the GM's
    identity and clockClass 248, and its TIME_PROPERTIES_DATA_SET carries timeSource 0x20;
  - for the default-profile CM4 config, SET GRANDMASTER_SETTINGS_NP clockClass 6 on the GM
    (what phc-pps-sync does when locked) reaches the slave: the config leaves the quality to
    phc-pps-sync, nothing in it pins it.
A config that ptp4l rejects (unknown key, bad value) makes ptp4l exit: the test fails with its
log. The free_running slave stays UNCALIBRATED (see netnsharness.SLAVE_STATES).
"""

import os
import sys

import netnsharness as nh

SOURCE_DIR = os.environ.get("NANOTIME_SOURCE_DIR",
                            os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CONFIG_DIR = os.path.join(SOURCE_DIR, "ptp4l-configs")

# file -> what the config must announce
EXPECTED = {
    "gm-cm4-cm5.cfg": {"domain": 0, "transport": "UDPv4"},
    "gm-cm4-cm5-g8275.1.cfg": {"domain": 24, "transport": "L2"},
    "gm-intel-i210-i226.cfg": {"domain": 0, "transport": "UDPv4"},
    "gm-intel-i210-i226-g8275.1.cfg": {"domain": 24, "transport": "L2"},
}

checks = []


def check(cond, what):
    checks.append(what)
    if not cond:
        raise AssertionError(what)
    print(f"  ok: {what}", flush=True)


def slave_variant(gm_lines):
    """The GM config turned into a passive slave: same profile, never the master, never
    touches CLOCK_REALTIME (software timestamps use the host's clock)."""
    return gm_lines + ["", "# test slave overrides (later keys win in ptp4l)",
                       "masterOnly 0", "slaveOnly 1", "free_running 1"]


def test_config(name, expected):
    path = os.path.join(CONFIG_DIR, name)
    lines = nh.read_config_lines(path)
    check(nh.config_value(lines, "time_stamping") == "hardware", f"{name}: hardware timestamping")
    check(nh.config_value(lines, "free_running") == "1", f"{name}: free_running 1")
    check(nh.config_value(lines, "masterOnly") == "1", f"{name}: masterOnly 1")
    sw = nh.software_variant(lines)
    with nh.NetnsPair("cfg") as net:
        gm = net.ptp4l(net.ns_a, sw, name="gm")
        slave = net.ptp4l(net.ns_b, slave_variant(sw), name="slave")
        gm.wait_for_port_state("MASTER", 40)
        check(True, f"{name}: GM reached MASTER")
        dds = gm.default_data_set()
        check(dds["clockClass"] == 248, f"{name}: GM clockClass 248 at start ({dds['clockClass']})")
        check(dds["clockAccuracy"] == 0xFE, f"{name}: GM clockAccuracy 0xFE")
        check(dds["priority1"] == 128, f"{name}: GM priority1 128")
        check(dds["domainNumber"] == expected["domain"],
              f"{name}: domain {expected['domain']} ({dds['domainNumber']})")
        tp = gm.time_properties()
        check(tp["timeSource"] == 0x20, f"{name}: GM timeSource 0x20 (GNSS)")
        check(tp["currentUtcOffset"] == 37, f"{name}: GM currentUtcOffset 37")

        state = slave.wait_for_port_state(nh.SLAVE_STATES, 40)
        check(True, f"{name}: slave chose a master ({state})")
        gm_id = dds["clockIdentity"]
        parent = slave.wait_for(lambda p: p.parent_data_set()["grandmasterIdentity"] == gm_id
                                and p.parent_data_set(), 20, "slave's parent = GM")
        check(parent["grandmasterIdentity"] == gm_id, f"{name}: slave's grandmaster is {gm_id}")
        check(parent["grandmasterClockClass"] == 248, f"{name}: slave sees clockClass 248")
        check(parent["grandmasterPriority1"] == 128, f"{name}: slave sees priority1 128")
        stp = slave.time_properties()
        check(stp["timeSource"] == 0x20, f"{name}: slave sees timeSource 0x20")
        check(stp["currentUtcOffset"] == 37, f"{name}: slave sees currentUtcOffset 37")
        transport = nh.config_value(lines, "network_transport")
        check(transport == expected["transport"], f"{name}: transport {transport}")

        if name == "gm-cm4-cm5.cfg":
            gm.set_grandmaster_settings(clockClass=6, clockAccuracy=0x21, currentUtcOffset=37,
                                        currentUtcOffsetValid=1, ptpTimescale=1,
                                        timeTraceable=1, frequencyTraceable=1, timeSource=0x20)
            parent = slave.wait_for(lambda p: p.parent_data_set()["grandmasterClockClass"] == 6
                                    and p.parent_data_set(), 20, "clockClass 6 at the slave")
            check(parent["grandmasterClockAccuracy"] == 0x21,
                  f"{name}: GRANDMASTER_SETTINGS_NP clockClass 6 / accuracy 0x21 reach the slave")
            stp = slave.wait_for(lambda p: p.time_properties()["ptpTimescale"] == 1
                                 and p.time_properties(), 20, "ptpTimescale at the slave")
            check(stp["timeTraceable"] == 1 and stp["currentUtcOffsetValid"] == 1,
                  f"{name}: traceable PTP timescale reaches the slave")


def main():
    names = sorted(f for f in os.listdir(CONFIG_DIR) if f.endswith(".cfg"))
    if sorted(EXPECTED) != names:
        print(f"FAIL: configs in {CONFIG_DIR} {names} != tested {sorted(EXPECTED)}")
        return 1
    try:
        for name in names:
            print(f"{name}:", flush=True)
            test_config(name, EXPECTED[name])
    except AssertionError as e:
        print(f"FAIL: {e}", flush=True)
        return 1
    print(f"PASS: {len(checks)} checks on {len(names)} ptp4l configs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
