"""The shared network-namespace harness (tests/integration/netnsharness.py) keeps its promises,
since every PTP test and the demo rely on them:

  - a pair gets two fresh namespaces, the veth ends with their addresses inside them only
    (nothing new in the root namespace), and UDP passes between them;
  - leaving the `with` by an exception deletes the namespaces and kills the processes;
  - a SIGTERM / SIGINT to a test process inside the `with` also cleans up;
  - sweep_stale() removes what a SIGKILLed run left (dead pid in the name, with a process still
    inside) and leaves namespaces of live runs alone;
  - a missing tool raises HarnessError (a failure, not a skip).
"""

import os
import signal
import subprocess
import sys
import textwrap
import time

import netnsharness as nh

checks = []


def check(cond, what):
    checks.append(what)
    if not cond:
        raise AssertionError(what)
    print(f"  ok: {what}", flush=True)


def root_links():
    return subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True,
                          check=True).stdout


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie child still "exists": reap it if it is ours.
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def wait_until(pred, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s: {what}")
        time.sleep(0.05)


def test_pair():
    before = root_links()
    with nh.NetnsPair("selftest") as net:
        names = nh.list_namespaces()
        check(net.ns_a in names and net.ns_b in names, f"namespaces {net.ns_a}, {net.ns_b} exist")
        check(net.ns_a.startswith(f"{nh.NS_PREFIX}{os.getpid()}-"), "names carry our pid")
        a = net.run(net.ns_a, ["ip", "-o", "addr", "show", "dev", net.if_a]).stdout
        b = net.run(net.ns_b, ["ip", "-o", "addr", "show", "dev", net.if_b]).stdout
        check("192.0.2.1/24" in a and "192.0.2.2/24" in b, "veth addresses inside the namespaces")
        lo = net.run(net.ns_a, ["ip", "-o", "link", "show", "lo"]).stdout
        check("UP" in lo, "loopback up")
        check(root_links() == before, "root namespace links unchanged")
        # UDP from A to B: a listener in B, a sender in A.
        listener = net.popen(net.ns_b, [sys.executable, "-c", textwrap.dedent(f"""
            import socket
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("{net.ip_b}", 3190)); s.settimeout(10)
            print("got", s.recvfrom(100)[0].decode(), flush=True)
            """)], name="udp-listener")
        deadline = time.monotonic() + 10
        while "got" not in listener.log_text() and time.monotonic() < deadline:
            net.run(net.ns_a, [sys.executable, "-c",
                               f"import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM)"
                               f".sendto(b'hello', ('{net.ip_b}', 3190))"])
            time.sleep(0.2)
        check("got hello" in listener.log_text(), "UDP passes from A to B")
        check(listener.wait(5) == 0, "process in namespace exits 0, log captured")


def test_exception_cleanup():
    pid = None
    names = None
    try:
        with nh.NetnsPair("selftest") as net:
            names = (net.ns_a, net.ns_b)
            pid = net.popen(net.ns_a, ["sleep", "300"], name="sleeper").pid
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    left = nh.list_namespaces()
    check(names[0] not in left and names[1] not in left, "exception: namespaces deleted")
    check(not alive(pid), "exception: process killed")


def test_signal_cleanup(signum):
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import sys, time, netnsharness as nh
        with nh.NetnsPair("selftest-sig") as net:
            p = net.popen(net.ns_b, ["sleep", "300"], name="sleeper")
            print(net.ns_a, net.ns_b, p.pid, flush=True)
            time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        line = child.stdout.readline().split()
        check(len(line) == 3, f"child set up a pair ({line})")
        ns_a, ns_b, pid = line[0], line[1], int(line[2])
        child.send_signal(signum)
        child.wait(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    left = nh.list_namespaces()
    name = signal.Signals(signum).name
    check(ns_a not in left and ns_b not in left, f"{name}: namespaces deleted")
    wait_until(lambda: not alive(pid), 5, f"{name}: process in the namespace killed")
    check(True, f"{name}: process in the namespace killed")


def test_sweep():
    # A pid that existed and is gone now: a crashed run's leftovers.
    p = subprocess.Popen(["true"])
    p.wait()
    dead = p.pid
    stale = f"{nh.NS_PREFIX}{dead}-0-a"
    live = f"{nh.NS_PREFIX}{os.getpid()}-99999-a"
    subprocess.run(["ip", "netns", "add", stale], check=True)
    subprocess.run(["ip", "netns", "add", live], check=True)
    inside = subprocess.Popen(["ip", "netns", "exec", stale, "sleep", "300"])
    try:
        wait_until(lambda: str(inside.pid) in subprocess.run(
            ["ip", "netns", "pids", stale], capture_output=True, text=True).stdout
            or inside.poll() is not None, 5, "process inside the stale namespace")
        removed = nh.sweep_stale()
        left = nh.list_namespaces()
        check(stale in removed and stale not in left, f"sweep removed {stale}")
        check(live in left and live not in removed, "sweep kept the namespace of a live pid")
        inside.wait(timeout=5)
        check(True, "sweep killed the process left inside")
    finally:
        if inside.poll() is None:
            inside.kill()
            inside.wait()
        for ns in (stale, live):
            subprocess.run(["ip", "netns", "delete", ns], capture_output=True)


def test_missing_tool():
    try:
        nh.require_tool("nanotime-no-such-tool", "nothing")
    except nh.HarnessError as e:
        check("not installed" in str(e), "missing tool -> HarnessError")
        return
    raise AssertionError("require_tool did not raise for a missing tool")


def test_pmc_parse():
    text = ("sending: GET PARENT_DATA_SET\n"
            "\t0a0b0c.fffe.0d0e0f-1 seq 0 RESPONSE MANAGEMENT PARENT_DATA_SET \n"
            "\t\tparentPortIdentity                    0a0b0c.fffe.0d0e0f-1\n"
            "\t\tgm.ClockClass                         6\n"
            "\t\tgm.ClockAccuracy                      0x21\n"
            "\t\tgrandmasterIdentity                   0a0b0c.fffe.0d0e0f\n")
    d = nh.parse_pmc(text, "PARENT_DATA_SET")
    check(d["gm.ClockClass"] == "6" and d["grandmasterIdentity"] == "0a0b0c.fffe.0d0e0f",
          "pmc output parsed")
    try:
        nh.parse_pmc("sending: GET PARENT_DATA_SET\n", "PARENT_DATA_SET")
    except nh.HarnessError:
        check(True, "pmc without a response -> HarnessError")
        return
    raise AssertionError("parse_pmc accepted an empty answer")


def main():
    try:
        for t in (test_missing_tool, test_pmc_parse, test_pair, test_exception_cleanup,
                  lambda: test_signal_cleanup(signal.SIGTERM),
                  lambda: test_signal_cleanup(signal.SIGINT), test_sweep):
            t()
    except AssertionError as e:
        print(f"FAIL: {e}", flush=True)
        return 1
    print(f"PASS: {len(checks)} checks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
