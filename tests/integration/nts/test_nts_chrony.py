"""NTS with the real chronyd 4.3 on both ends, configured by nanotime-setup.

1. A test CA (openssl, in a temp dir) signs a certificate for "localhost". nanotime-setup
   --nts --nts-cert --nts-key --allow 127.0.0.1/32 on a fixture root (tests/fixtures/setup/
   cm4-fresh) writes /etc/chrony/conf.d/nanotime-server.conf.
2. A server chronyd (-x, loopback, free ports, `local stratum 8` as its time source) reads that
   drop-in -- its ntsservercert/ntsserverkey/allow lines as written, only the paths moved into
   the fixture root and ntsdumpdir into the test's dir -- and a client chronyd (-x) uses
   `server localhost ... nts` trusting the CA. Checked: the client's `chronyc -N authdata` says
   NTS with cookies, and the client gets NTP answers (reach > 0) from the server.
3. Bad input: a certificate path that does not exist, a key that is not the certificate's, an
   expired certificate (made under faketime), a key _chrony cannot read, a malformed --allow: each an error from setup
   naming the problem, exit status 1, and the fixture tree byte for byte unchanged.
4. --nts without a certificate: a self-signed pair (openssl) that matches and is not expired;
   a second run changes nothing.
Exit status non-zero on failure.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "setup"))
from chronyharness import Chronyd, require_tool  # noqa: E402
from setuphelpers import Workspace, check, diff_snapshots  # noqa: E402

DROPIN = "etc/chrony/conf.d/nanotime-server.conf"


def openssl(*args, env=None):
    r = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60, env=env)
    if r.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args)}: {r.stderr}")
    return r.stdout


def make_ca_and_cert(d, name="localhost", env=None, prefix=""):
    """A CA and a server certificate for `name` signed by it; returns (ca, cert, key) paths."""
    ca_key, ca = os.path.join(d, f"{prefix}ca.key"), os.path.join(d, f"{prefix}ca.pem")
    key, csr, cert = (os.path.join(d, f"{prefix}server.{x}") for x in ("key", "csr", "pem"))
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=nanotime test CA", env=env)
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", csr, "-subj", f"/CN={name}", env=env)
    ext = os.path.join(d, f"{prefix}ext.cnf")
    with open(ext, "w") as f:
        f.write(f"subjectAltName=DNS:{name}\n")
    openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
            "-out", cert, "-days", "1", "-extfile", ext, env=env)
    return ca, cert, key


def free_port(kind):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_lines(ws, dumpdir):
    """The drop-in setup wrote, with its files moved into the fixture root for this host."""
    out = []
    for line in ws.read(DROPIN).splitlines():
        words = line.split()
        if words and words[0] in ("ntsservercert", "ntsserverkey"):
            line = f"{words[0]} {ws.path(words[1])}"
        elif words and words[0] == "ntsdumpdir":
            line = f"ntsdumpdir {dumpdir}"
        out.append(line)
    return out


def set_port(c, port):
    """chronyharness turns NTP off (port 0); the server needs its port."""
    with open(c.conf_path) as f:
        text = f.read()
    with open(c.conf_path, "w") as f:
        f.write(text.replace("\nport 0\n", f"\nport {port}\n"))


def authdata(c):
    """`chronyc -c -N authdata` rows: name, mode, key id, type, key length, last, attempts,
    NAKs, cookies, cookie length."""
    rows = []
    for line in c.chronyc("-c", "-N", "authdata").splitlines():
        f = line.split(",")
        if len(f) == 10:
            rows.append({"name": f[0], "mode": f[1], "cookies": int(f[8])})
    return rows


def live_nts(ws, tmp):
    ca, cert, key = make_ca_and_cert(tmp)
    os.makedirs(ws.path("etc/ssl/nanotime"), exist_ok=True)
    shutil.copy(cert, ws.path("etc/ssl/nanotime/nts.pem"))
    shutil.copy(key, ws.path("etc/ssl/nanotime/nts.key"))
    r = ws.setup("--nts", "--nts-cert", "/etc/ssl/nanotime/nts.pem", "--nts-key",
                 "/etc/ssl/nanotime/nts.key", "--allow", "127.0.0.1/32")
    text = ws.read(DROPIN)
    print(text)
    for want in ("ntsservercert /etc/ssl/nanotime/nts.pem", "ntsserverkey /etc/ssl/nanotime/nts.key",
                 "ntsdumpdir /var/lib/chrony", "allow 127.0.0.1/32"):
        check(f"\n{want}\n" in text, f"setup wrote `{want}`")
    check("nanotime-server.conf" in r.stdout, "setup reports the drop-in")

    ntp_port, ke_port = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM)
    dump = os.path.join(tmp, "ntsdump")
    os.makedirs(dump)
    server = Chronyd([], server_lines(ws, dump) + [
        "bindaddress 127.0.0.1", f"ntsport {ke_port}", "local stratum 8"], name="nts-server")
    set_port(server, ntp_port)
    client = Chronyd([f"server localhost port {ntp_port} ntsport {ke_port} iburst nts "
                      "minpoll 0 maxpoll 0"], [f"ntstrustedcerts {ca}", "ntsdumpdir {dir}"],
                     name="nts-client")
    with server, client:
        rows = client.wait_for(lambda: (a := authdata(client)) and a[0]["mode"] == "NTS"
                               and a[0]["cookies"] > 0 and a, 30, "client authdata: NTS, cookies")
        print(client.chronyc("-N", "authdata"))
        check(rows[0]["name"] == "localhost", "the NTS source is the server (localhost)")
        check(rows[0]["cookies"] > 0, f"client holds {rows[0]['cookies']} NTS cookies")
        src = client.wait_for(lambda: (s := client.source("127.0.0.1")) and s["reach"] > 0 and s,
                              30, "client gets authenticated NTP answers (reach > 0)")
        check(src["stratum"] == 8, f"the server's answers arrive: stratum {src['stratum']} (its local stratum 8)")


def expect_refused(fixture, prepare, args, words, what):
    with Workspace(fixture) as ws:
        if prepare:
            prepare(ws)
        before = ws.snapshot()
        r = ws.setup(*args, expect=1)
        after = ws.snapshot()
        err = r.stderr
        print(err.strip())
        check(all(w in err for w in words), f"{what}: the error says {words}")
        check("nothing was changed" in err, f"{what}: says nothing was changed")
        diff = diff_snapshots(before, after)
        check(not diff, f"{what}: the tree is unchanged ({diff})")


def bad_input(tmp):
    _, cert, key = make_ca_and_cert(tmp, prefix="a-")
    _, _, other_key = make_ca_and_cert(tmp, prefix="b-")
    # Made while faketime says 2020: valid one day, long expired now.
    old_env = dict(os.environ, LD_PRELOAD=faketime_lib(), FAKETIME="@2020-01-01 00:00:00")
    _, old_cert, old_key = make_ca_and_cert(tmp, env=old_env, prefix="old-")

    def place(c, k):
        def prepare(ws):
            os.makedirs(ws.path("etc/ssl"), exist_ok=True)
            shutil.copy(c, ws.path("etc/ssl/nts.pem"))
            shutil.copy(k, ws.path("etc/ssl/nts.key"))
        return prepare

    files = ["--nts-cert", "/etc/ssl/nts.pem", "--nts-key", "/etc/ssl/nts.key"]
    expect_refused("cm4-fresh", None, ["--nts", "--nts-cert", "/etc/ssl/missing.pem", "--nts-key",
                                       "/etc/ssl/missing.key"],
                   ["--nts-cert", "/etc/ssl/missing.pem", "No such file"], "missing certificate")
    expect_refused("cm4-fresh", place(cert, other_key), ["--nts", *files],
                   ["is not the private key of"], "key of another certificate")
    expect_refused("cm4-fresh", place(old_cert, old_key), ["--nts", *files],
                   ["has expired"], "expired certificate")
    expect_refused("cm4-fresh", place(key, key), ["--nts", *files],
                   ["not a PEM certificate"], "a key given as the certificate")
    def key_root_only(ws):
        place(cert, key)(ws)
        with open(ws.path("etc/passwd"), "a") as f:
            f.write("_chrony:x:4242:4242::/var/lib/chrony:/usr/sbin/nologin\n")
        os.chown(ws.path("etc/ssl/nts.key"), 0, 0)
        os.chmod(ws.path("etc/ssl/nts.key"), 0o600)
    expect_refused("cm4-fresh", key_root_only, ["--nts", *files],
                   ["/etc/ssl/nts.key is not readable by _chrony", "chgrp _chrony"],
                   "a key only root can read")
    expect_refused("cm4-fresh", None, ["--allow", "10.1.2.3/8"],
                   ["--allow 10.1.2.3/8", "did you mean 10.0.0.0/8"], "--allow with host bits")
    expect_refused("cm4-fresh", None, ["--allow", "lan"], ["--allow lan"], "--allow not a network")
    expect_refused("cm4-fresh", None, ["--nts", "--nts-cert", "/etc/x.pem"],
                   ["--nts-cert and --nts-key go together"], "a certificate without its key")


def faketime_lib():
    import glob
    libs = glob.glob("/usr/lib/*/faketime/libfaketime.so.1")
    if not libs:
        raise AssertionError("libfaketime not found (apt install faketime)")
    return libs[0]


def self_signed():
    with Workspace("cm4-fresh") as ws:
        ws.setup("--nts")
        cert, key = ws.path("etc/chrony/nanotime-nts.crt"), ws.path("etc/chrony/nanotime-nts.key")
        check(os.stat(key).st_mode & 0o077 == 0o040 or os.stat(key).st_mode & 0o077 == 0,
              f"generated key not readable by others (mode {os.stat(key).st_mode & 0o777:o})")
        pub_c = openssl("x509", "-in", cert, "-noout", "-pubkey")
        pub_k = openssl("pkey", "-in", key, "-pubout")
        check(pub_c == pub_k, "the generated key is the generated certificate's")
        subprocess.run(["openssl", "x509", "-in", cert, "-noout", "-checkend", "86400"], check=True)
        check(True, "the generated certificate is valid for at least a day")
        check("ntsservercert /etc/chrony/nanotime-nts.crt" in ws.read(DROPIN),
              "the drop-in names the generated certificate")
        before = ws.snapshot()
        r = ws.setup("--nts")
        check("nothing to change" in r.stdout and not diff_snapshots(before, ws.snapshot()),
              "second --nts run: nothing to change (the pair is kept)")


def main():
    require_tool("chronyd")
    require_tool("openssl")
    tmp = tempfile.mkdtemp(prefix="nanotime-nts-test-")
    try:
        with Workspace("cm4-fresh") as ws:
            live_nts(ws, tmp)
        bad_input(tmp)
        self_signed()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS", flush=True)


if __name__ == "__main__":
    t0 = time.monotonic()
    main()
    print(f"({time.monotonic() - t0:.1f} s)")
