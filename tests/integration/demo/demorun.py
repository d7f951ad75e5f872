"""Runs scripts/demo for the tests in this folder and checks what it leaves behind (Python 3
standard library only).

    with DemoRun() as demo:            # scripts/demo in its own session, output to a file
        demo.wait_for_output("== waiting for the chain", 60)
        rc = demo.wait(240)
        leftovers = demo.leftovers()   # [] when nothing of the demo remains

The demo is started with start_new_session, so its session id is its pid: every process it
started (directly, or through `ip netns exec`) is in that session unless it called setsid()
itself, which none of its daemons does in the foreground modes the demo uses. Its namespaces
are "ntime-<pid>-demo-*". On exit of the `with` (also after a failure) whatever is left is
killed and deleted, so a failing test does not leave processes or namespaces either.
"""

import os
import re
import signal
import subprocess
import tempfile
import time

BIN_DIR = os.environ.get("NANOTIME_BIN_DIR", "")
SOURCE_DIR = os.environ.get("NANOTIME_SOURCE_DIR",
                            os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
DEMO = os.path.join(SOURCE_DIR, "scripts", "demo")
ANSI = re.compile(r"\x1b\[[0-9;]*m")
SANITIZER = re.compile(r"ERROR: (Address|Leak|Undefined|Thread)Sanitizer|runtime error:")
NEEDED = ("gps-sock-bridge", "phc-pps-sync", "nanotime-status")


class DemoError(AssertionError):
    pass


def check(cond, what):
    if not cond:
        raise DemoError(f"FAILED: {what}")
    print(f"ok: {what}", flush=True)


def session_processes(sid):
    """[(pid, cmdline)] of the processes whose session id is `sid`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            # Fields after "(comm)": state ppid pgrp session ...
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[3]) != sid:
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except (OSError, ValueError, IndexError):
            continue  # exited meanwhile
        found.append((int(entry), cmd))
    return found


def processes_mentioning(text):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if text in cmd:
            found.append((int(entry), cmd))
    return found


def namespaces():
    r = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10)
    return [line.split()[0] for line in r.stdout.splitlines() if line.strip()]


class DemoRun:
    def __init__(self, args=()):
        if not BIN_DIR:
            raise DemoError("NANOTIME_BIN_DIR is not set (run under ctest)")
        missing = [n for n in NEEDED if not os.access(os.path.join(BIN_DIR, n), os.X_OK)]
        if missing:
            raise DemoError(f"not built in {BIN_DIR}: {', '.join(missing)}; the demo would try to "
                            f"build them itself, which a test must not do")
        self.args = list(args)
        self.out = tempfile.NamedTemporaryFile(prefix="nanotime-demo-test-", suffix=".log",
                                               delete=False)
        self.proc = None
        self.pid = None
        self.t_start = None

    def __enter__(self):
        env = dict(os.environ)
        env["NANOTIME_BUILD_DIR"] = os.path.dirname(os.path.abspath(BIN_DIR))
        self.t_start = time.monotonic()
        self.proc = subprocess.Popen([DEMO, *self.args], stdout=self.out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        self.pid = self.proc.pid
        print(f"started {DEMO} (pid {self.pid}, output {self.out.name})", flush=True)
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is not None:
                print("--- demo output ---\n" + self.output() + "---", flush=True)
            self.force_cleanup()
        finally:
            self.out.close()
            os.unlink(self.out.name)
        return False

    # -- observing ------------------------------------------------------------------------
    def output(self):
        with open(self.out.name, errors="replace") as f:
            return ANSI.sub("", f.read())

    def elapsed_s(self):
        return time.monotonic() - self.t_start

    def wait_for_output(self, text, timeout_s):
        deadline = time.monotonic() + timeout_s
        while text not in self.output():
            if self.proc.poll() is not None:
                raise DemoError(f"demo exited ({self.proc.returncode}) before printing {text!r}")
            if time.monotonic() > deadline:
                raise DemoError(f"demo did not print {text!r} within {timeout_s} s")
            time.sleep(0.2)

    def wait(self, timeout_s):
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise DemoError(f"demo still running after {timeout_s} s")

    def work_dir(self):
        m = re.search(r"work directory: (\S+)", self.output())
        return m.group(1) if m else None

    def namespaces(self):
        return [ns for ns in namespaces() if ns.startswith(f"ntime-{self.pid}-demo-")]

    def session(self):
        return [p for p in session_processes(self.pid) if p[0] != self.pid]

    def sanitizer_reports(self):
        """Lines of ASan/UBSan/LSan reports in the logs of the work directory (needs --keep)."""
        work = self.work_dir()
        found = []
        for name in sorted(os.listdir(work)) if work and os.path.isdir(work) else []:
            path = os.path.join(work, name)
            if not name.endswith(".log") or not os.path.isfile(path):
                continue
            with open(path, errors="replace") as f:
                found += [f"{name}: {line.strip()}" for line in f
                          if SANITIZER.search(line)]
        return found

    def leftovers(self, work_dir_kept=False):
        """What of the demo still exists: processes in its session or naming its work
        directory, its namespaces, its work directory (unless kept on purpose: --keep)."""
        left = [f"process {pid}: {cmd}" for pid, cmd in session_processes(self.pid)]
        work = self.work_dir()
        if work:
            left += [f"process {pid} (names {work}): {cmd}"
                     for pid, cmd in processes_mentioning(work)
                     if f"process {pid}:" not in " ".join(left)]
            if os.path.exists(work) and not work_dir_kept:
                left.append(f"work directory {work}")
        left += [f"namespace {ns}" for ns in self.namespaces()]
        return left

    # -- cleaning up after a failed test ---------------------------------------------------
    def force_cleanup(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGTERM)
                self.proc.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        for pid, _ in session_processes(self.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=10)
        for ns in self.namespaces():
            r = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True)
            for pid in r.stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            subprocess.run(["ip", "netns", "delete", ns], capture_output=True)
        work = self.work_dir()
        if work and work.startswith("/tmp/nanotime-demo.") and os.path.isdir(work):
            subprocess.run(["rm", "-rf", work])
