#!/usr/bin/python3
"""A receiver that is not a u-blox timing model (fake personality m8n, a NEO-M8N) through the
real gpsd 3.22: gpsd still reports driver u-blox with MOD=NEO-M8N, but CFG-TMODE2 is NAKed,
TIM-TP cannot be enabled (NAK) and a TIM-SVIN poll goes unanswered.
"""

import sys
import time

import ubxharness
from ubxharness import count


def check(failed, ok, what):
    print(("PASS " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failed.append(what)


def m8n_not_timing(failed):
    with ubxharness.UbxGpsd("m8n") as g:
        check(failed, g.device.get("driver") == "u-blox"
              and "MOD=NEO-M8N" in g.device.get("subtype1", ""),
              "m8n: gpsd reports u-blox, MOD=NEO-M8N")
        ack, payload = g.transact(0x06, 0x3D, b"")
        check(failed, ack == "nak" and payload is None, "m8n: CFG-TMODE2 poll NAKed")
        ack, _ = g.transact(0x06, 0x01, bytes.fromhex("0d0101"))
        check(failed, ack == "nak", "m8n: enabling TIM-TP NAKed")
        ack, payload = g.transact(0x0D, 0x04, b"", timeout_s=2.0)
        check(failed, payload is None, "m8n: TIM-SVIN poll unanswered")
        st = g.state()
        check(failed, count(st, "received", "TIM-SVIN") == 1 and st["personality"] == "m8n",
              "m8n: the fake received the TIM-SVIN poll (state file)")


def main():
    failed = []
    t0 = time.monotonic()
    m8n_not_timing(failed)
    print("m8n_not_timing: {:.1f} s".format(time.monotonic() - t0), flush=True)
    print("{} failed".format(len(failed)) if failed else "all checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
