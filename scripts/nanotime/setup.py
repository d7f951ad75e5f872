"""nanotime-setup: prepare a Raspberry Pi CM4/CM5 (Raspberry Pi OS bookworm) for nanotime.

What it does, in order (see nanotime-setup(8)):
  1. detects the board (device-tree model), the interface with a PTP hardware clock and the
     PHC behind it (never a fixed /dev/ptp0: a CM5 has two PHCs);
  2. plans every change -- config.txt (UART, Bluetooth off the UART, pps-gpio), cmdline.txt
     (no login console on the receiver's UART), /etc/default/gpsd, the chrony drop-in,
     /etc/nanotime/nanotime.toml, the ptp4l grandmaster config and its unit drop-in, the unit
     symlinks that enable the services -- without writing anything;
  3. shows the plan as unified diffs (--dry-run stops here), or applies it: backups first,
     then every file, all undone if one write fails.
A second run finds nothing to change and writes nothing.
"""

import argparse
import os
import re
import subprocess
import sys

try:
    import tomllib  # Python >= 3.11 (bookworm)
except ImportError:  # pragma: no cover - older Pythons: no validation of the TOML we write
    tomllib = None

from . import hw
from .textedit import EditError, Plan, find_block, outside_block, set_block

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CONFIG = 78  # EX_CONFIG: an existing config file is malformed; nothing was changed

DEFAULT_SHARE_DIR = "/usr/share/nanotime"
UNIT_DIRS = ("etc/systemd/system", "lib/systemd/system", "usr/lib/systemd/system")
VENDOR_UNIT_DIRS = ("lib/systemd/system", "usr/lib/systemd/system")

# Shipped files, by what they are; the first existing candidate under --share-dir wins. The
# first names are the package layout (/usr/share/nanotime/...), the second the source tree's
# (so --share-dir can be a checkout).
SHARE_CANDIDATES = {
    "chrony-dropin": ("chrony/nanotime.conf", "chrony-confs/nanotime.conf"),
    "ptp4l-dir": ("ptp4l", "ptp4l-configs"),
    "ptp4l-unit-dropin": ("systemd/ptp4l@.service.d/nanotime.conf",
                          "ptp4l-configs/ptp4l@.service.d/nanotime.conf"),
}
PTP4L_CONFIGS = {
    (hw.PHC_BCM_PHY, "default"): "gm-cm4-cm5.cfg",
    (hw.PHC_BCM_PHY, "g8275.1"): "gm-cm4-cm5-g8275.1.cfg",
    (hw.PHC_INTEL, "default"): "gm-intel-i210-i226.cfg",
    (hw.PHC_INTEL, "g8275.1"): "gm-intel-i210-i226-g8275.1.cfg",
}

# chronyd's PHC0 `delay`: twice the bound on the system clock's error that phc-pps-sync's
# samples carry (chronyd adds delay/2 to the root distance its clients see; `precision` stays
# the read noise). Measured by nanotime-doctor; why: docs/user-guide.md, "How good is NTP".
PHC0_DELAY_GPIO = "1e-5"     # CM4/CM5 with the PPS on a GPIO too: calibrated, ~5 us
PHC0_DELAY_BRACKET = "1e-4"  # CM4/CM5 PPS on SYNC_OUT only: the MDIO read's bracket, ~50 us
PHC0_DELAY_PCIE = "2e-6"     # a NIC's PHC over PCIe (i210/i226): a ~1 us bracket or better
PHC0_DELAYS = (PHC0_DELAY_GPIO, PHC0_DELAY_BRACKET, PHC0_DELAY_PCIE)
PHC0_LINE_RE = re.compile(rb"^(refclock SOCK /run/chrony\.phc0\.sock .*?\bdelay )(\S+)(.*)$", re.M)

# Where things go on the target system.
CONFIG_TXT = ("boot/firmware/config.txt", "boot/config.txt")  # bookworm, then older images
GPSD_DEFAULTS = "etc/default/gpsd"
CHRONY_CONF = "etc/chrony/chrony.conf"
CHRONY_DROPIN = "etc/chrony/conf.d/nanotime.conf"
NANOTIME_TOML = "etc/nanotime/nanotime.toml"
PTP4L_CFG = "etc/nanotime/ptp4l.cfg"
PTP4L_UNIT_DROPIN = "etc/systemd/system/ptp4l@.service.d/nanotime.conf"

# What --receiver changes. The serial delay (gps-sock-bridge offset_s) is measured against
# gpsd's PPS ("auto") for every receiver: setup gives gpsd the PPS, so nothing is guessed.
RECEIVERS = {
    "f9t": ("u-blox ZED-F9T",
            "qErr: enable UBX-TIM-TP on the receiver so gpsd reports qErr with each PPS "
            "(sawtooth ~8 ns p-p corrected)."),
    "m8t": ("u-blox LEA/NEO-M8T",
            "qErr: enable UBX-TIM-TP on the receiver so gpsd reports qErr with each PPS "
            "(sawtooth ~21 ns p-p corrected)."),
    "generic": ("GNSS receiver (NMEA)",
                "No qErr from this receiver: its PPS sawtooth stays in the measurements."),
}

# Keys the nanotime.toml blocks own, per table. Copies of them outside the block would be
# duplicate keys (invalid TOML), so they are commented out there. interface/device go together:
# the daemon wants exactly one of them. gpio_pps_device only when the block sets it (a Pi whose
# PPS reaches a GPIO): elsewhere setup does not know, and the user's line stands.
OPTIONAL_TOML_KEYS = {"gpio_pps_device"}
TOML_KEYS = {
    "phc-pps-sync": {"interface", "device", "cable_delay_ns", "both_edges", "ptp4l_socket",
                     "ptp4l_domain", "gpio_pps_device"},
    "gps-sock-bridge": {"pps_socket", "offset_s"},
}


class SetupError(Exception):
    def __init__(self, message, code=EXIT_ERROR):
        super().__init__(message)
        self.code = code


# -- reading the target tree --------------------------------------------------------------------
class Tree:
    """The target system under `root`; paths are given relative to / ("etc/default/gpsd")."""

    def __init__(self, root):
        self.root = root

    def path(self, rel):
        return hw.under(self.root, rel)

    @staticmethod
    def display(rel):
        return "/" + rel.lstrip("/")

    def exists(self, rel):
        return os.path.lexists(self.path(rel))

    def read_bytes(self, rel):
        """Bytes of the file, None when it does not exist, SetupError when it cannot be read."""
        p = self.path(rel)
        if not os.path.lexists(p):
            return None
        try:
            with open(p, "rb") as f:
                return f.read()
        except OSError as e:
            raise SetupError(f"cannot read {self.display(rel)}: {e.strerror or e}") from e

    def read_text(self, rel):
        data = self.read_bytes(rel)
        if data is None:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise SetupError(f"{self.display(rel)} is not UTF-8 text (byte {e.start}): "
                             "refusing to edit it") from e


def read_share(path, what):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise SetupError(f"cannot read the shipped {what} {path}: {e.strerror or e}") from e


def find_share(share_dir, key):
    for rel in SHARE_CANDIDATES[key]:
        p = os.path.join(share_dir, rel)
        if os.path.exists(p):
            return p
    tried = ", ".join(os.path.join(share_dir, r) for r in SHARE_CANDIDATES[key])
    raise SetupError(f"shipped file not found (tried {tried}): is the nanotime package "
                     "installed? (or give --share-dir)")


# -- the individual edits -------------------------------------------------------------------------
def boot_config_lines(board, args):
    """The config.txt block for the board."""
    on_uart = args.uart.startswith("/dev/ttyAMA") or args.uart == "/dev/serial0"
    lines = [
        f"# nanotime: GNSS receiver on {args.uart}, its PPS on GPIO {args.gpio} (/dev/pps0 for gpsd).",
        "# Written by nanotime-setup; it rewrites this block when run again.",
        "[all]",
    ]
    if on_uart and board == hw.BOARD_CM5:
        lines += ["# UART0 on GPIO14/15 (/dev/ttyAMA0); Bluetooth has its own UART on the CM5.",
                  "dtparam=uart0=on"]
    elif on_uart:
        bt = "disable-bt" if args.bluetooth == "off" else "miniuart-bt"
        why = ("Bluetooth off" if args.bluetooth == "off"
               else "Bluetooth moved to the mini UART")
        lines += ["# The PL011 UART on GPIO14/15 (/dev/ttyAMA0) for the receiver; "
                  f"{why}.", "enable_uart=1", f"dtoverlay={bt}"]
    if not args.no_gpio_pps:
        lines.append(f"dtoverlay=pps-gpio,gpiopin={args.gpio}")
    return lines


def plan_boot(plan, tree, board, args):
    rel = next((r for r in CONFIG_TXT if os.path.isfile(tree.path(r))), None)
    if rel == CONFIG_TXT[-1] and "/boot/firmware/config.txt" in (tree.read_text(rel) or ""):
        # bookworm's /boot/config.txt is a stub saying "moved to /boot/firmware/config.txt":
        # the real file is on the boot partition, which is not mounted.
        raise SetupError(f"{Tree.display(CONFIG_TXT[0])} not found, and "
                         f"{Tree.display(rel)} says the file moved there: is the boot "
                         "partition mounted on /boot/firmware?")
    if rel is None:
        if board is None:  # --force on a non-Pi: no Pi boot files to edit
            plan.notes.append("not a Raspberry Pi: config.txt and cmdline.txt left alone")
            return
        raise SetupError(f"{' or '.join(Tree.display(r) for r in CONFIG_TXT)} not found: is "
                         "the boot partition mounted? (Raspberry Pi OS bookworm mounts it on "
                         "/boot/firmware)")
    text = tree.read_text(rel)
    lines = text.splitlines()
    for i in outside_block(lines, path=Tree.display(rel)):
        s = lines[i].strip()
        if s.startswith("dtoverlay=pps-gpio"):
            plan.notes.append(f"{Tree.display(rel)} line {i + 1} already has '{s}': with ours "
                              "that makes two PPS devices; remove that line unless you want it")
    new = set_block(text, boot_config_lines(board, args), path=Tree.display(rel))
    plan.write(tree.path(rel), Tree.display(rel), new, text.encode())

    # The login console must not sit on the receiver's UART (Raspberry Pi OS ships
    # console=serial0,115200). On a CM5 serial0 is the debug UART (ttyAMA10): keep it there.
    cmd_rel = os.path.join(os.path.dirname(rel), "cmdline.txt")
    cmd = tree.read_text(cmd_rel)
    if cmd is None:
        plan.notes.append(f"{Tree.display(cmd_rel)} not found: check no login console uses "
                          f"{args.uart}")
        return
    uart = os.path.basename(args.uart)
    consoles = {uart} | ({"serial0", "ttyAMA0", "ttyS0"} if board != hw.BOARD_CM5 else set())
    words = cmd.split()
    kept = [w for w in words
            if not (w.startswith("console=") and w[8:].split(",")[0] in consoles)]
    if kept != words:
        plan.write(tree.path(cmd_rel), Tree.display(cmd_rel), " ".join(kept) + "\n", cmd.encode())


def plan_gpsd(plan, tree, args):
    text = tree.read_text(GPSD_DEFAULTS)
    if text is None:
        raise SetupError(f"{Tree.display(GPSD_DEFAULTS)} not found: is gpsd installed? "
                         "(apt install gpsd)")
    body = [
        f"# nanotime: the receiver on {args.uart} and its PPS ({args.pps_device}, pps-gpio "
        f"on GPIO {args.gpio}).",
        "# These lines override the ones above. -n: read the receiver from boot, without "
        "waiting for a client.",
        f'DEVICES="{args.uart}"' if args.no_gpio_pps else f'DEVICES="{args.uart} {args.pps_device}"',
        'GPSD_OPTIONS="-n"',
        'USBAUTO="false"',
    ]
    plan.write(tree.path(GPSD_DEFAULTS), Tree.display(GPSD_DEFAULTS),
               set_block(text, body, path=Tree.display(GPSD_DEFAULTS)), text.encode())


def reads_conf_d(chrony_conf):
    """Does chrony.conf read /etc/chrony/conf.d/*.conf (Debian's `confdir` line, or include)?"""
    for line in chrony_conf.splitlines():
        words = line.split("#")[0].split()
        if len(words) >= 2 and words[0] == "confdir" and any(
                w.rstrip("/") == "/etc/chrony/conf.d" for w in words[1:]):
            return True
        if len(words) == 2 and words[0] == "include" and words[1].startswith("/etc/chrony/conf.d/"):
            return True
    return False


def install_shipped(plan, tree, rel, src, what, alternatives=(), new=None):
    """Copy a shipped file (or `new`, made from it) to `rel`: created if absent, replaced only
    if it is an unmodified shipped file (one of `alternatives`), kept (with a note) if the user
    edited it."""
    if new is None:
        new = read_share(src, what)
    old = tree.read_bytes(rel)
    if old is None or old in alternatives:
        plan.write(tree.path(rel), Tree.display(rel), new, old)
    elif old != new:
        plan.notes.append(f"{Tree.display(rel)} differs from the shipped {src}: kept yours "
                          f"(compare with: diff {src} {Tree.display(rel)})")


def has_gpio_pps(board, args):
    """The PPS reaches a GPIO too: setup sets up the pps-gpio overlay on a Pi."""
    return board in (hw.BOARD_CM4, hw.BOARD_CM5) and not args.no_gpio_pps


def phc0_delay(board, family, args):
    # The transfer's bound is the bracket, narrowed by a GPIO PPS, never widened: a PCIe NIC's
    # ~1 us bracket beats the GPIO's few us.
    if family == hw.PHC_INTEL:
        return PHC0_DELAY_PCIE
    return PHC0_DELAY_GPIO if has_gpio_pps(board, args) else PHC0_DELAY_BRACKET


def with_phc0_delay(dropin, delay):
    """The drop-in with `delay` on its PHC0 refclock line (unchanged if it has none)."""
    return PHC0_LINE_RE.sub(lambda m: m.group(1) + delay.encode() + m.group(3), dropin)


def plan_chrony(plan, tree, args, delay):
    conf = tree.read_text(CHRONY_CONF)
    if conf is None:
        raise SetupError(f"{Tree.display(CHRONY_CONF)} not found: is chrony installed? "
                         "(apt install chrony)")
    if not reads_conf_d(conf):
        new = set_block(conf, ["# nanotime: read the drop-ins (nanotime.conf) in conf.d.",
                               "confdir /etc/chrony/conf.d"], path=Tree.display(CHRONY_CONF))
        plan.write(tree.path(CHRONY_CONF), Tree.display(CHRONY_CONF), new, conf.encode())
    src = args.chrony_dropin or find_share(args.share_dir, "chrony-dropin")
    shipped = read_share(src, "chrony drop-in")
    # Any delay setup may have written before is still "our" file: rewritten, not kept.
    ours = tuple(with_phc0_delay(shipped, d) for d in PHC0_DELAYS)
    install_shipped(plan, tree, CHRONY_DROPIN, src, "chrony drop-in", ours,
                    new=with_phc0_delay(shipped, delay))


def ptp4l_config_values(cfg_text):
    """(domainNumber, uds_address) of a ptp4l config, with ptp4l's defaults."""
    values = {"domainNumber": "0", "uds_address": "/var/run/ptp4l"}
    section = "global"
    for line in cfg_text.splitlines():
        s = line.split("#")[0].strip()
        if s.startswith("[") and s.endswith("]"):
            section = s[1:-1].strip()
        elif section == "global" and s:
            parts = s.split(None, 1)
            if len(parts) == 2 and parts[0] in values:
                values[parts[0]] = parts[1].strip()
    return int(values["domainNumber"]), values["uds_address"]


def plan_ptp4l(plan, tree, family, args):
    """The grandmaster config for the hardware, and Debian's ptp4l@.service pointed at it."""
    ptp_dir = find_share(args.share_dir, "ptp4l-dir")
    name = PTP4L_CONFIGS[(family, args.profile)]
    src = os.path.join(ptp_dir, name)
    flavours = tuple(read_share(os.path.join(ptp_dir, n), "ptp4l config")
                     for n in sorted(set(PTP4L_CONFIGS.values()))
                     if os.path.exists(os.path.join(ptp_dir, n)) and n != name)
    install_shipped(plan, tree, PTP4L_CFG, src, "ptp4l config", flavours)
    vendor = [d for d in VENDOR_UNIT_DIRS
              if tree.exists(f"{d}/ptp4l@.service.d/nanotime.conf")]
    if not vendor:
        install_shipped(plan, tree, PTP4L_UNIT_DROPIN,
                        find_share(args.share_dir, "ptp4l-unit-dropin"), "ptp4l unit drop-in")
    return name, ptp4l_config_values(read_share(src, "ptp4l config").decode())


def toml_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def toml_blocks(det, family, board_desc, args, ptp_domain, ptp_socket, gpio):
    receiver, qerr_note = RECEIVERS[args.receiver]
    phc_lines = [f"# Detected: {board_desc}; {det.phc.device} ({det.phc.clock_name or 'PHC'}) "
                 f"behind {det.iface.name}."]
    if args.phc is not None and args.interface is None:
        phc_lines += ["# --phc given: the device, not the interface (no carrier watch).",
                      f"device = {toml_string(det.phc.device)}"]
    else:
        phc_lines += ["# The daemon finds the PHC behind the interface itself (ETHTOOL_GET_TS_INFO).",
                      f"interface = {toml_string(det.iface.name)}"]
    if family == hw.PHC_INTEL:
        phc_lines += ["# i210/i226 timestamp both edges of the pulse.", "both_edges = true"]
    phc_lines += [
        "# Antenna cable + LNA delay to subtract, ns (about 5 ns per metre of cable).",
        f"cable_delay_ns = {float(args.cable_delay_ns)!r}",
        "# ptp4l's management socket and domain: those of /etc/nanotime/ptp4l.cfg.",
        f"ptp4l_socket = {toml_string(ptp_socket)}",
        f"ptp4l_domain = {ptp_domain}",
    ]
    if gpio:
        phc_lines += [
            f"# The same PPS on GPIO {args.gpio} ({args.pps_device}): it calibrates the PHC-to-system",
            "# transfer, so NTP clients get a few-us bound instead of the read's ~50 us bracket.",
            f"gpio_pps_device = {toml_string(args.pps_device)}",
        ]
    bridge_lines = [
        f"# Receiver: {receiver} on {args.uart}; PPS on GPIO {args.gpio} ({args.pps_device}, read by gpsd).",
        f"# {qerr_note}",
        "# gpsd's PPS as a second chrony source (refid PPS in the chrony drop-in).",
        'pps_socket = "/run/chrony.pps.sock"',
    ] if not args.no_gpio_pps else [
        f"# Receiver: {receiver} on {args.uart}; its PPS on SYNC_OUT only (--no-gpio-pps).",
        f"# {qerr_note}",
    ]
    bridge_lines += [
        "# The serial delay, measured against the PPS.",
        'offset_s = "auto"',
    ] if not args.no_gpio_pps else [
        "# No gpsd PPS to measure the serial delay against: set offset_s by hand if needed.",
    ]
    return {"phc-pps-sync": phc_lines, "gps-sock-bridge": bridge_lines}


TOML_HEADER = [
    "# /etc/nanotime/nanotime.toml -- configuration of phc-pps-sync(8) and gps-sock-bridge(8).",
    "# Written by nanotime-setup. It rewrites the blocks between its BEGIN/END markers when run",
    "# again; put your own keys outside them (a key set in a block must not be repeated).",
    "# Every other key and its default: phc-pps-sync(8), gps-sock-bridge(8).",
]

TABLE_RE = re.compile(r"^\s*\[\s*\"?([A-Za-z0-9_.-]+)\"?\s*\]\s*(#.*)?$")
KEY_RE = re.compile(r"^\s*\"?([A-Za-z0-9_-]+)\"?\s*=")


def _table_ranges(lines):
    """{table: (header index, end index exclusive)} for top-level [table] headers."""
    heads = [(i, m.group(1)) for i, l in enumerate(lines) for m in [TABLE_RE.match(l)] if m]
    ranges = {}
    for n, (i, name) in enumerate(heads):
        end = heads[n + 1][0] if n + 1 < len(heads) else len(lines)
        ranges.setdefault(name, (i, end))
    return ranges


def edit_toml(text, blocks, display):
    """The nanotime.toml text with our block at the top of each table; a new file if `text`
    is None. Our keys found elsewhere in the table are commented out (duplicates)."""
    if text is None:
        out = list(TOML_HEADER)
        for table, body in blocks.items():
            out += ["", f"[{table}]", f"# BEGIN nanotime-setup {table}", *body,
                    f"# END nanotime-setup {table}"]
        return "\n".join(out) + "\n"
    for table, body in blocks.items():
        lines = text.splitlines()
        if find_block(lines, table, path=display) is None:
            rng = _table_ranges(lines).get(table)
            if rng is None:
                while lines and not lines[-1].strip():
                    lines.pop()
                lines += ["", f"[{table}]"]
                text = "\n".join(lines) + "\n"
                insert_at = len(lines)
            else:
                insert_at = rng[0] + 1
            text = set_block(text, body, tag=table, insert_at=insert_at, path=display)
        else:
            text = set_block(text, body, tag=table, path=display)
        lines = text.splitlines()
        start, end = _table_ranges(lines)[table]
        inside = set(range(start, end)) - set(outside_block(lines, table, path=display))
        ours = {m.group(1) for m in map(KEY_RE.match, body) if m}
        owned = {k for k in TOML_KEYS[table] if k not in OPTIONAL_TOML_KEYS or k in ours}
        for i in range(start + 1, end):
            m = KEY_RE.match(lines[i])
            if i not in inside and m and m.group(1) in owned:
                lines[i] = f"#{lines[i]}  # (nanotime-setup: set in its block above)"
        text = "\n".join(lines) + "\n"
    return text


def plan_toml(plan, tree, det, family, board_desc, args, ptp_domain, ptp_socket, gpio):
    display = Tree.display(NANOTIME_TOML)
    old = tree.read_text(NANOTIME_TOML)
    if old is not None and tomllib is not None:
        try:
            tomllib.loads(old)
        except tomllib.TOMLDecodeError as e:
            raise SetupError(f"{display}: invalid TOML ({e}); fix it or move it away, then run "
                             "nanotime-setup again", EXIT_CONFIG) from e
    new = edit_toml(old, toml_blocks(det, family, board_desc, args, ptp_domain, ptp_socket, gpio),
                    display)
    if tomllib is not None:
        try:
            doc = tomllib.loads(new)
        except tomllib.TOMLDecodeError as e:
            raise SetupError(f"{display}: the edited file would be invalid TOML ({e}); "
                             "nothing was changed", EXIT_CONFIG) from e
        t = doc.get("phc-pps-sync", {})
        if ("interface" in t) == ("device" in t):
            raise SetupError(f"{display}: [phc-pps-sync] would not have exactly one of "
                             "interface/device; nothing was changed", EXIT_CONFIG)
    plan.write(tree.path(NANOTIME_TOML), display, new,
               old.encode() if old is not None else None)


# -- systemd units --------------------------------------------------------------------------------
def find_unit(tree, unit):
    """(dir, file name) of the unit file (a template for an instance), or None."""
    names = [unit]
    m = re.fullmatch(r"([^@]+)@[^.]+(\.\w+)", unit)
    if m:
        names.append(f"{m.group(1)}@{m.group(2)}")
    for name in names:
        for d in UNIT_DIRS:
            if os.path.lexists(tree.path(f"{d}/{name}")):
                return d, name
    return None


def install_section(text):
    """{key: [values]} of the [Install] section of a unit file."""
    result, section = {}, None
    for line in text.splitlines():
        s = line.strip()
        if not s or s[0] in "#;":
            continue
        if s.startswith("["):
            section = s
        elif section == "[Install]" and "=" in s:
            k, v = s.split("=", 1)
            result.setdefault(k.strip(), []).extend(v.split())
    return result


def plan_enable(plan, tree, unit, package, seen=None):
    """Symlinks that `systemctl enable unit` would create (WantedBy/RequiredBy/Alias/Also)."""
    seen = set() if seen is None else seen
    if unit in seen:
        return
    seen.add(unit)
    found = find_unit(tree, unit)
    if found is None:
        raise SetupError(f"{unit} not found in /etc/systemd/system, /lib/systemd/system or "
                         f"/usr/lib/systemd/system: is {package} installed?")
    d, name = found
    path = tree.path(f"{d}/{name}")
    if os.path.islink(path) and os.readlink(path) == "/dev/null":
        plan.notes.append(f"{unit} is masked: not enabled (systemctl unmask {unit})")
        return
    target = f"/{d}/{name}"
    install = install_section(tree.read_text(f"{d}/{name}") or "")
    for key, suffix in (("WantedBy", ".wants"), ("RequiredBy", ".requires")):
        for t in install.get(key, []):
            rel = f"etc/systemd/system/{t}{suffix}/{unit}"
            if not tree.exists(rel):
                plan.link(tree.path(rel), Tree.display(rel), target)
    if "@" not in unit:
        for alias in install.get("Alias", []):
            rel = f"etc/systemd/system/{alias}"
            if not tree.exists(rel):
                plan.link(tree.path(rel), Tree.display(rel), target)
    for also in install.get("Also", []):
        plan_enable(plan, tree, also, package, seen)


def plan_disable(plan, tree, unit):
    """Remove the enablement symlinks of `unit` from etc/systemd/system/*.wants."""
    base = tree.path("etc/systemd/system")
    try:
        dirs = sorted(os.listdir(base))
    except OSError:
        return
    for d in dirs:
        if d.endswith((".wants", ".requires")):
            p = os.path.join(base, d, unit)
            if os.path.islink(p):
                rel = f"etc/systemd/system/{d}/{unit}"
                plan.unlink(p, Tree.display(rel), os.readlink(p))


UNITS = (("chrony.service", "chrony"), ("gpsd.service", "gpsd"),
         ("phc-pps-sync.service", "the nanotime package"),
         ("gps-sock-bridge.service", "the nanotime package"))


# -- main -----------------------------------------------------------------------------------------
def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="nanotime-setup",
        description="Prepare a Raspberry Pi CM4/CM5 (Raspberry Pi OS bookworm) as a GNSS "
                    "time server: boot config, gpsd, chrony, nanotime.toml, ptp4l, units. "
                    "Detects the board, interface and PHC; idempotent; backs up what it changes.",
        epilog="Exit status: 0 done (or nothing to do), 1 error (nothing changed; or, with "
               "--configure-receiver, the receiver not (fully) configured), 2 usage, "
               "78 an existing config file is malformed (nothing changed). See nanotime-setup(8).")
    p.add_argument("--gpio", type=int, default=18, metavar="N",
                   help="GPIO (BCM number) the PPS is wired to, for gpsd's pps-gpio (default 18)")
    p.add_argument("--no-gpio-pps", action="store_true",
                   help="the PPS reaches SYNC_OUT only, no GPIO: no pps-gpio, no gpsd PPS; the "
                        "system clock's bound is then the PHC read's bracket (~50 us on a CM4)")
    p.add_argument("--uart", default="/dev/ttyAMA0", metavar="DEV",
                   help="the receiver's serial port (default /dev/ttyAMA0: GPIO14/15)")
    p.add_argument("--pps-device", default="/dev/pps0", metavar="DEV",
                   help="the kernel PPS device the overlay creates (default /dev/pps0)")
    p.add_argument("--receiver", choices=sorted(RECEIVERS), default="generic",
                   help="the GNSS receiver (default generic)")
    p.add_argument("--cable-delay-ns", type=float, default=0.0, metavar="NS",
                   help="antenna cable + LNA delay to subtract, ns (default 0; ~5 ns/m)")
    p.add_argument("--interface", metavar="IF", help="the PTP interface (default: detected)")
    p.add_argument("--phc", metavar="DEV", help="the PHC, e.g. /dev/ptp1 (default: the one "
                   "behind the interface)")
    p.add_argument("--phc-type", choices=(hw.PHC_BCM_PHY, hw.PHC_INTEL),
                   help="the PHC hardware, when it cannot be detected")
    p.add_argument("--profile", choices=("default", "g8275.1"), default="default",
                   help="PTP profile: default (1588 E2E UDPv4) or g8275.1 (telecom, L2)")
    p.add_argument("--bluetooth", choices=("off", "miniuart"), default="off",
                   help="CM4: Bluetooth off (default) or moved to the mini UART")
    p.add_argument("--chrony-dropin", metavar="FILE",
                   help="the chrony drop-in to install (default: the shipped one)")
    p.add_argument("--share-dir", default=DEFAULT_SHARE_DIR, metavar="DIR",
                   help=f"where the shipped configs are (default {DEFAULT_SHARE_DIR})")
    p.add_argument("--root", default="/", metavar="DIR",
                   help="operate on the system tree under DIR (default /)")
    p.add_argument("--dry-run", "-n", action="store_true",
                   help="show the changes as unified diffs, change nothing")
    p.add_argument("--force", action="store_true",
                   help="run on a machine that is not a Raspberry Pi")
    p.add_argument("--configure-receiver", action="store_true",
                   help="then configure the u-blox timing receiver from [receiver] "
                        "(nanotime-receiver configure; with --dry-run: its --dry-run)")
    args = p.parse_args(argv)
    if not 0 <= args.gpio <= 53:
        p.error(f"--gpio {args.gpio}: not a BCM GPIO number (0-53)")
    if not args.uart.startswith("/dev/") or not args.pps_device.startswith("/dev/"):
        p.error("--uart and --pps-device are device paths (/dev/...)")
    return args


def build_plan(args):
    """Everything to change, as a Plan, plus what was detected (for the summary)."""
    if not os.path.isdir(args.root):
        raise SetupError(f"--root {args.root}: not a directory")
    tree = Tree(args.root)
    model = hw.read_model(args.root)
    board = hw.board_kind(model)
    if board is None and not args.force:
        raise SetupError(
            f"this does not look like a Raspberry Pi (device-tree model: "
            f"{model or 'none in /proc/device-tree/model'}). nanotime-setup edits a Pi's boot "
            "configuration; use --force to set up the rest on another machine anyway")
    try:
        det = hw.detect(args.root, args.interface, args.phc)
    except hw.DetectError as e:
        raise SetupError(str(e)) from e
    family = args.phc_type or hw.phc_family(det.iface, det.phc, board)
    if family is None:
        raise SetupError(f"{det.phc.device} ({det.phc.clock_name or 'unknown clock'}) behind "
                         f"{det.iface.name} (driver {det.iface.driver}) is neither the CM4/CM5 "
                         "PHY clock nor an Intel i210/i226: say which ptp4l config fits with "
                         "--phc-type")
    board_desc = model or "not a Raspberry Pi"
    plan = Plan()
    plan_boot(plan, tree, board, args)
    plan_gpsd(plan, tree, args)
    delay = phc0_delay(board, family, args)
    plan_chrony(plan, tree, args, delay)
    ptp_name, (ptp_domain, ptp_socket) = plan_ptp4l(plan, tree, family, args)
    plan_toml(plan, tree, det, family, board_desc, args, ptp_domain, ptp_socket,
              has_gpio_pps(board, args))
    for unit, package in UNITS + ((f"ptp4l@{det.iface.name}.service", "linuxptp"),):
        plan_enable(plan, tree, unit, package)
    if board == hw.BOARD_CM4 and args.bluetooth == "off":
        plan_disable(plan, tree, "hciuart.service")  # its UART is the receiver's now
    if len(det.all_phcs) > 1:
        plan.notes.append(f"{len(det.all_phcs)} PHCs found; using {det.phc.device}, the one "
                          f"behind {det.iface.name}")
    errors = plan.check_writable()
    if errors:
        raise SetupError("cannot write:\n  " + "\n  ".join(errors))
    summary = (f"{board_desc}; {det.phc.device} ({det.phc.clock_name or 'PHC'}) behind "
               f"{det.iface.name}; ptp4l config {ptp_name}; receiver "
               f"{RECEIVERS[args.receiver][0]} on {args.uart}, "
               + ("PPS on SYNC_OUT only" if args.no_gpio_pps else f"PPS on GPIO {args.gpio}")
               + f"; chronyd PHC0 delay {delay} (system clock bound ±{float(delay) / 2 * 1e6:g} us)")
    return plan, summary, board, det


def next_steps(board, det, args):
    steps = []
    if board in (hw.BOARD_CM4, hw.BOARD_CM5):
        pin = "J2 pin 9" if board == hw.BOARD_CM4 else "J2 pin 6 (silkscreen: 9)"
        steps.append(f"Wire the PPS to SYNC_OUT ({pin} on the IO board) and to GPIO "
                     f"{args.gpio}; check the PPS voltage suits both (see the user guide).")
        steps.append("Reboot: config.txt and cmdline.txt take effect at boot (sudo reboot).")
    else:
        steps.append("Restart the services: sudo systemctl restart gpsd chrony; "
                     f"sudo systemctl start phc-pps-sync gps-sock-bridge ptp4l@{det.iface.name}")
    steps.append("Then check: sudo nanotime-doctor (and chronyc sources, nanotime-status).")
    return steps


RECEIVER_OUTCOMES = {
    0: "configured (or nothing to change)",
    1: "partly configured or refused: see the report above",
    2: "not configured: [receiver] in nanotime.toml or the command line is wrong",
    3: "not configured: no u-blox timing receiver answered (is gpsd running, the receiver "
       "connected?)",
}


def find_program(name):
    """NANOTIME_BIN_DIR, next to this package's script, /usr/bin: the first executable `name`."""
    here = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    for d in (os.environ.get("NANOTIME_BIN_DIR", ""), here, "/usr/bin"):
        path = os.path.join(d, name) if d else ""
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def configure_receiver(args):
    """Runs nanotime-receiver configure on the [receiver] table setup just wrote; its report
    goes to our output. Returns our exit status for it."""
    program = find_program("nanotime-receiver")
    if program is None:
        print("nanotime-setup: receiver: nanotime-receiver not found (is the nanotime package "
              "installed?)", file=sys.stderr)
        return EXIT_ERROR
    cmd = [program, "-c", os.path.join(args.root, "etc/nanotime/nanotime.toml"),
           "--device", args.uart, "configure"] + (["--dry-run"] if args.dry_run else [])
    print("nanotime-setup: receiver: " + " ".join(cmd), flush=True)
    try:
        rc = subprocess.run(cmd, timeout=180).returncode
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"nanotime-setup: receiver: {e}", file=sys.stderr)
        return EXIT_ERROR
    outcome = RECEIVER_OUTCOMES.get(rc, f"nanotime-receiver failed (exit status {rc})")
    print(f"nanotime-setup: receiver: {outcome}")
    return EXIT_OK if rc == 0 else EXIT_ERROR


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    code = setup_system(args)
    if code == EXIT_OK and args.configure_receiver:
        code = configure_receiver(args)
    return code


def setup_system(args):
    try:
        plan, summary, board, det = build_plan(args)
    except (SetupError, EditError) as e:
        code = e.code if isinstance(e, SetupError) else EXIT_CONFIG
        print(f"nanotime-setup: error: {e}", file=sys.stderr)
        print("nanotime-setup: nothing was changed", file=sys.stderr)
        return code
    print(f"nanotime-setup: {summary}")
    for note in plan.notes:
        print(f"note: {note}")
    if plan.empty():
        print("nanotime-setup: nothing to change: the system is already set up")
        return EXIT_OK
    if args.dry_run:
        sys.stdout.write(plan.diff())
        print(f"nanotime-setup: dry run: {len(plan.changes)} change(s) shown above, nothing "
              "was changed")
        return EXIT_OK
    notes_before = list(plan.notes)
    try:
        plan.apply()
    except OSError as e:
        print(f"nanotime-setup: error: {e}; every change was undone", file=sys.stderr)
        return EXIT_ERROR
    if os.path.realpath(args.root) == "/" and os.path.isdir("/run/systemd/system"):
        # The ptp4l@ drop-in and the new links must be seen by the running systemd.
        r = subprocess.run(["systemctl", "daemon-reload"], capture_output=True, text=True)
        if r.returncode != 0:
            plan.notes.append(f"systemctl daemon-reload failed: {r.stderr.strip()}")
    backups = dict(plan.backups)
    for c in plan.changes:
        if hasattr(c, "target"):
            verb = "disabled" if c.remove else "enabled "
            print(f"{verb} {c.display} -> {c.target}")
        elif c.old is None:
            print(f"created  {c.display}")
        else:
            backup = backups.get(c.display, c.path)
            print(f"changed  {c.display} (backup: {c.display}{backup[len(c.path):]})")
    for note in plan.notes[len(notes_before):]:
        print(f"note: {note}")
    print("Next:")
    for i, step in enumerate(next_steps(board, det, args), 1):
        print(f"  {i}. {step}")
    return EXIT_OK
