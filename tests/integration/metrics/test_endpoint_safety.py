"""The REAL phc-pps-sync daemon's status endpoint (realtime simulation) refuses non-local peers
and survives slow and malformed clients. The daemon runs in namespace A of a veth pair
(netnsharness: A = 192.0.2.1, B = 192.0.2.2); clients connect from either side through sockets
created inside the namespaces. Checked:

  default configuration (no status_listen: 127.0.0.1:8473)
    1. from B to 192.0.2.1:8473: connection refused (nothing listens on a public address);
       from A's loopback: 200, /metrics served.
  status_listen = "0.0.0.0:8473" (the mistake the server guards against)
    2. from B: TCP connects, but the daemon closes it without a byte of HTTP; from A's
       loopback: 200. The daemon logs the refusal.
    3. slow clients: 8 connections each holding half a request; a normal client is answered
       at once (< 0.5 s) and the simulation keeps counting pulses meanwhile; the stalled ones
       are dropped at the 5 s deadline (closed within 7 s).
    4. a slowloris flood of 20 (> 16 max) stalled connections: the surplus gets 503 at once
       (never a hang), and a normal client is served again once the deadline has passed.
    5. malformed requests get their 4xx (400, 404, 405, 413, 431), and clients that vanish
       mid-response (RST) or send nothing do no harm.
    6. afterwards: the daemon is alive, still tracking, pulses still counted, /metrics parses,
       SIGTERM exits 0.
Runtime ~55 s. Exit status non-zero on failure; processes, namespaces and temp dirs are removed.
"""

import socket
import struct
import time

from netnsharness import NetnsPair
from statusclient import (HttpPhcPpsSync, check, cleanup_on_sigterm, netns_socket, parse_metrics, raw_exchange,
                          status_code)

PROFILE = "rt-outage-short.toml"  # the outage (t = 40 s) is never reached in part 1
PORT = 8473


def ns_connect(ns, host, port, timeout_s=3.0):
    s = netns_socket(ns)
    s.settimeout(timeout_s)
    s.connect((host, port))
    return s


def get(ns, host, port, path="/metrics", timeout_s=5.0):
    """(status, body bytes, seconds taken) of one GET from namespace ns."""
    t = time.monotonic()
    s = ns_connect(ns, host, port)
    try:
        resp = raw_exchange(s, f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode(), timeout_s)
    finally:
        s.close()
    body = resp.partition(b"\r\n\r\n")[2]
    return status_code(resp), body, time.monotonic() - t


def pulses_seen(d):
    return d.counter("nanotime_pulses_total", result="seen")


def part_default(net):
    a, b = net.ns_a, net.ns_b
    with HttpPhcPpsSync(PROFILE, {"status_listen": None, "chrony_socket": "", "ptp4l_socket": ""},
                        net=net, ns=a, client_ns=a) as d:
        check((d.host, d.port) == ("127.0.0.1", PORT),
              f"no status_listen: the daemon listens on 127.0.0.1:{PORT} (got {d.host}:{d.port})")
        code, body, _ = get(a, "127.0.0.1", PORT)
        check(code == 200 and b"nanotime_lock_state" in body, "from A's loopback: 200 /metrics")
        try:
            s = ns_connect(b, net.ip_a, PORT)
            s.close()
            refused = False
        except ConnectionRefusedError:
            refused = True
        check(refused, f"from B ({net.ip_b}) to {net.ip_a}:{PORT}: connection refused")
        check(d.running(), "daemon still running")


def part_public(net):
    a, b = net.ns_a, net.ns_b
    settings = {"status_listen": f"0.0.0.0:{PORT}", "chrony_socket": "", "ptp4l_socket": ""}
    with HttpPhcPpsSync(PROFILE, settings, net=net, ns=a, client_ns=a) as d:
        d.host = "127.0.0.1"  # the daemon logs 0.0.0.0; our clients in A use loopback
        # -- 2. a non-local peer ---------------------------------------------------------------
        s = ns_connect(b, net.ip_a, PORT)
        got = raw_exchange(s, b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 3)
        s.close()
        check(got == b"", f"from B ({net.ip_b}): connected, then closed with no HTTP bytes "
                          f"({got[:40]!r})")
        code, _, _ = get(a, "127.0.0.1", PORT)
        check(code == 200, "from A's loopback: 200")
        d.wait_for(lambda: "refused a connection" in d.log_text(), 5, "the refusal logged")
        check(True, "the daemon logged the refusal")

        d.wait_for(lambda: d.lock_state() == "tracking", 35, "tracking")

        # -- 3. slow clients -------------------------------------------------------------------
        slow = []
        for _ in range(8):
            s = ns_connect(a, "127.0.0.1", PORT)
            s.sendall(b"GET /status HTTP/1.1\r\nHo")
            slow.append(s)
        t_stall = time.monotonic()
        seen0 = pulses_seen(d)
        worst = 0.0
        for _ in range(5):
            code, _, took = get(a, "127.0.0.1", PORT)
            check(code == 200, f"normal client answered while 8 clients stall ({took * 1e3:.0f} ms)")
            worst = max(worst, took)
            time.sleep(0.5)
        check(worst < 0.5, f"slowest normal answer {worst * 1e3:.0f} ms < 500 ms")
        time.sleep(max(0.0, 3.0 - (time.monotonic() - t_stall)))
        seen1 = pulses_seen(d)
        check(seen1 >= seen0 + 2, f"the simulation keeps running: pulses seen {seen0} -> {seen1}")
        closed_at = []
        for s in slow:
            got = raw_exchange(s, b"", max(0.1, t_stall + 8 - time.monotonic()))
            closed_at.append(time.monotonic() - t_stall)
            s.close()
        check(max(closed_at) < 7.5 and min(closed_at) > 4.0,
              f"stalled clients dropped at the 5 s deadline ({min(closed_at):.1f}..."
              f"{max(closed_at):.1f} s)")

        # -- 4. a flood over max_connections -----------------------------------------------------
        flood = []
        for _ in range(20):
            s = ns_connect(a, "127.0.0.1", PORT)
            s.sendall(b"GET /metrics HTTP/1.1\r\n")
            flood.append(s)
        t_flood = time.monotonic()
        time.sleep(0.3)
        busy = 0
        for s in flood:
            s.setblocking(False)
            try:
                data = s.recv(4096)
                if status_code(data) == 503:
                    busy += 1
            except BlockingIOError:
                pass
        check(busy >= 4, f"the surplus of 20 stalled connections got 503 at once ({busy})")
        code, _, took = get(a, "127.0.0.1", PORT)
        check(code in (200, 503) and took < 1.0,
              f"a client during the flood gets an answer at once ({code}, {took * 1e3:.0f} ms)")
        d.wait_for(lambda: get(a, "127.0.0.1", PORT)[0] == 200, 8, "served after the flood")
        check(time.monotonic() - t_flood < 7.5,
              f"served again {time.monotonic() - t_flood:.1f} s after the flood (deadline 5 s)")
        for s in flood:
            s.close()

        # -- 5. malformed requests ---------------------------------------------------------------
        big_header = b"GET /metrics HTTP/1.1\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n"
        cases = [
            (b"GARBAGE\r\n\r\n", 400, "a request line without spaces"),
            (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, "TLS ClientHello bytes"),
            (b"GET /metrics HTTP/9.9\r\n\r\n", 400, "an unknown HTTP version"),
            (b"GET metrics HTTP/1.1\r\n\r\n", 400, "a target without /"),
            (b"GET /status?since=abc HTTP/1.1\r\n\r\n", 400, "a bad /status query"),
            (b"GET  /metrics HTTP/1.1\r\n\r\n", 400, "two spaces in the request line"),
            (b"GET /metrics HTTP/1.1\r\nNoColonHere\r\n\r\n", 400, "a header without a colon"),
            (b"GET /met\x00rics HTTP/1.1\r\n\r\n", 400, "a NUL in the target"),
            (b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 404, "an unknown path"),
            (b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", 405, "POST"),
            (b"DELETE /status HTTP/1.1\r\n\r\n", 405, "DELETE"),
            (b"GET /metrics HTTP/1.1\r\nContent-Length: 100000\r\n\r\n", 413, "a huge body"),
            (b"GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 413, "a chunked body"),
            (big_header, 431, "a 9 KB header"),
            (b"GET /" + b"x" * 20000 + b" HTTP/1.1\r\n\r\n", 431, "a 20 KB request line"),
        ]
        for data, want, what in cases:
            s = ns_connect(a, "127.0.0.1", PORT)
            got = raw_exchange(s, data, 6)
            s.close()
            check(status_code(got) == want, f"{what}: {want} (got {got[:30]!r})")

        # Clients that vanish: connect and close at once; request the full /status and reset
        # the connection before reading (the daemon's write fails: no SIGPIPE, no crash).
        for _ in range(5):
            ns_connect(a, "127.0.0.1", PORT).close()
            s = ns_connect(a, "127.0.0.1", PORT)
            s.sendall(b"GET /status?since=0 HTTP/1.1\r\n\r\n")
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        # Half-closed right after the request: still answered.
        s = ns_connect(a, "127.0.0.1", PORT)
        s.sendall(b"GET /metrics HTTP/1.1\r\n\r\n")
        s.shutdown(socket.SHUT_WR)
        check(status_code(raw_exchange(s, b"", 5)) == 200, "half-closed client: still 200")
        s.close()

        # -- 6. still alive and well -----------------------------------------------------------
        check(d.running(), "the daemon is still running")
        code, body, _ = get(a, "127.0.0.1", PORT)
        m = parse_metrics(body.decode())
        check(code == 200 and m.state() == "tracking", "/metrics parses, still tracking")
        seen2 = pulses_seen(d)
        time.sleep(2.2)
        seen3 = pulses_seen(d)
        check(seen3 >= seen2 + 1 and seen2 > seen1, f"pulses still counted ({seen1} -> {seen2} -> "
                                                    f"{seen3})")
        rc = d.terminate()
        check(rc == 0, f"SIGTERM: exit status 0 (got {rc})")


def main():
    cleanup_on_sigterm()
    started = time.monotonic()
    with NetnsPair("endpoint") as net:
        part_default(net)
        part_public(net)
    print(f"PASS ({time.monotonic() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
