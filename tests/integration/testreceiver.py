#!/usr/bin/python3
"""Test GNSS receiver: NMEA with the *current* UTC second, written into a pty.

A real gpsd reads the pty slave as if it were a serial receiver. Every second, DELAY ms after
the top of the CLOCK_REALTIME second, one burst of RMC + GGA + ZDA (valid checksums) is written,
stamped with that second: gpsd's TOFF then shows real - clock ~= -DELAY, like a receiver whose
serial message leaves the module DELAY after the PPS edge.

Run-time control, so tests switch fix state without restarting anything:
  SIGUSR1  -> no fix (RMC status V, GGA quality 0; time is still sent, as real modules do)
  SIGUSR2  -> fix
  SIGTERM / SIGINT -> exit 0
The pty slave path is printed on the first stdout line ("PTY /dev/pts/N"); with --link a
symlink to it is made too. The program stops by itself after --duration-s (never runs forever)
and never busy-loops: it sleeps in select() until the next burst or until gpsd writes to it.

Usage: testreceiver.py [--delay-ms 180] [--duration-s 300] [--no-fix] [--link PATH]
"""

import argparse
import datetime
import errno
import os
import select
import signal
import sys
import time
import tty

# A plausible position (Zurich) so gpsd accepts the fix as a real receiver's.
LAT = "4722.2800,N"
LON = "00832.5400,E"
ALT_M = "410.0"


def nmea(body):
    """Wrap a sentence body ("GPRMC,...") with '$', checksum and CRLF."""
    cs = 0
    for ch in body.encode("ascii"):
        cs ^= ch
    return "${}*{:02X}\r\n".format(body, cs)


def sentences(utc, fix):
    """RMC, GGA, ZDA for UTC second `utc` (datetime, whole second)."""
    hms = utc.strftime("%H%M%S") + ".00"
    dmy = utc.strftime("%d%m%y")
    if fix:
        rmc = "GPRMC,{},A,{},{},0.0,0.0,{},,,A".format(hms, LAT, LON, dmy)
        gga = "GPGGA,{},{},{},1,09,0.9,{},M,47.0,M,,".format(hms, LAT, LON, ALT_M)
    else:
        rmc = "GPRMC,{},V,,,,,,,{},,,N".format(hms, dmy)
        gga = "GPGGA,{},,,,,0,00,99.9,,M,,M,,".format(hms)
    zda = "GPZDA,{},{:02d},{:02d},{:04d},00,00".format(hms, utc.day, utc.month, utc.year)
    return (nmea(rmc) + nmea(gga) + nmea(zda)).encode("ascii")


class Receiver:
    def __init__(self, delay_ms, fix):
        self.delay_s = delay_ms / 1000.0
        self.fix = fix
        self.stop = False
        self.master, self.slave = os.openpty()
        # Raw mode: no echo of what gpsd writes, no CRLF translation of what we write.
        tty.setraw(self.slave)
        self.slave_path = os.ttyname(self.slave)
        os.set_blocking(self.master, False)

    def next_burst(self, now):
        """Wall-clock time of the next burst: the next second boundary + delay."""
        second = int(now - self.delay_s) + 1
        return second, second + self.delay_s

    def drain(self):
        """Discard what gpsd writes to the 'receiver' (probes), so the pty never fills up."""
        try:
            while os.read(self.master, 4096):
                pass
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EIO):
                raise

    def write_burst(self, second):
        utc = datetime.datetime.fromtimestamp(second, tz=datetime.timezone.utc)
        data = sentences(utc, self.fix)
        try:
            os.write(self.master, data)
        except OSError as e:
            # Nobody reads the slave (gpsd restarting): drop the burst like a real UART would.
            if e.errno not in (errno.EAGAIN, errno.EIO):
                raise

    def run(self, duration_s):
        end = time.time() + duration_s
        second, due = self.next_burst(time.time())
        while not self.stop:
            now = time.time()
            if now >= end:
                break
            if now >= due:
                # Never stamp a second that is already over by more than the delay: after a
                # long stall (suspended process) skip to the current second.
                if now - due < 0.5:
                    self.write_burst(second)
                second, due = self.next_burst(now)
                continue
            try:
                r, _, _ = select.select([self.master], [], [], min(due - now, end - now))
            except InterruptedError:
                continue
            if r:
                self.drain()
                # A closed slave makes the master readable with EIO forever: do not spin.
                time.sleep(0.01)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--delay-ms", type=float, default=180.0,
                    help="sentence burst this long after the top of the second")
    ap.add_argument("--duration-s", type=float, default=300.0, help="exit after this long")
    ap.add_argument("--no-fix", action="store_true", help="start without a fix")
    ap.add_argument("--link", help="make a symlink to the pty slave at this path")
    args = ap.parse_args()
    if not 0 <= args.delay_ms < 900:
        ap.error("--delay-ms must be in [0, 900)")

    rx = Receiver(args.delay_ms, not args.no_fix)

    def set_fix(value):
        def handler(_sig, _frame):
            rx.fix = value
        return handler

    def stop(_sig, _frame):
        rx.stop = True

    signal.signal(signal.SIGUSR1, set_fix(False))
    signal.signal(signal.SIGUSR2, set_fix(True))
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    if args.link:
        try:
            os.unlink(args.link)
        except FileNotFoundError:
            pass
        os.symlink(rx.slave_path, args.link)
    print("PTY", rx.slave_path, flush=True)
    try:
        rx.run(args.duration_s)
    finally:
        if args.link:
            try:
                os.unlink(args.link)
            except FileNotFoundError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
