"""What the machine is: board model, network interfaces and their PTP hardware clocks (PHCs).

All paths are under `root` ("/" on a real machine, a fake tree in the tests). On a real machine
(root "/") the PHC behind an interface is asked from the kernel (ETHTOOL_GET_TS_INFO, what
ptp4l and phc-pps-sync use); sysfs is the fallback and the only source under a fake root.

sysfs layout this relies on (real kernels, and what tests/fixtures mimic):
  /sys/class/ptp/ptpN/device   -> the device that registered the clock: the PHY for a PHY clock
                                  (CM4/CM5 BCM54210PE), the NIC for a MAC clock (i210/i226, macb)
  /sys/class/ptp/ptpN/clock_name, pins/<NAME> ("<function> <channel>")
  /sys/class/net/IF/device     -> the NIC (MAC);  /sys/class/net/IF/phydev -> its PHY
  /sys/class/net/IF/device/driver -> the MAC driver (igb, igc, bcmgenet, macb, ...)
"""

import array
import fcntl
import os
import re
import socket
import struct

# Raspberry Pi boards by /proc/device-tree/model.
BOARD_CM4 = "cm4"
BOARD_CM5 = "cm5"
BOARD_OTHER_PI = "pi"

# PHC hardware families: which ptp4l config and daemon defaults fit.
PHC_BCM_PHY = "bcm54210pe"   # CM4/CM5 Ethernet PHY clock (docs/hardware-notes.md#phy)
PHC_INTEL = "intel"          # i210/i225/i226 (igb, igc), e.g. TimeHAT
INTEL_DRIVERS = ("igb", "igc")

MODEL_PATHS = ("proc/device-tree/model", "sys/firmware/devicetree/base/model")


def under(root, path):
    """`path` (absolute or relative to /) inside `root`."""
    return os.path.join(root, path.lstrip("/"))


def read_text(root, path, default=None):
    """Contents of a small sysfs/procfs file, stripped of NULs and whitespace, or `default`."""
    try:
        with open(under(root, path), "rb") as f:
            return f.read().replace(b"\0", b"").decode("utf-8", "replace").strip()
    except OSError:
        return default


def read_model(root):
    """The device-tree model string ("Raspberry Pi Compute Module 4 Rev 1.0"), or None."""
    for p in MODEL_PATHS:
        model = read_text(root, p)
        if model:
            return model
    return None


def board_kind(model):
    """BOARD_CM4 / BOARD_CM5 / BOARD_OTHER_PI, or None when this is not a Raspberry Pi."""
    if not model:
        return None
    if "Compute Module 4" in model:
        return BOARD_CM4
    if "Compute Module 5" in model:
        return BOARD_CM5
    if model.startswith("Raspberry Pi"):
        return BOARD_OTHER_PI
    return None


class Phc:
    """One PTP hardware clock: index N of /dev/ptpN, its name and the device that owns it."""

    def __init__(self, index, clock_name, owner):
        self.index = index
        self.clock_name = clock_name
        self.owner = owner  # realpath of sys/class/ptp/ptpN/device, or None

    @property
    def device(self):
        return f"/dev/ptp{self.index}"

    def __repr__(self):
        return f"Phc({self.device}, {self.clock_name!r})"


class Interface:
    def __init__(self, name, mac_dev, phy_dev, driver):
        self.name = name
        self.mac_dev = mac_dev    # realpath of sys/class/net/IF/device, or None (virtual)
        self.phy_dev = phy_dev    # realpath of sys/class/net/IF/phydev, or None
        self.driver = driver      # basename of the MAC driver, or None


def _realpath_or_none(path):
    return os.path.realpath(path) if os.path.exists(path) else None


def list_phcs(root):
    """Every PHC in sys/class/ptp, by index."""
    base = under(root, "sys/class/ptp")
    phcs = []
    try:
        names = os.listdir(base)
    except OSError:
        return phcs
    for name in names:
        m = re.fullmatch(r"ptp(\d+)", name)
        if not m:
            continue
        entry = os.path.join(base, name)
        phcs.append(Phc(int(m.group(1)),
                        read_text(root, f"sys/class/ptp/{name}/clock_name", ""),
                        _realpath_or_none(os.path.join(entry, "device"))))
    return sorted(phcs, key=lambda p: p.index)


def list_interfaces(root):
    """Network interfaces with a device behind them (no lo, bridges, veths without a NIC...)."""
    base = under(root, "sys/class/net")
    result = []
    try:
        names = sorted(os.listdir(base))
    except OSError:
        return result
    for name in names:
        entry = os.path.join(base, name)
        mac = _realpath_or_none(os.path.join(entry, "device"))
        if name == "lo" or mac is None:
            continue
        drv = _realpath_or_none(os.path.join(entry, "device", "driver"))
        result.append(Interface(name, mac, _realpath_or_none(os.path.join(entry, "phydev")),
                                os.path.basename(drv) if drv else None))
    return result


def kernel_phc_index(ifname):
    """ETHTOOL_GET_TS_INFO: the PHC index the kernel reports for `ifname` (what ptp4l uses),
    -1 for none, None if the ioctl is not available (e.g. no such interface)."""
    SIOCETHTOOL, ETHTOOL_GET_TS_INFO = 0x8946, 0x41
    info = array.array("B", struct.pack("=IIi8I", ETHTOOL_GET_TS_INFO, 0, -1, *([0] * 8)))
    addr, _ = info.buffer_info()
    ifreq = struct.pack("16sP", ifname.encode()[:15], addr).ljust(40, b"\0")
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifreq)
    except OSError:
        return None
    return struct.unpack_from("=IIi", info.tobytes())[2]


def phcs_behind(iface, phcs, live=False):
    """The PHCs that belong to `iface`, best first. A PHY clock comes before a MAC clock: the
    kernel's ETHTOOL_GET_TS_INFO prefers the PHY's timestamps when the PHY has them (CM5: the
    PHY clock, not the macb one). On a live system the kernel's answer goes first."""
    phy = [p for p in phcs if p.owner and iface.phy_dev and p.owner == iface.phy_dev]
    mac = [p for p in phcs if p.owner and iface.mac_dev and p.owner == iface.mac_dev
           and p not in phy]
    ordered = phy + mac
    if live:
        idx = kernel_phc_index(iface.name)
        if idx is not None and idx >= 0:
            first = [p for p in phcs if p.index == idx]
            ordered = first + [p for p in ordered if p.index != idx]
    return ordered


def phc_family(iface, phc, board):
    """PHC_BCM_PHY, PHC_INTEL or None (unknown hardware)."""
    if iface.driver in INTEL_DRIVERS and phc.owner == iface.mac_dev:
        return PHC_INTEL
    if board in (BOARD_CM4, BOARD_CM5) and phc.owner == iface.phy_dev:
        return PHC_BCM_PHY
    return None


class Detection:
    """The result of detect(): interface, PHC, candidates (for messages)."""

    def __init__(self, iface, phc, candidates, all_phcs):
        self.iface = iface            # Interface
        self.phc = phc                # Phc
        self.candidates = candidates  # [(Interface, [Phc...])] every interface with a PHC
        self.all_phcs = all_phcs


class DetectError(Exception):
    pass


def detect(root, want_iface=None, want_phc=None):
    """Pick the interface and its PHC. want_iface/want_phc ("eth0", "/dev/ptp1" or 1) override.
    Raises DetectError with a message that says what was found and what to do."""
    live = os.path.realpath(root) == "/"
    phcs = list_phcs(root)
    if not phcs:
        raise DetectError(
            f"no PTP hardware clock found ({under(root, 'sys/class/ptp')} is empty or missing). "
            "On a CM4/CM5 the Ethernet PHY clock comes with Raspberry Pi OS kernels >= 6.1 "
            "(driver bcm-phy-ptp); check `ethtool -T eth0` shows a 'PTP Hardware Clock'.")
    ifaces = list_interfaces(root)
    candidates = [(i, phcs_behind(i, phcs, live)) for i in ifaces]
    candidates = [(i, p) for i, p in candidates if p]
    if want_phc is not None:
        m = re.fullmatch(r"(?:/dev/)?(?:ptp)?(\d+)", str(want_phc))
        if not m:
            raise DetectError(f"--phc {want_phc}: not a PHC device (/dev/ptpN)")
        idx = int(m.group(1))
        chosen = [p for p in phcs if p.index == idx]
        if not chosen:
            raise DetectError(f"--phc {want_phc}: no such PHC (found: "
                              f"{', '.join(p.device for p in phcs)})")
    if want_iface is not None:
        match = [i for i in ifaces if i.name == want_iface]
        if not match:
            raise DetectError(f"--interface {want_iface}: no such network interface (found: "
                              f"{', '.join(i.name for i in ifaces) or 'none'})")
        iface = match[0]
        own = phcs_behind(iface, phcs, live)
        if want_phc is not None:
            return Detection(iface, chosen[0], candidates, phcs)
        if not own:
            raise DetectError(f"interface {want_iface} has no PTP hardware clock "
                              f"(PHCs: {', '.join(p.device for p in phcs)}); "
                              "give the PHC with --phc")
        return Detection(iface, own[0], candidates, phcs)
    if want_phc is not None:
        owners = [i for i, ps in candidates if chosen[0] in ps]
        if not owners:
            raise DetectError(f"--phc {want_phc}: no network interface owns this PHC; "
                              "give the interface with --interface")
        return Detection(owners[0], chosen[0], candidates, phcs)
    if not candidates:
        raise DetectError(
            f"found {', '.join(p.device for p in phcs)} but no network interface owning it "
            "(sys/class/ptp/ptpN/device matches no sys/class/net/IF/device or phydev); "
            "give it with --interface and --phc")
    if len(candidates) > 1:
        listing = "; ".join(f"{i.name}: {', '.join(p.device for p in ps)}" for i, ps in candidates)
        raise DetectError(f"several interfaces have a PTP hardware clock ({listing}): "
                          "choose one with --interface")
    iface, own = candidates[0]
    return Detection(iface, own[0], candidates, phcs)


def pin_functions(root, phc_index):
    """{pin name: (function, channel)} from sys/class/ptp/ptpN/pins/* (function 1 = EXTTS,
    2 = PEROUT, 0 = none). {} when the PHC has no programmable pins."""
    base = under(root, f"sys/class/ptp/ptp{phc_index}/pins")
    pins = {}
    try:
        names = sorted(os.listdir(base))
    except OSError:
        return pins
    for name in names:
        text = read_text(root, f"sys/class/ptp/ptp{phc_index}/pins/{name}", "")
        parts = text.split()
        if len(parts) == 2 and all(p.isdigit() for p in parts):
            pins[name] = (int(parts[0]), int(parts[1]))
    return pins
