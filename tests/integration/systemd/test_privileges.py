"""The privilege model of systemd/phc-pps-sync.service and gps-sock-bridge.service works for
everything that can be exercised without the hardware.

Both units run as uid 0 with NO capabilities (CapabilityBoundingSet= empty) in a user namespace
that maps root to root (PrivateUsers=yes), behind a read-only /run (ProtectSystem=strict). This
test rebuilds that situation without systemd:

    unshare --user --map-user=0 --map-group=0 \
        setpriv --bounding-set -all --inh-caps -all --no-new-privs <probe>

(plus a read-only bind mount of the socket's directory, as ProtectSystem=strict leaves /run)
and checks, each time against a negative control running as `nobody`:
  - sending to a root-owned 0755 datagram socket (what chronyd's SOCK refclock socket is) works;
  - attaching a root-owned 0600 System V shm segment (chrony's NTP SHM refclock) works;
  - joining the rtnetlink link group and ETHTOOL_GET_TS_INFO (phc-pps-sync's carrier watch and
    "which PHC is behind this interface") work;
  - reading the system clock status with adjtimex(modes=0) works, while the probe really has
    no capabilities (CapEff 0).
What it cannot check here: clock_adjtime() on a real PHC (no /dev/ptp* in this machine). The
kernel allows that to any process that opened /dev/ptpN for writing (kernel/time/posix-clock.c
pc_clock_adjtime checks FMODE_WRITE, no capability), which uid 0 may do as the device's owner.
"""

import ctypes
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap

checks = []


def check(cond, what):
    checks.append(what)
    if not cond:
        raise AssertionError(what)
    print(f"  ok: {what}", flush=True)


def tool(name, package):
    path = shutil.which(name)
    if not path:
        raise AssertionError(f"{name} is not installed (apt install {package}): "
                             "the test cannot run")
    return path


def as_unit(code):
    """Run python code as the units run: uid 0, root-only user namespace, no capabilities."""
    return subprocess.run([tool("unshare", "util-linux"), "--user", "--map-user=0",
                           "--map-group=0", tool("setpriv", "util-linux"), "--bounding-set",
                           "-all", "--inh-caps", "-all", "--no-new-privs", sys.executable, "-c",
                           code], capture_output=True, text=True, timeout=30)


def as_nobody(code):
    return subprocess.run([tool("setpriv", "util-linux"), "--reuid", "65534", "--regid",
                           "65534", "--clear-groups", sys.executable, "-c", code],
                          capture_output=True, text=True, timeout=30)


def test_capabilities():
    r = as_unit("print(open('/proc/self/status').read().split('CapEff:')[1].split()[0])")
    check(r.returncode == 0 and int(r.stdout.strip(), 16) == 0,
          f"probe runs with no effective capabilities ({r.stdout.strip()} {r.stderr.strip()})")
    r = as_unit("import os; print(os.getuid())")
    check(r.stdout.strip() == "0", "probe runs as uid 0")


def test_sock(workdir):
    # Like chronyd: the socket is bound by root and left 0755, in a directory that the unit
    # sees read-only.
    sockdir = os.path.join(workdir, "run")
    os.mkdir(sockdir)
    # Traversable by everyone, like /run: the control below must fail on the socket's own
    # permissions, not on the directory's.
    os.chmod(workdir, 0o755)
    os.chmod(sockdir, 0o755)
    path = os.path.join(sockdir, "chrony.phc0.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    os.chmod(path, 0o755)
    server.settimeout(5)
    probe = textwrap.dedent(f"""
        import socket
        c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        c.connect({path!r})
        c.send(b"sample")
        print("sent")
        """)
    try:
        # ProtectSystem=strict: the directory is a read-only mount for the unit.
        ro = textwrap.dedent(f"""
            import subprocess, sys
            subprocess.run(["mount", "--bind", {sockdir!r}, {sockdir!r}], check=True)
            subprocess.run(["mount", "-o", "remount,bind,ro", {sockdir!r}], check=True)
            try:
                open({sockdir!r} + "/x", "w")
                print("writable")
            except OSError:
                print("read-only")
            r = subprocess.run(["unshare", "--user", "--map-user=0", "--map-group=0", "setpriv",
                                "--bounding-set", "-all", "--inh-caps", "-all",
                                "--no-new-privs", sys.executable, "-c", {probe!r}],
                               capture_output=True, text=True)
            print(r.stdout + r.stderr)
            """)
        r = subprocess.run([tool("unshare", "util-linux"), "--mount", "--propagation",
                            "private", sys.executable, "-c", ro], capture_output=True,
                           text=True, timeout=30)
        check("read-only" in r.stdout, f"socket directory mounted read-only {r.stderr.strip()}")
        check("sent" in r.stdout, f"uid 0 without capabilities sends to a root-owned 0755 "
                                  f"socket on a read-only mount ({r.stdout.strip()})")
        check(server.recv(100) == b"sample", "the datagram arrived")
        r = as_nobody(probe)
        check(r.returncode != 0 and "Permission denied" in r.stderr,
              "control: uid nobody may not send to it")
    finally:
        server.close()


def test_shm():
    libc = ctypes.CDLL(None, use_errno=True)
    key = 0x4E540000 + (os.getpid() & 0xFFFF)  # test-private key
    shmid = libc.shmget(key, 96, 0o1000 | 0o600)  # IPC_CREAT | 0600, root-owned, like chronyd
    check(shmid >= 0, f"root created an 0600 SysV shm segment (errno {ctypes.get_errno()})")
    probe = textwrap.dedent(f"""
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.shmat.restype = ctypes.c_void_p
        i = libc.shmget({key}, 96, 0)
        a = libc.shmat(i, None, 0)
        ok = i >= 0 and a is not None and a != ctypes.c_void_p(-1).value
        print("attached" if ok else "failed errno %d" % ctypes.get_errno())
        """)
    try:
        r = as_unit(probe)
        check("attached" in r.stdout, f"uid 0 without capabilities attaches root's 0600 SHM "
                                      f"segment ({r.stdout.strip()} {r.stderr.strip()})")
        r = as_nobody(probe)
        check("failed" in r.stdout, "control: uid nobody may not attach it")
    finally:
        libc.shmctl(shmid, 0, None)  # IPC_RMID


def test_netlink_ethtool():
    probe = textwrap.dedent("""
        import ctypes, fcntl, socket, struct
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)   # NETLINK_ROUTE
        s.bind((0, 1))                                               # RTMGRP_LINK
        print("netlink ok")
        buf = ctypes.create_string_buffer(struct.pack("I", 0x41) + bytes(48))  # GET_TS_INFO
        ifr = struct.pack("16sP", b"lo", ctypes.addressof(buf))
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        fcntl.ioctl(u.fileno(), 0x8946, ifr)                         # SIOCETHTOOL
        print("ethtool ok")
        """)
    r = as_unit(probe)
    check("netlink ok" in r.stdout, f"rtnetlink link group without capabilities {r.stderr}")
    check("ethtool ok" in r.stdout, f"ETHTOOL_GET_TS_INFO without capabilities {r.stderr}")


def test_adjtimex_read():
    probe = textwrap.dedent("""
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        buf = ctypes.create_string_buffer(512)   # struct timex, modes = 0: read only
        r = libc.adjtimex(buf)
        print("state", r, "errno", ctypes.get_errno())
        """)
    r = as_unit(probe)
    state = int(r.stdout.split()[1]) if r.stdout.startswith("state") else -1
    check(state >= 0, f"adjtimex(modes=0) reads the clock status without capabilities "
                      f"({r.stdout.strip()} {r.stderr.strip()})")


def main():
    workdir = tempfile.mkdtemp(prefix="nanotime-privileges-")
    try:
        test_capabilities()
        test_sock(workdir)
        test_shm()
        test_netlink_ethtool()
        test_adjtimex_read()
    except AssertionError as e:
        print(f"FAIL: {e}", flush=True)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"PASS: {len(checks)} checks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
