#!/usr/bin/python3
"""The armhf build speaks bookworm armhf chrony's SOCK ABI (docs/hardware-notes.md#chrony-sock):
32-byte datagrams.

chrony 4.3 on Debian 12 armhf has a 32-bit time_t, so its struct sock_sample is 32 bytes
(timeval 8, offset 8, pulse/leap/_pad/magic 4 each, magic at offset 28); it silently drops
any other size. A build with _TIME_BITS=64 would send 40 bytes and chronyd would never see a
sample. Run by scripts/package after the armhf cross build:

  1. refclock-feed from the armhf build tree (ARM 32-bit ELF, checked) runs under qemu-arm and
     sends time samples to a Unix datagram socket bound here: every datagram is 32 bytes, magic
     0x534f434b at offset 28, the timestamp is now and the offset the one asked for.
  2. The programs shipped in the armhf .deb are ARM 32-bit ELF files that import none of the
     64-bit-time_t glibc symbols (__clock_gettime64, ...) that _TIME_BITS=64 redirects the time
     functions to; the daemons' clock_gettime is glibc's 32-bit one.
  3. Control, so that 2 cannot pass vacuously: the same symbol check on a small program built
     with arm-linux-gnueabihf-gcc imports clock_gettime, and built with -D_TIME_BITS=64 it
     imports __clock_gettime64 and is flagged.

Usage: test_armhf_sock.py --refclock-feed BIN --deb nanotime_X_armhf.deb [--qemu /usr/bin/qemu-arm]
"""

import argparse
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

MAGIC = 0x534F434B
OFFSET_NS = 123_456_789          # the offset we ask refclock-feed to claim (true − system)
EXPECTED_DATAGRAM = 32           # bookworm armhf chrony: 32-bit time_t
# What glibc redirects time functions to under _TIME_BITS=64 on 32-bit ARM.
TIME64_SYMBOL = re.compile(r"^__\w*(time64|64)$")
TIME64_NAMES = ("__clock_gettime64", "__gettimeofday64", "__time64", "__clock_nanosleep_time64",
                "__nanosleep64", "__timerfd_settime64", "__ppoll64", "__clock_adjtime64",
                "__stat64_time64", "__fstat64_time64", "__recvmmsg64", "__setsockopt64")

failures = []


def check(ok, what):
    print(("ok:   " if ok else "FAIL: ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


def elf_arm32(path):
    """True for a 32-bit little-endian ARM ELF (e_machine 40)."""
    with open(path, "rb") as f:
        head = f.read(20)
    return (len(head) == 20 and head[:4] == b"\x7fELF" and head[4] == 1 and head[5] == 1
            and struct.unpack_from("<H", head, 18)[0] == 40)


def datagram_check(feed, qemu):
    check(elf_arm32(feed), f"{feed} is an ARM 32-bit ELF (armhf build)")
    tmp = tempfile.mkdtemp(prefix="nanotime-armhf-sock-")
    path = os.path.join(tmp, "chrony.test.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    proc = None
    try:
        sock.bind(path)
        sock.settimeout(1.0)
        cmd = [qemu, feed, "sock", "--path", path, "--mode", "time", "--offset-ns",
               str(OFFSET_NS), "--rate-hz", "1", "--duration-s", "2"]
        print("running:", " ".join(cmd), flush=True)
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        datagrams = []
        deadline = time.monotonic() + 30  # qemu start-up included; bounded
        while time.monotonic() < deadline and (proc.poll() is None or not datagrams):
            try:
                data = sock.recv(4096)
                datagrams.append((data, time.time()))
            except socket.timeout:
                if proc.poll() is not None:
                    break
        try:
            out, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        print(out.strip(), flush=True)
        check(proc.returncode == 0, f"refclock-feed under qemu-arm exited 0 (got {proc.returncode})")
        check(len(datagrams) >= 2, f"at least 2 datagrams received (got {len(datagrams)})")
        for data, received in datagrams:
            check(len(data) == EXPECTED_DATAGRAM,
                  f"datagram is {EXPECTED_DATAGRAM} bytes, chrony's armhf struct sock_sample "
                  f"(got {len(data)})")
            if len(data) != EXPECTED_DATAGRAM:
                continue
            tv_sec, tv_usec, offset, pulse, leap, _pad, magic = struct.unpack("<iid4i", data)
            check(magic == MAGIC, f"magic at offset 28 is 0x{MAGIC:08x} (got 0x{magic:08x})")
            stamp = tv_sec + tv_usec * 1e-6
            check(0 <= tv_usec < 1_000_000 and abs(stamp - received) < 5.0,
                  f"timestamp {tv_sec}.{tv_usec:06d} is the time of sending (received at "
                  f"{received:.6f})")
            check(abs(offset - OFFSET_NS * 1e-9) < 1e-9,
                  f"offset {offset!r} s is the requested {OFFSET_NS * 1e-9} s")
            check(pulse == 0 and leap == 0, f"pulse=0 leap=0 for a time sample (got {pulse}, {leap})")
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        sock.close()
        shutil.rmtree(tmp, ignore_errors=True)


def imported_symbols(path):
    out = subprocess.run(["readelf", "--dyn-syms", "--wide", path], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        fields = line.split()
        # Num: Value Size Type Bind Vis Ndx Name: imports have Ndx UND.
        if len(fields) >= 8 and fields[6] == "UND":
            names.add(fields[7].split("@")[0])
    return names


def shipped_binaries_check(deb):
    tmp = tempfile.mkdtemp(prefix="nanotime-armhf-deb-")
    try:
        subprocess.run(["dpkg-deb", "-x", deb, tmp], check=True)
        programs = []
        for d in ("usr/sbin", "usr/bin"):
            full = os.path.join(tmp, d)
            for name in sorted(os.listdir(full)) if os.path.isdir(full) else []:
                p = os.path.join(full, name)
                with open(p, "rb") as f:
                    if f.read(4) == b"\x7fELF":
                        programs.append(p)
        names = sorted(os.path.relpath(p, tmp) for p in programs)
        check({"usr/sbin/phc-pps-sync", "usr/sbin/gps-sock-bridge"} <= set(names),
              f"the .deb ships both daemons (ELF programs: {', '.join(names)})")
        for p in programs:
            rel = os.path.relpath(p, tmp)
            check(elf_arm32(p), f"{rel} is an ARM 32-bit ELF")
            syms = imported_symbols(p)
            time64 = time64_imports(p)
            check(not time64, f"{rel} imports no 64-bit-time_t glibc symbols "
                              f"(_TIME_BITS=64 not used){': ' + ', '.join(time64) if time64 else ''}")
            if "clock_gettime" in syms:
                print(f"      ({rel} imports glibc's 32-bit-time_t clock_gettime)")
        check(any("clock_gettime" in imported_symbols(p) for p in programs),
              "a shipped program imports the 32-bit-time_t clock_gettime (the symbol scan sees "
              "time functions)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def time64_imports(path):
    syms = imported_symbols(path)
    return sorted(s for s in syms if s in TIME64_NAMES or (TIME64_SYMBOL.match(s) and "time" in s))


CONTROL_C = """#include <stdio.h>
#include <time.h>
int main(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  printf("%zu\\n", sizeof(time_t));
  return 0;
}
"""


def control_check(qemu):
    cc = shutil.which("arm-linux-gnueabihf-gcc")
    if not check(cc is not None, "arm-linux-gnueabihf-gcc is installed (for the control)"):
        return
    tmp = tempfile.mkdtemp(prefix="nanotime-armhf-ctl-")
    try:
        src = os.path.join(tmp, "t.c")
        with open(src, "w") as f:
            f.write(CONTROL_C)
        for flags, want_time64, want_size in (([], False, "4"),
                                              (["-D_FILE_OFFSET_BITS=64", "-D_TIME_BITS=64"], True, "8")):
            exe = os.path.join(tmp, "t64" if flags else "t32")
            subprocess.run([cc, "-O2", *flags, "-o", exe, src], check=True)
            flagged = time64_imports(exe)
            label = " ".join(flags) or "default flags"
            check(bool(flagged) == want_time64,
                  f"control ({label}): time64 imports {flagged or 'none'} "
                  f"{'flagged' if want_time64 else 'not flagged'} as expected")
            size = subprocess.run([qemu, "-L", "/usr/arm-linux-gnueabihf", exe],
                                  capture_output=True, text=True).stdout.strip()
            check(size == want_size, f"control ({label}): sizeof(time_t) under qemu-arm is "
                                     f"{want_size} (got {size!r})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--refclock-feed", required=True)
    ap.add_argument("--deb", required=True)
    ap.add_argument("--qemu", default="/usr/bin/qemu-arm")
    args = ap.parse_args()
    for tool in (args.qemu, shutil.which("readelf"), shutil.which("dpkg-deb")):
        if not tool or not os.access(tool, os.X_OK):
            print(f"FAIL: missing tool {tool or '(readelf/dpkg-deb)'}")
            return 1
    datagram_check(args.refclock_feed, args.qemu)
    shipped_binaries_check(args.deb)
    control_check(args.qemu)
    if failures:
        print(f"test_armhf_sock: {len(failures)} check(s) failed")
        return 1
    print("test_armhf_sock: the armhf build sends chrony's 32-byte SOCK datagrams")
    return 0


if __name__ == "__main__":
    sys.exit(main())
