"""nanotime-setup's chrony server lines: who may ask for time (--allow) and NTS (--nts).

They go into their own drop-in, /etc/chrony/conf.d/nanotime-server.conf, in two marked blocks
(textedit's "# BEGIN nanotime-setup allow" / "... nts"): the shipped nanotime.conf stays
byte-for-byte the package's (so setup can keep updating it), and a run with only --allow leaves
the NTS block alone and the other way round.

NTS (RFC 8915, chrony 4.3's NTS-KE server on TCP 4460): `ntsservercert`, `ntsserverkey` and
`ntsdumpdir` (where chronyd keeps its server keys over a restart, so clients' cookies stay
valid). The certificate and key are the user's (--nts-cert/--nts-key) or a self-signed pair made
with openssl (EC P-256, 825 days) in /etc/chrony/. A line chronyd cannot parse stops it from
starting; a certificate it cannot load (chrony 4.3 logs "Could not set credentials") leaves it
running without NTS, silently for the clients. So everything is checked before anything is
written: both readable, both PEM, the key is
the certificate's, the certificate not expired, the key readable by _chrony (chronyd reads it
after dropping root), and the new drop-in parsed by `chronyd -p -f`.
"""

import ipaddress
import os
import socket
import subprocess
import tempfile

from .chrony_user import can_read, passwd_ids
from .textedit import set_block

SERVER_DROPIN = "etc/chrony/conf.d/nanotime-server.conf"
NTS_CERT = "etc/chrony/nanotime-nts.crt"
NTS_KEY = "etc/chrony/nanotime-nts.key"
NTS_DUMPDIR = "/var/lib/chrony"
SELF_SIGNED_DAYS = 825
HEADER = [
    "# nanotime: chrony server settings written by nanotime-setup (--allow, --nts).",
    "# Each block is replaced by the next run that sets it; lines outside the blocks are yours.",
]


class ServerError(Exception):
    """A bad --allow/--nts argument or certificate: nothing may be written."""


# -- --allow ----------------------------------------------------------------------------------
def parse_allow(values):
    """The networks of --allow, validated: CIDRs or single addresses, IPv4 or IPv6."""
    nets = []
    for v in values:
        try:
            net = ipaddress.ip_network(v, strict=True)
        except ValueError as e:
            try:
                loose = ipaddress.ip_network(v, strict=False)
                hint = f" (did you mean {loose}?)"
            except ValueError:
                hint = " (want a network like 192.168.1.0/24 or 2001:db8::/64, or an address)"
            raise ServerError(f"--allow {v}: {e}{hint}") from e
        if net not in nets:
            nets.append(net)
    return nets


def allow_lines(nets):
    return ["# Clients that may ask this server for time (chronyd answers nobody else)."] + [
        f"allow {n}" for n in nets]


# -- certificates -----------------------------------------------------------------------------
def run_openssl(args, what, stdin=None):
    try:
        r = subprocess.run(["openssl", *args], input=stdin, capture_output=True, timeout=60)
    except FileNotFoundError as e:
        raise ServerError("openssl is not installed (apt install openssl): needed for --nts") from e
    except subprocess.TimeoutExpired as e:
        raise ServerError(f"openssl did not finish ({what})") from e
    if r.returncode != 0:
        err = r.stderr.decode(errors="replace").strip().splitlines()
        raise ServerError(f"{what}: {err[-1] if err else f'openssl exit status {r.returncode}'}")
    return r.stdout


def read_file(path, what):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise ServerError(f"{what} {path}: {e.strerror or e}") from e


def check_pair(cert_pem, key_pem, cert_name, key_name):
    """ServerError unless cert_pem is a PEM certificate valid now and key_pem its private key."""
    if b"-----BEGIN CERTIFICATE-----" not in cert_pem:
        raise ServerError(f"{cert_name}: not a PEM certificate")
    cert_pub = run_openssl(["x509", "-noout", "-pubkey"], f"{cert_name}: not a readable "
                           "certificate", cert_pem)
    key_pub = run_openssl(["pkey", "-pubout"], f"{key_name}: not a readable private key "
                          "(PEM, unencrypted)", key_pem)
    if cert_pub.strip() != key_pub.strip():
        raise ServerError(f"{key_name} is not the private key of {cert_name}")
    try:
        run_openssl(["x509", "-noout", "-checkend", "0"], "", cert_pem)
    except ServerError as e:
        end = run_openssl(["x509", "-noout", "-enddate"], cert_name, cert_pem).decode().strip()
        raise ServerError(f"{cert_name} has expired ({end})") from e


def make_self_signed(hostname):
    """(cert_pem, key_pem): a self-signed EC certificate for `hostname` (openssl)."""
    with tempfile.TemporaryDirectory(prefix="nanotime-nts-") as d:
        key, cert = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
        run_openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                     "-nodes", "-keyout", key, "-out", cert, "-days", str(SELF_SIGNED_DAYS),
                     "-subj", f"/CN={hostname}", "-addext", f"subjectAltName=DNS:{hostname}"],
                    "making a self-signed certificate")
        return read_file(cert, "certificate"), read_file(key, "key")


def group_id(tree, name):
    """gid of `name` in the target's /etc/group, None when it has no such group."""
    text = tree.read_text("etc/group") or ""
    for line in text.splitlines():
        f = line.split(":")
        if len(f) >= 3 and f[0] == name and f[2].isdigit():
            return int(f[2])
    return None


# -- the plan -----------------------------------------------------------------------------------
class NtsFiles:
    """What --nts needs written besides the drop-in (a generated pair), and the key to chgrp."""

    def __init__(self):
        self.writes = []      # (rel, bytes, mode)
        self.chgrp_key = None  # (real path, gid) after apply


def user_pair(tree, args, notes):
    """Checks --nts-cert/--nts-key (paths on the target system)."""
    cert_path, key_path = tree.path(args.nts_cert), tree.path(args.nts_key)
    cert = read_file(cert_path, "--nts-cert: cannot read")
    key = read_file(key_path, "--nts-key: cannot read")
    check_pair(cert, key, args.nts_cert, args.nts_key)
    ids = passwd_ids(tree.read_text("etc/passwd") or "")
    if ids is None:
        notes.append("no _chrony user on this system: could not check that chronyd may read "
                     f"{args.nts_key}")
        return
    for path, shown in ((cert_path, args.nts_cert), (key_path, args.nts_key)):
        if not can_read(os.stat(path), ids):
            raise ServerError(f"{shown} is not readable by _chrony, and chronyd reads it after "
                              f"dropping root: chgrp _chrony {shown}; chmod 640 {shown}")


def generated_pair(tree, files, notes):
    """Reuses a valid pair from an earlier run (a rerun changes nothing); else makes one."""
    old_cert, old_key = tree.read_bytes(NTS_CERT), tree.read_bytes(NTS_KEY)
    if old_cert is not None and old_key is not None:
        try:
            check_pair(old_cert, old_key, "/" + NTS_CERT, "/" + NTS_KEY)
            return
        except ServerError as e:
            notes.append(f"making a new self-signed certificate: {e}")
    cert, key = make_self_signed(socket.getfqdn() or "nanotime")
    files.writes += [(NTS_KEY, key, 0o640), (NTS_CERT, cert, 0o644)]
    files.chgrp_key = (tree.path(NTS_KEY), group_id(tree, "_chrony"))
    notes.append(f"NTS: self-signed certificate /{NTS_CERT} (valid {SELF_SIGNED_DAYS} days): "
                 "clients must be given it as trusted (chrony: ntstrustedcerts)")


def nts_lines(args):
    cert = args.nts_cert or "/" + NTS_CERT
    key = args.nts_key or "/" + NTS_KEY
    return ["# NTS (RFC 8915): authenticated time for clients with `server ... nts`; NTS-KE on "
            "TCP 4460.",
            f"ntsservercert {cert}", f"ntsserverkey {key}", f"ntsdumpdir {NTS_DUMPDIR}"]


def chronyd_parses(text):
    """ServerError unless `chronyd -p -f` accepts the drop-in (it parses; it starts nothing)."""
    with tempfile.NamedTemporaryFile("w", suffix=".conf", prefix="nanotime-check-") as f:
        f.write(text)
        f.flush()
        try:
            r = subprocess.run(["chronyd", "-p", "-f", f.name], capture_output=True, text=True,
                               timeout=30)
        except FileNotFoundError as e:
            raise ServerError("chronyd is not installed (apt install chrony)") from e
        except subprocess.TimeoutExpired as e:
            raise ServerError("chronyd -p did not finish") from e
    if r.returncode != 0:
        err = (r.stderr.strip() or r.stdout.strip() or "").replace(f.name, "the new drop-in")
        raise ServerError(f"chronyd rejects the new lines: {err}")


def plan_server(plan, tree, args):
    """Plans nanotime-server.conf (and a generated pair) for --allow/--nts; returns NtsFiles or
    None when neither was given. Raises ServerError before anything is planned on bad input."""
    if not args.allow and not args.nts:
        if args.nts_cert or args.nts_key:
            raise ServerError("--nts-cert/--nts-key need --nts")
        return None
    if bool(args.nts_cert) != bool(args.nts_key):
        raise ServerError("--nts-cert and --nts-key go together (or neither: a self-signed pair)")
    old = tree.read_text(SERVER_DROPIN)
    text = old if old is not None else "\n".join(HEADER) + "\n"
    shown = "/" + SERVER_DROPIN
    if args.allow:
        text = set_block(text, allow_lines(parse_allow(args.allow)), tag="allow", path=shown)
    files = NtsFiles()
    if args.nts:
        if args.nts_cert:
            user_pair(tree, args, plan.notes)
        else:
            generated_pair(tree, files, plan.notes)
        text = set_block(text, nts_lines(args), tag="nts", path=shown)
    chronyd_parses(text)
    for rel, data, mode in files.writes:
        plan.write(tree.path(rel), "/" + rel, data, tree.read_bytes(rel), mode=mode)
    plan.write(tree.path(SERVER_DROPIN), shown, text, old.encode() if old is not None else None)
    return files


def after_apply(files):
    """The generated key: root:_chrony 0640, so chronyd can read it after dropping root."""
    if files is None or files.chgrp_key is None:
        return None
    path, gid = files.chgrp_key
    try:
        os.chmod(path, 0o640)
        if gid is not None:
            os.chown(path, 0, gid)
    except OSError as e:
        return f"could not give {path} to group _chrony ({e.strerror}): chronyd cannot load it (no NTS)"
    return None
