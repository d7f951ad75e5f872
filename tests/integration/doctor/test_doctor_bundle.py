"""nanotime-doctor --bundle on the healthy fixtures (tests/fixtures/doctor), with secrets and a
host name planted in the configuration and the logs.

Proves:
  - the archive holds MANIFEST.json, the doctor's findings (doctor.json, the same verdicts as
    the checks), the configuration (nanotime, chrony and its conf.d), versions.txt, the
    journal and the recording nanotime-record wrote (a stub here: byte for byte, asked with
    the --duration given);
  - nothing secret is in it: the NTS server key file and chrony's key file are not copied (the
    manifest lists them as left out), the ntsserverkey/keyfile arguments and a *_token setting
    are redacted (the manifest says where), the planted key bytes appear in no member;
  - the host name (etc/hostname) is replaced by <hostname> everywhere, and kept with
    --keep-hostnames;
  - when no recording can be made, the archive is still written and the manifest says why;
  - a bad --duration is a usage error (64), an unwritable --output is EX_IOERR (74).
"""

import gzip
import json
import os
import shutil
import stat
import sys
import tarfile
import tempfile

from doctorhelpers import BIN, Scenario, check

HOST = "tp-box-417"
NTS_KEY = "PLANTED-NTS-SERVER-KEY-c0ffee"
CHRONY_KEY = "PLANTED-CHRONY-KEYFILE-SECRET-1234"
TOKEN = "PLANTED-API-TOKEN-beef"
RECORDING = b"NTREC\r\n\x1a" + b"\x01\x00\x00\x00" + b"stub recording bytes" * 10

STUB = """#!/usr/bin/python3
import sys
args = sys.argv[1:]
with open({log!r}, "a") as f:
    f.write(" ".join(args) + "\\n")
if {fail!r}:
    print("nanotime record: cannot ask phc-pps-sync at /run/nanotime/phc-pps-sync.record.sock: "
          "[Errno 2] No such file or directory (is it running, and are you root?)", file=sys.stderr)
    sys.exit(69)
with open(args[args.index("--output") + 1], "wb") as f:
    f.write({data!r})
print(args[args.index("--output") + 1])
"""


def plant(s):
    etc = os.path.join(s.root, "etc")
    with open(os.path.join(etc, "hostname"), "w") as f:
        f.write(HOST + "\n")
    with open(os.path.join(etc, "chrony", "chrony.conf"), "w") as f:
        f.write("confdir /etc/chrony/conf.d\nkeyfile /etc/chrony/chrony.keys\n"
                f"server ntp.{HOST}.lan iburst\n")
    with open(os.path.join(etc, "chrony", "chrony.keys"), "w") as f:
        f.write(f"1 SHA256 HEX:{CHRONY_KEY}\n")
    with open(os.path.join(etc, "chrony", "conf.d", "nts.conf"), "w") as f:
        f.write("ntsserverkey /etc/chrony/conf.d/nts.key\n"
                "ntsservercert /etc/chrony/conf.d/nts.crt\n")
    with open(os.path.join(etc, "chrony", "conf.d", "nts.key"), "w") as f:
        f.write(f"-----BEGIN PRIVATE KEY-----\n{NTS_KEY}\n-----END PRIVATE KEY-----\n")
    with open(os.path.join(etc, "nanotime", "local.toml"), "w") as f:
        f.write(f'[upload]\napi_token = "{TOKEN}"\nurl = "https://{HOST}/x"\n')
    cmds = os.path.join(s.dir, "commands")
    with open(os.path.join(cmds, "journalctl.out"), "w") as f:
        f.write(f"2026-02-02T02:39:01.000000+00:00 {HOST} phc-pps-sync[812]: tracking, "
                "clockClass 6\n"
                f"2026-02-02T02:39:02.000000+00:00 {HOST}.lan chronyd[640]: Selected source PHC0\n")
    with open(os.path.join(cmds, "version-phc-pps-sync.out"), "w") as f:
        f.write("phc-pps-sync 0.1.0\n")
    with open(os.path.join(cmds, "version-chronyd.out"), "w") as f:
        f.write("chronyd (chrony) version 4.3 (+CMDMON +NTP +REFCLOCK +RTC +NTS)\n")


def stub_bin(tmp, fail=False):
    """A bin dir: the built daemons (for the doctor's --print-config) and a nanotime-record stub."""
    d = os.path.join(tmp, "bin-fail" if fail else "bin")
    os.makedirs(d)
    for prog in ("phc-pps-sync", "gps-sock-bridge"):
        if os.path.exists(os.path.join(BIN, prog)):
            os.symlink(os.path.join(BIN, prog), os.path.join(d, prog))
    log = os.path.join(d, "record.log")
    stub = os.path.join(d, "nanotime-record")
    with open(stub, "w") as f:
        f.write(STUB.format(log=log, fail=fail, data=RECORDING))
    os.chmod(stub, stat.S_IRWXU)
    return d, log


def members(path):
    with tarfile.open(path, "r:gz") as tar:
        out = {}
        for m in tar.getmembers():
            check(m.isfile(), f"{m.name} is a plain file")
            out[m.name.split("/", 1)[1]] = tar.extractfile(m).read()
        tops = {m.name.split("/", 1)[0] for m in tar.getmembers()}
    check(len(tops) == 1 and next(iter(tops)).startswith("nanotime-bundle-"),
          f"one top directory nanotime-bundle-<UTC>: {tops}")
    return out


def main():
    tmp = tempfile.mkdtemp(prefix="nanotime-bundle-test-")
    try:
        return run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(tmp):
    bindir, log = stub_bin(tmp)
    with Scenario("healthy") as s:
        plant(s)
        out = os.path.join(tmp, "report.tar.gz")
        r = s.doctor("--json", "--bundle", "--output", out, "--duration", "3s",
                     env={"NANOTIME_BIN_DIR": bindir})
        print(r.stderr)
        check(r.returncode == json.loads(r.stdout)["exit"], f"exit is the doctor's verdict ({r.returncode})")
        check(f"bundle: {out}" in r.stderr, "the archive's path is printed")
        check(stat.S_IMODE(os.stat(out).st_mode) == 0o600, "the archive is mode 0600")
        m = members(out)
        for name in ("MANIFEST.json", "doctor.json", "config/nanotime/nanotime.toml",
                     "config/nanotime/local.toml", "config/chrony/chrony.conf",
                     "config/chrony/conf.d/nanotime.conf", "config/chrony/conf.d/nts.conf",
                     "versions.txt", "logs/journal.txt", "recording.ntrec"):
            check(name in m, f"{name} in the archive")
        check(m["recording.ntrec"] == RECORDING, "the recording is nanotime-record's file, whole")
        with open(log) as f:
            check(f.read().startswith("--duration 3s --output "),
                  "nanotime-record asked for the --duration given")
        doc = json.loads(m["doctor.json"])
        stdout_doc = json.loads(r.stdout)
        check([c["verdict"] for c in doc["checks"]] == [c["verdict"] for c in stdout_doc["checks"]],
              "doctor.json holds the same findings as the run")
        check("phc-pps-sync 0.1.0" in m["versions.txt"].decode(), "versions.txt has the daemon's version")
        check("chronyd (chrony) version 4.3" in m["versions.txt"].decode(), "and chronyd's")

        every = b"".join(m.values())
        for secret in (NTS_KEY, CHRONY_KEY, TOKEN):
            check(secret.encode() not in every, f"planted secret {secret} is in no member")
        with open(out, "rb") as f:
            raw = gzip.decompress(f.read())
        check(all(x.encode() not in raw for x in (NTS_KEY, CHRONY_KEY, TOKEN)),
              "nor anywhere in the uncompressed archive")
        check("config/chrony/conf.d/nts.key" not in m and "config/chrony/chrony.keys" not in m,
              "key files are not copied")
        manifest = json.loads(m["MANIFEST.json"])
        excluded = {e["path"] for e in manifest["excluded"]}
        check("/etc/chrony/conf.d/nts.key" in excluded, "the manifest lists the NTS key as left out")
        red = manifest["redacted"]
        check({"file": "config/chrony/conf.d/nts.conf", "what": "chrony 'ntsserverkey' argument"} in red,
              "the manifest names the ntsserverkey redaction")
        check({"file": "config/chrony/chrony.conf", "what": "chrony 'keyfile' argument"} in red,
              "and the keyfile one")
        check(any(e["file"] == "config/nanotime/local.toml" and "api_token" in e["what"] for e in red),
              "and the token setting's")
        check(b"ntsserverkey <redacted>" in m["config/chrony/conf.d/nts.conf"],
              "the directive stays, its argument redacted")
        included = {e["file"] for e in manifest["included"]}
        check(included == set(m) - {"MANIFEST.json"}, "the manifest lists every member")

        check(HOST.encode() not in every, f"the host name {HOST} is in no member")
        journal = m["logs/journal.txt"].decode()
        check("<hostname> phc-pps-sync[812]" in journal and "<hostname>.lan chronyd" in journal,
              "the journal's host names are replaced")
        check(b"ntp.<hostname>.lan" in m["config/chrony/chrony.conf"], "and in the configuration")

        # --keep-hostnames
        out2 = os.path.join(tmp, "keep.tar.gz")
        r = s.doctor("--bundle", "--output", out2, "--duration", "1s", "--keep-hostnames",
                     env={"NANOTIME_BIN_DIR": bindir})
        m2 = members(out2)
        check(f"{HOST} phc-pps-sync[812]" in m2["logs/journal.txt"].decode(),
              "--keep-hostnames keeps them")
        check(all(x.encode() not in b"".join(m2.values()) for x in (NTS_KEY, CHRONY_KEY, TOKEN)),
              "and still no secret")

        # no recording possible: archive written, manifest says why
        faildir, _ = stub_bin(tmp, fail=True)
        out3 = os.path.join(tmp, "norec.tar.gz")
        r = s.doctor("--bundle", "--output", out3, env={"NANOTIME_BIN_DIR": faildir})
        m3 = members(out3)
        check("recording.ntrec" not in m3, "no recording member when none could be made")
        why = [u for u in json.loads(m3["MANIFEST.json"])["unavailable"] if u["what"] == "recording"]
        check(len(why) == 1 and "cannot ask phc-pps-sync" in why[0]["why"],
              f"the manifest says why: {why}")

        r = s.doctor("--bundle", "--duration", "soon", env={"NANOTIME_BIN_DIR": bindir})
        check(r.returncode == 64 and "--duration" in r.stderr, "a bad --duration exits 64")
        r = s.doctor("--bundle", "--output", "/nonexistent-dir/x.tar.gz", "--duration", "0",
                     env={"NANOTIME_BIN_DIR": bindir})
        check(r.returncode == 74 and "cannot write the bundle" in r.stderr,
              "an unwritable --output exits 74 with a message")
    print("all bundle checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
