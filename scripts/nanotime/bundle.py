"""nanotime doctor --bundle: one archive for a bug report (docs/recording.md#bug-report).

It holds the doctor's findings, a short field recording (`nanotime record`), the
configuration (nanotime, chrony, gpsd, linuxptp), the programs' versions and the recent logs
of the daemons -- and nothing secret: chrony's NTS server keys and key files are never copied,
settings that name keys, secrets or passwords are redacted, and the host's names are replaced
by "<hostname>" unless --keep-hostnames. MANIFEST.json lists what is included, what was
redacted or left out, and what could not be had (and why).

Every outside input goes through the doctor's Env (commands by key, files under --root), so
the tests run it on fixtures; the recording is made by the nanotime-record program found like
the daemons (find_program: $NANOTIME_BIN_DIR first).
"""

import io
import json
import os
import re
import socket
import subprocess
import tarfile
import tempfile
import time

EX_IOERR = 74
HOST_MARK = "<hostname>"
UNITS = ("phc-pps-sync", "gps-sock-bridge", "chrony", "gpsd", "ptp4l")
LOG_WINDOW_S = 3600  # the logs of the last hour
RECORD_GRACE_S = 30  # nanotime-record's own start and stop, beyond the duration

# Configuration files copied (relative to --root), and directories whose *.conf/*.toml are.
CONFIG_FILES = ("etc/nanotime/nanotime.toml", "etc/chrony/chrony.conf", "etc/default/gpsd",
                "etc/linuxptp/ptp4l.conf", "etc/hostname")
CONFIG_DIRS = ("etc/nanotime", "etc/chrony/conf.d", "etc/chrony/sources.d", "etc/linuxptp")
CONFIG_SUFFIXES = (".toml", ".conf", ".cfg", ".sources")
# A file with one of these names is never copied, whatever it is (chrony's keyfile, NTS keys).
SECRET_FILE = re.compile(r"(\.keys?$|\.pem$|(^|[._-])key([._-]|$)|secret|password)", re.I)
# chrony directives whose argument is a key (or names one): the argument is redacted.
CHRONY_SECRET = re.compile(r"^(\s*)(ntsserverkey|keyfile)\b.*$",
                           re.I | re.M)
# TOML/INI settings naming keys, secrets, passwords, tokens: the value is redacted.
SETTING_SECRET = re.compile(
    r"^(\s*[A-Za-z0-9_.-]*(key|secret|password|passwd|token)[A-Za-z0-9_.-]*\s*=\s*)(.+)$",
    re.I | re.M)

VERSIONS = (  # (command key, argv)
    ("version-phc-pps-sync", ["phc-pps-sync", "--version"]),
    ("version-gps-sock-bridge", ["gps-sock-bridge", "--version"]),
    ("version-chronyd", ["chronyd", "--version"]),
    ("version-gpsd", ["gpsd", "-V"]),
    ("version-ptp4l", ["ptp4l", "-v"]),
    ("version-kernel", ["uname", "-srvm"]),
    ("version-dpkg", ["dpkg-query", "-W", "nanotime", "chrony", "gpsd", "linuxptp"]),
)


def add_arguments(p):
    """The --bundle options, on the doctor's parser."""
    g = p.add_argument_group("bug-report bundle (docs/recording.md#bug-report)")
    g.add_argument("--bundle", action="store_true",
                   help="after the checks, gather findings, a short recording, the "
                        "configuration, versions and recent logs into one tar.gz")
    g.add_argument("--output", metavar="FILE",
                   help="the archive (default nanotime-bundle-<UTC>.tar.gz here)")
    g.add_argument("--duration", default="60s", metavar="D",
                   help="length of the recording: 20s, 2m, 1h (default 60s; 0: none)")
    g.add_argument("--keep-hostnames", action="store_true",
                   help="leave the host's names in (default: replaced by <hostname>)")


def parse_duration(text):
    """'60s', '2m', '1h', '90' -> seconds (0 allowed: no recording); ValueError otherwise."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text or "")
    if not m:
        raise ValueError(f"{text!r}: expected a number with an optional unit s, m or h")
    value = float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]
    if value > 86400:
        raise ValueError(f"{text!r}: at most a day (a bug report needs a minute or so)")
    return value


class Bundle:
    """The archive's members, in memory, and what the manifest says about them."""

    def __init__(self, root, keep_hostnames, hostnames):
        self.root = root
        self.keep = keep_hostnames
        self.hostnames = sorted({h for h in hostnames if h and len(h) > 1}, key=len, reverse=True)
        self.members = {}  # name -> bytes
        self.manifest = {"included": [], "redacted": [], "excluded": [], "unavailable": []}

    def scrub(self, text, name):
        if self.keep or not self.hostnames:
            return text
        out = text
        for h in self.hostnames:
            out = re.sub(rf"(?<![A-Za-z0-9-]){re.escape(h)}(?![A-Za-z0-9-])", HOST_MARK, out)
        if out != text:
            self.redacted(name, "host names replaced by " + HOST_MARK)
        return out

    def redacted(self, name, what):
        entry = {"file": name, "what": what}
        if entry not in self.manifest["redacted"]:
            self.manifest["redacted"].append(entry)

    def add_text(self, name, text, what):
        self.add_bytes(name, self.scrub(text, name).encode("utf-8"), what)

    def add_bytes(self, name, data, what):
        self.members[name] = data
        self.manifest["included"].append({"file": name, "what": what, "bytes": len(data)})

    def unavailable(self, what, why):
        self.manifest["unavailable"].append({"what": what, "why": why})

    def excluded(self, path, why):
        self.manifest["excluded"].append({"path": path, "why": why})


def redact_config(text, name, bundle):
    """The file's text with key material redacted (recorded in the manifest)."""
    def chrony(m):
        bundle.redacted(name, f"chrony '{m.group(2)}' argument")
        return f"{m.group(1)}{m.group(2)} <redacted>"

    def setting(m):
        bundle.redacted(name, f"setting '{m.group(1).split('=')[0].strip()}' value")
        return f"{m.group(1)}\"<redacted>\""
    text = CHRONY_SECRET.sub(chrony, text)
    if name.endswith((".toml", "gpsd")) or "/nanotime/" in name:
        text = SETTING_SECRET.sub(setting, text)
    return text


def config_paths(root):
    seen = []
    for rel in CONFIG_FILES:
        if os.path.isfile(os.path.join(root, rel)):
            seen.append(rel)
    for rel in CONFIG_DIRS:
        d = os.path.join(root, rel)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            p = os.path.join(rel, name)
            if p not in seen and os.path.isfile(os.path.join(root, p)):
                seen.append(p)
    return seen


def gather_config(bundle):
    for rel in config_paths(bundle.root):
        shown = "/" + rel
        base = os.path.basename(rel)
        if SECRET_FILE.search(base):
            bundle.excluded(shown, "may hold key material (never copied)")
            continue
        if not base.endswith(CONFIG_SUFFIXES) and rel not in CONFIG_FILES:
            bundle.excluded(shown, "not a configuration file")
            continue
        try:
            with open(os.path.join(bundle.root, rel), encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError as e:
            bundle.unavailable(shown, str(e))
            continue
        name = "config/" + rel[len("etc/"):] if rel.startswith("etc/") else "config/" + rel
        bundle.add_text(name, redact_config(text, name, bundle), f"configuration {shown}")


def gather_versions(bundle, env):
    lines = []
    for key, argv in VERSIONS:
        rc, out, err = env.run(key, argv)
        if rc is None:
            lines.append(f"{argv[0]}: not installed")
            continue
        text = (out or err).strip().splitlines()
        lines.append(f"{' '.join(argv)}: {text[0] if text else f'exit status {rc}'}"
                     if len(text) <= 1 else f"{' '.join(argv)}:\n  " + "\n  ".join(text))
    bundle.add_text("versions.txt", "\n".join(lines) + "\n", "programs' versions")


def gather_logs(bundle, env):
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(env.now() - LOG_WINDOW_S))
    argv = ["journalctl", "--utc", "--no-pager", "-o", "short-iso-precise", "--since",
            since + " UTC"]
    for u in UNITS:
        argv += ["-u", u]
    rc, out, err = env.run("journalctl", argv, timeout_s=30)
    if rc is None:
        bundle.unavailable("logs", "journalctl not installed (no systemd journal)")
    elif rc != 0 and not out:
        bundle.unavailable("logs", f"journalctl: {err.strip() or f'exit status {rc}'}")
    else:
        bundle.add_text("logs/journal.txt", out, f"journal of {', '.join(UNITS)} since {since} UTC")


def gather_recording(bundle, duration_s, find_program):
    if duration_s <= 0:
        bundle.unavailable("recording", "--duration 0")
        return
    exe = find_program("nanotime-record")
    sibling = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                           "nanotime-record")
    if exe is None and os.access(sibling, os.X_OK):
        exe = sibling  # the source tree: scripts/nanotime-record next to scripts/nanotime/
    if exe is None:
        bundle.unavailable("recording", "nanotime-record not found")
        return
    with tempfile.TemporaryDirectory(prefix="nanotime-bundle-") as d:
        out = os.path.join(d, "recording.ntrec")
        try:
            r = subprocess.run([exe, "--duration", f"{duration_s:g}s", "--output", out],
                               capture_output=True, text=True, timeout=duration_s + RECORD_GRACE_S)
        except (OSError, subprocess.TimeoutExpired) as e:
            bundle.unavailable("recording", f"nanotime record: {e}")
            return
        if r.returncode != 0 or not os.path.isfile(out):
            why = (r.stderr.strip().splitlines() or [f"exit status {r.returncode}"])[-1]
            bundle.unavailable("recording", why)
            return
        with open(out, "rb") as f:
            data = f.read()
    # The recording's header holds the configuration (as the daemon printed it): binary, so
    # host names in it are not replaced; the manifest says so.
    bundle.add_bytes("recording.ntrec", data, f"field recording, {duration_s:g} s "
                     "(docs/recording.md; its header holds the effective configuration)")


def host_names(root, env):
    names = set()
    try:
        with open(os.path.join(root, "etc", "hostname")) as f:
            names.add(f.read().strip())
    except OSError:
        pass
    if os.path.abspath(root) == "/":
        names.add(socket.gethostname())
        try:
            names.add(socket.getfqdn())
        except OSError:
            pass
    names |= {n.split(".")[0] for n in names if n}
    names.discard("localhost")
    return names


def write(args, env, results, verdict, code, find_program, out):
    """Builds and writes the archive. Returns the exit status: the doctor's, or EX_IOERR."""
    try:
        duration_s = parse_duration(args.duration)
    except ValueError as e:
        print(f"nanotime-doctor: --duration {e}", file=out)
        return 64
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(env.now()))
    top = f"nanotime-bundle-{stamp}"
    path = args.output or f"{top}.tar.gz"
    b = Bundle(args.root, args.keep_hostnames, host_names(args.root, env))
    b.add_text("doctor.json", json.dumps({"verdict": verdict, "exit": code,
                                          "checks": [r.as_dict() for r in results]}, indent=2)
               + "\n", "nanotime-doctor's findings")
    gather_config(b)
    gather_versions(b, env)
    gather_logs(b, env)
    gather_recording(b, duration_s, find_program)
    b.manifest.update({"created_utc": stamp, "hostnames": "kept" if b.keep else "replaced by "
                       + HOST_MARK + " (not inside recording.ntrec, which is binary)"})
    manifest = json.dumps(b.manifest, indent=2) + "\n"
    try:
        with tarfile.open(path, "w:gz") as tar:
            for name, data in [("MANIFEST.json", manifest.encode())] + sorted(b.members.items()):
                info = tarfile.TarInfo(f"{top}/{name}")
                info.size = len(data)
                info.mtime = int(env.now())
                info.mode = 0o600
                tar.addfile(info, io.BytesIO(data))
        os.chmod(path, 0o600)
    except OSError as e:
        print(f"nanotime-doctor: cannot write the bundle {path}: {e}", file=out)
        return EX_IOERR
    print(f"bundle: {path} ({len(b.members)} files; {len(b.manifest['redacted'])} redactions, "
          f"{len(b.manifest['excluded'])} left out, {len(b.manifest['unavailable'])} "
          f"unavailable: see MANIFEST.json)", file=out)
    return code
