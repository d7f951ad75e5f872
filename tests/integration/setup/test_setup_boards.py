"""nanotime-setup on other boards and on a system someone already configured.

Proves:
  1. CM5 with two PHCs (tests/fixtures/setup/cm5-two-phcs: the RP1 macb clock ptp0 and the
     BCM54210PE PHY clock ptp1, both on eth0): picks ptp1, the PHY clock the kernel reports for
     eth0, never a fixed /dev/ptp0; CM5 boot config (dtparam=uart0=on, no disable-bt) and the
     debug console (serial0 = ttyAMA10 on a CM5) kept. --profile g8275.1 swaps the ptp4l
     config and sets ptp4l_domain 24 to match. Works with --share-dir = the source tree.
  2. Not a Pi (tests/fixtures/setup/pc-i226, an Intel i226): refused without --force, nothing
     changed; with --force: the Intel ptp4l config, both_edges, no boot files touched.
  3. CM4 + an i226 HAT (two interfaces with a PHC): refused until --interface says which.
  4. An existing nanotime.toml with the user's own keys: the blocks go into the tables, the
     user's duplicates are commented out, the rest kept, the result is valid TOML; a
     user-edited chrony drop-in is kept; a packaged ptp4l@ drop-in is not duplicated in /etc.
"""

import os
import tomllib

from setuphelpers import SOURCE, Workspace, check, diff_snapshots

PHC0 = "refclock SOCK /run/chrony.phc0.sock refid PHC0 poll 3 precision 1e-7 delay {} prefer trust"


def phc0_line(ws):
    return next(l for l in ws.read("etc/chrony/conf.d/nanotime.conf").splitlines()
                if "refid PHC0" in l and not l.startswith("#"))


def add_i226(ws, ifname="eth1", ptp="ptp1"):
    """Add a PCIe Intel i226 (igc) with its own PHC to a fake sysfs."""
    nic = "sys/devices/platform/scb/fd500000.pcie/pci0000:00/0000:00:00.0/0000:01:00.0"
    os.makedirs(ws.path(f"{nic}/net/{ifname}"))
    os.makedirs(ws.path(f"{nic}/ptp/{ptp}/pins"))
    os.makedirs(ws.path("sys/bus/pci/drivers/igc"), exist_ok=True)
    os.symlink("../../../../../../../bus/pci/drivers/igc", ws.path(f"{nic}/driver"))
    os.symlink("../../../0000:01:00.0", ws.path(f"{nic}/net/{ifname}/device"))
    os.symlink("../../../0000:01:00.0", ws.path(f"{nic}/ptp/{ptp}/device"))
    with open(ws.path(f"{nic}/ptp/{ptp}/clock_name"), "w") as f:
        f.write(f"{ifname}\n")
    os.symlink(f"../../{nic[4:]}/net/{ifname}", ws.path(f"sys/class/net/{ifname}"))
    os.symlink(f"../../{nic[4:]}/ptp/{ptp}", ws.path(f"sys/class/ptp/{ptp}"))
    check(os.path.realpath(ws.path(f"{nic}/driver")) == ws.path("sys/bus/pci/drivers/igc"),
          "fake i226 added")


def cm5():
    with Workspace("cm5-two-phcs") as ws:
        cmdline = ws.read("boot/firmware/cmdline.txt")
        r = ws.setup("--share-dir", SOURCE, share=False)
        check("/dev/ptp1 (bcm_phy_ptp) behind eth0" in r.stdout, "CM5: picks ptp1, the PHY clock")
        check("2 PHCs found; using /dev/ptp1" in r.stdout, "CM5: says there were two PHCs")
        toml = ws.read("etc/nanotime/nanotime.toml")
        check(tomllib.loads(toml)["phc-pps-sync"]["interface"] == "eth0"
              and "/dev/ptp1 (bcm_phy_ptp) behind eth0" in toml,
              "CM5: nanotime.toml names eth0 (the daemon finds ptp1 through it)")
        cfg = ws.read("boot/firmware/config.txt")
        check("dtparam=uart0=on" in cfg and "disable-bt" not in cfg and "enable_uart" not in cfg
              and "dtoverlay=pps-gpio,gpiopin=18" in cfg, "CM5: uart0 on, no disable-bt")
        check(ws.read("boot/firmware/cmdline.txt") == cmdline,
              "CM5: cmdline.txt untouched (serial0 is the debug UART there)")
        check(phc0_line(ws) == PHC0.format("1e-5")
              and tomllib.loads(toml)["phc-pps-sync"]["gpio_pps_device"] == "/dev/pps0",
              "CM5: the GPIO PPS checks the system clock, PHC0 delay 1e-5 (±5 µs)")
        with open(ws.path("etc/nanotime/ptp4l.cfg"), "rb") as f:
            check(f.read() == ws.shipped("ptp4l-configs/gm-cm4-cm5.cfg"), "CM5: gm-cm4-cm5.cfg")
        check(os.path.islink(ws.path("etc/systemd/system/multi-user.target.wants/ptp4l@eth0.service")),
              "CM5: ptp4l@eth0 enabled")
        snap = ws.snapshot()
        ws.setup("--share-dir", SOURCE, share=False)
        check(diff_snapshots(snap, ws.snapshot()) == [], "CM5: second run is a no-op")

        ws.setup("--share-dir", SOURCE, "--phc", "/dev/ptp1", share=False)
        t = tomllib.loads(ws.read("etc/nanotime/nanotime.toml"))["phc-pps-sync"]
        check(t.get("device") == "/dev/ptp1" and "interface" not in t,
              f"--phc /dev/ptp1 alone: device = /dev/ptp1 instead of interface ({t})")
        r = ws.setup("--share-dir", SOURCE, "--phc", "/dev/ptp7", share=False, expect=1)
        check("--phc /dev/ptp7: no such PHC (found: /dev/ptp0, /dev/ptp1)" in r.stderr,
              "--phc of a clock that does not exist: clear error")
        ws.setup("--share-dir", SOURCE, "--profile", "g8275.1", share=False)
        with open(ws.path("etc/nanotime/ptp4l.cfg"), "rb") as f:
            check(f.read() == ws.shipped("ptp4l-configs/gm-cm4-cm5-g8275.1.cfg"),
                  "--profile g8275.1: the shipped default config is replaced by the G.8275.1 one")
        check(tomllib.loads(ws.read("etc/nanotime/nanotime.toml"))["phc-pps-sync"]["ptp4l_domain"] == 24,
              "--profile g8275.1: ptp4l_domain = 24, the domain of that config")


def not_a_pi():
    with Workspace("pc-i226") as ws:
        before = ws.snapshot()
        r = ws.setup(expect=1)
        check("does not look like a Raspberry Pi" in r.stderr and "--force" in r.stderr
              and "nothing was changed" in r.stderr, f"non-Pi refused: {r.stderr.strip()}")
        check(diff_snapshots(before, ws.snapshot()) == [], "non-Pi: nothing changed")
        r = ws.setup("--force")
        check("config.txt and cmdline.txt left alone" in r.stdout, "--force: boot files skipped")
        check(not os.path.exists(ws.path("boot")), "--force: no /boot created")
        with open(ws.path("etc/nanotime/ptp4l.cfg"), "rb") as f:
            check(f.read() == ws.shipped("ptp4l-configs/gm-intel-i210-i226.cfg"),
                  "i226: gm-intel-i210-i226.cfg")
        t = tomllib.loads(ws.read("etc/nanotime/nanotime.toml"))["phc-pps-sync"]
        check(t["interface"] == "enp2s0" and t["both_edges"] is True,
              f"i226: interface enp2s0, both_edges = true ({t})")
        check(os.path.islink(ws.path("etc/systemd/system/multi-user.target.wants/ptp4l@enp2s0.service")),
              "i226: ptp4l@enp2s0 enabled")
        check(phc0_line(ws) == PHC0.format("2e-6") and "gpio_pps_device" not in t,
              "i226 (PCIe, no GPIO known): PHC0 delay 2e-6 (±1 µs), no gpio_pps_device")
        check("Restart the services" in r.stdout, "non-Pi: next step is a restart, not a reboot")


def two_interfaces():
    with Workspace("cm4-fresh") as ws:
        add_i226(ws)
        before = ws.snapshot()
        r = ws.setup(expect=1)
        check("several interfaces have a PTP hardware clock" in r.stderr and "eth0: /dev/ptp0" in r.stderr
              and "eth1: /dev/ptp1" in r.stderr and "--interface" in r.stderr,
              f"CM4 + i226: asks for --interface: {r.stderr.strip()}")
        check(diff_snapshots(before, ws.snapshot()) == [], "CM4 + i226: nothing changed")
        r = ws.setup("--interface", "eth1")
        with open(ws.path("etc/nanotime/ptp4l.cfg"), "rb") as f:
            check(f.read() == ws.shipped("ptp4l-configs/gm-intel-i210-i226.cfg"),
                  "--interface eth1: the Intel config")
        check(os.path.islink(ws.path("etc/systemd/system/multi-user.target.wants/ptp4l@eth1.service")),
              "--interface eth1: ptp4l@eth1 enabled")
        check(phc0_line(ws) == PHC0.format("2e-6"),
              "CM4 + i226: PHC0 delay 2e-6: the PCIe bracket is narrower than the GPIO's bound")
        r = ws.setup("--interface", "eth9", expect=1)
        check("--interface eth9: no such network interface" in r.stderr, "unknown interface: clear error")


USER_TOML = """# my own settings
[phc-pps-sync]
device = "/dev/ptp0"
servo = "pi"

[gps-sock-bridge]
min_fix_mode = 3
offset_s = 0.12
"""


def existing_config():
    with Workspace("cm4-fresh") as ws:
        os.makedirs(ws.path("etc/nanotime"), exist_ok=True)
        with open(ws.path("etc/nanotime/nanotime.toml"), "w") as f:
            f.write(USER_TOML)
        with open(ws.path("etc/chrony/conf.d/nanotime.conf"), "w") as f:
            f.write("# my edited copy\nrefclock SOCK /run/chrony.phc0.sock refid PHC0 poll 2\n")
        vendor = ws.path("lib/systemd/system/ptp4l@.service.d")
        os.makedirs(vendor)
        with open(os.path.join(vendor, "nanotime.conf"), "wb") as f:
            f.write(ws.shipped("ptp4l-configs/ptp4l@.service.d/nanotime.conf"))
        r = ws.setup()
        text = ws.read("etc/nanotime/nanotime.toml")
        doc = tomllib.loads(text)
        check(doc["phc-pps-sync"].get("interface") == "eth0" and "device" not in doc["phc-pps-sync"]
              and doc["phc-pps-sync"]["servo"] == "pi",
              f"user's [phc-pps-sync]: interface set, device commented out, servo kept: {doc['phc-pps-sync']}")
        check(doc["gps-sock-bridge"]["offset_s"] == "auto" and doc["gps-sock-bridge"]["min_fix_mode"] == 3,
              "user's [gps-sock-bridge]: offset_s from the block, min_fix_mode kept")
        check('#device = "/dev/ptp0"  # (nanotime-setup: set in its block above)' in text
              and text.startswith("# my own settings\n[phc-pps-sync]\n# BEGIN nanotime-setup phc-pps-sync\n"),
              "the block sits at the top of the user's table; the duplicate is commented, not deleted")
        check(ws.read("etc/nanotime/nanotime.toml.nanotime-setup.bak") == USER_TOML,
              "the user's nanotime.toml is backed up")
        check(ws.read("etc/chrony/conf.d/nanotime.conf").startswith("# my edited copy")
              and "differs from the shipped" in r.stdout, "a user-edited chrony drop-in is kept, with a note")
        check(not os.path.exists(ws.path("etc/systemd/system/ptp4l@.service.d")),
              "a packaged ptp4l@ drop-in is not copied to /etc")
        snap = ws.snapshot()
        ws.setup()
        check(diff_snapshots(snap, ws.snapshot()) == [], "second run on the user's config: no-op")


def cm4_without_gpio():
    """--no-gpio-pps: the PPS reaches SYNC_OUT only. No pps-gpio, no gpsd PPS, no GPIO check:
    chronyd is told the MDIO read's bracket (delay 1e-4); a later run with the wire moves the
    delay to 1e-5 (the file setup wrote is its own, so it is rewritten, not kept)."""
    with Workspace("cm4-fresh") as ws:
        r = ws.setup("--no-gpio-pps")
        check("PPS on SYNC_OUT only" in r.stdout and "delay 1e-4" in r.stdout,
              "--no-gpio-pps: the summary says SYNC_OUT only, delay 1e-4")
        check(phc0_line(ws) == PHC0.format("1e-4"), "--no-gpio-pps: PHC0 delay 1e-4 (±50 µs)")
        doc = tomllib.loads(ws.read("etc/nanotime/nanotime.toml"))
        check("gpio_pps_device" not in doc["phc-pps-sync"] and "pps_socket" not in doc["gps-sock-bridge"],
              "--no-gpio-pps: no gpio_pps_device, no gpsd PPS relayed")
        check("pps-gpio" not in ws.read("boot/firmware/config.txt"), "--no-gpio-pps: no pps-gpio overlay")
        r = ws.setup()
        check(phc0_line(ws) == PHC0.format("1e-5") and "differs from the shipped" not in r.stdout,
              "the GPIO wired later: the drop-in setup wrote is rewritten with delay 1e-5")
        check(tomllib.loads(ws.read("etc/nanotime/nanotime.toml"))["phc-pps-sync"]["gpio_pps_device"]
              == "/dev/pps0", "and gpio_pps_device = /dev/pps0")


def main():
    cm5()
    not_a_pi()
    cm4_without_gpio()
    two_interfaces()
    existing_config()
    print("PASS: nanotime-setup on CM5, a PC with an i226, CM4 + i226, and existing configs")


if __name__ == "__main__":
    main()
