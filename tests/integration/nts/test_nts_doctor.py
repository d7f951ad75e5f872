"""nanotime-doctor's nts check against a root with chrony's NTS lines (as nanotime-setup --nts
writes them) and a real certificate (openssl, 90 days), at chosen times (--now):
  not configured: no line without --check nts; "NTS not configured" with it;
  valid for 80 more days: OK; 10 days left: WARN; 1 day past notAfter: FAIL;
  key 0600 root:root while chronyd runs as _chrony: FAIL naming _chrony; root:_chrony 0640: OK;
  a certificate path that does not exist: FAIL.
"""

import os
import shutil
import ssl
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
DOCTOR = os.path.join(SOURCE, "scripts", "nanotime-doctor")
CHRONY_UID = 4242  # _chrony in the test root's /etc/passwd


def check(cond, what):
    if not cond:
        raise AssertionError(f"FAILED: {what}")
    print(f"ok: {what}", flush=True)


def doctor(root, now, *args):
    r = subprocess.run([sys.executable, "-B", DOCTOR, "--root", root, "--now", str(now), *args],
                       capture_output=True, text=True, timeout=60)
    print(f"$ nanotime-doctor {' '.join(args)} (now {now:.0f}) -> {r.returncode}\n{r.stdout}",
          flush=True)
    return r


def nts_line(r):
    return next((l for l in r.stdout.splitlines() if l[5:].startswith("nts ")), None)


def main():
    root = tempfile.mkdtemp(prefix="nanotime-nts-doctor-")
    try:
        os.makedirs(os.path.join(root, "etc/chrony/conf.d"))
        with open(os.path.join(root, "etc/passwd"), "w") as f:
            f.write(f"root:x:0:0:root:/root:/bin/sh\n_chrony:x:{CHRONY_UID}:{CHRONY_UID}::/var/lib/chrony:/usr/sbin/nologin\n")
        cert, key = (os.path.join(root, "etc/chrony", n) for n in ("nts.crt", "nts.key"))
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "90", "-subj", "/CN=test"], check=True, capture_output=True,
                       timeout=60)
        end = subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-enddate"], check=True,
                             capture_output=True, text=True).stdout.strip().split("=", 1)[1]
        not_after = ssl.cert_time_to_seconds(end)
        day = 86400

        r = doctor(root, not_after - 80 * day, "--check", "chrony", "--check", "nts")
        check(nts_line(r) is not None and "NTS not configured" in nts_line(r),
              "no NTS lines, asked by name: 'NTS not configured'")
        r = doctor(root, not_after - 80 * day, "--check", "leap")
        check(nts_line(r) is None, "no NTS lines, not asked: no nts line at all")

        with open(os.path.join(root, "etc/chrony/conf.d/nanotime-server.conf"), "w") as f:
            f.write("ntsservercert /etc/chrony/nts.crt\nntsserverkey /etc/chrony/nts.key\n")
        os.chown(cert, 0, CHRONY_UID)
        os.chmod(cert, 0o644)
        os.chown(key, 0, CHRONY_UID)
        os.chmod(key, 0o640)
        r = doctor(root, not_after - 80 * day, "--check", "nts")
        check(nts_line(r).startswith("OK") and "valid 80 more days" in nts_line(r) and r.returncode == 0,
              "80 days left: OK")
        r = doctor(root, not_after - 10 * day, "--check", "nts")
        check(nts_line(r).startswith("WARN") and "expires in 10 days" in nts_line(r)
              and r.returncode == 1, "10 days left: WARN, exit 1")
        r = doctor(root, not_after + day, "--check", "nts")
        check(nts_line(r).startswith("FAIL") and "expired 1 days ago" in nts_line(r)
              and r.returncode == 2, "expired: FAIL, exit 2")

        os.chown(key, 0, 0)
        os.chmod(key, 0o600)
        r = doctor(root, not_after - 80 * day, "--check", "nts")
        check(nts_line(r).startswith("FAIL") and "nts.key not readable by _chrony" in nts_line(r),
              "key root:root 0600: FAIL, not readable by _chrony")

        os.unlink(cert)
        r = doctor(root, not_after - 80 * day, "--check", "nts")
        check(nts_line(r).startswith("FAIL") and "No such file" in nts_line(r),
              "certificate missing: FAIL")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
