"""nanotime-doctor's NTS check: chronyd's NTS server certificates (ntsservercert/ntsserverkey in
chrony.conf and conf.d/*.conf, as nanotime-setup --nts writes them) -- readable, not expired
(WARN under 30 days), and readable by _chrony, which loads them after dropping root: when it
cannot, chronyd 4.3 logs "Could not set credentials" and serves no NTS. The expiry date comes from `openssl x509 -enddate`.
"""

import glob
import os
import ssl
import subprocess

from .chrony_user import can_read, passwd_ids

WARN_DAYS = 30
DAY_S = 86400
CONF_FILES = ("etc/chrony/chrony.conf", "etc/chrony/conf.d/*.conf")


def under(root, path):
    return os.path.join(root, path.lstrip("/"))


def nts_files(root):
    """[(directive, path)] of every ntsservercert/ntsserverkey line chronyd would read."""
    out = []
    for pattern in CONF_FILES:
        for conf in sorted(glob.glob(under(root, pattern))):
            try:
                with open(conf, errors="replace") as f:
                    lines = f.read().splitlines()
            except OSError:
                continue
            for line in lines:
                w = line.split()
                if len(w) >= 2 and w[0] in ("ntsservercert", "ntsserverkey"):
                    out.append((w[0], w[1]))
    return out


def chrony_ids(root):
    try:
        with open(under(root, "etc/passwd"), errors="replace") as f:
            return passwd_ids(f.read())
    except OSError:
        return None


def not_after(path):
    """Unix time the certificate expires; ValueError with the reason when it cannot be read."""
    try:
        r = subprocess.run(["openssl", "x509", "-in", path, "-noout", "-enddate"],
                           capture_output=True, text=True, timeout=30)
    except FileNotFoundError as e:
        raise ValueError("openssl not installed (apt install openssl)") from e
    if r.returncode != 0 or not r.stdout.startswith("notAfter="):
        raise ValueError("not a readable PEM certificate")
    return ssl.cert_time_to_seconds(r.stdout.strip().split("=", 1)[1])


def check(root, now, asked):
    """(verdict, message, hint), or None when NTS is not configured and the check was not
    asked for by name."""
    files = nts_files(root)
    if not files:
        return ("OK", "NTS not configured", "") if asked else None
    ids = chrony_ids(root)
    problems, warnings, seen = [], [], []
    for directive, path in files:
        real = under(root, path)
        try:
            st = os.stat(real)
        except OSError as e:
            problems.append(f"{path}: {e.strerror}")
            continue
        if ids is not None and not can_read(st, ids):
            problems.append(f"{path} not readable by _chrony")
        if directive != "ntsservercert":
            continue
        try:
            days = (not_after(real) - now) / DAY_S
        except ValueError as e:
            problems.append(f"{path}: {e}")
            continue
        if days < 0:
            problems.append(f"{path} expired {-days:.0f} days ago")
        elif days < WARN_DAYS:
            warnings.append(f"{path} expires in {days:.0f} days")
        else:
            seen.append(f"{path} valid {days:.0f} more days")
    hint = ("renew the certificate (nanotime-setup --nts makes a self-signed one, or give "
            "--nts-cert/--nts-key), keep the key root:_chrony 0640, systemctl restart chrony")
    if problems:
        return "FAIL", "; ".join(problems + warnings), hint
    if warnings:
        return "WARN", "; ".join(warnings), hint
    return "OK", "NTS certificate " + "; ".join(seen), ""
