"""Runs tests/tools/refclock-feed (built into $NANOTIME_BIN_DIR) and follows its counters."""

import os
import re
import signal
import subprocess
import threading
import time

from chronyharness import HarnessError, die_with_parent

COUNTERS = re.compile(r"(\w+)=(-?\d+)")


def feed_binary():
    bin_dir = os.environ.get("NANOTIME_BIN_DIR")
    if not bin_dir:
        raise HarnessError("NANOTIME_BIN_DIR is not set (run through ctest)")
    path = os.path.join(bin_dir, "refclock-feed")
    if not os.access(path, os.X_OK):
        raise HarnessError(f"{path} is missing: build the refclock-feed target")
    return path


class Feed:
    """refclock-feed ARGS... as a context manager; counters() is its latest status line."""

    def __init__(self, *args, env=None):
        self.args = [feed_binary(), *map(str, args)]
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.lines = []
        self.proc = None
        self._lock = threading.Lock()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        rc = self.stop()
        # A writer that crashed or failed (e.g. a sanitizer report at exit) fails the test,
        # unless the test is already failing for another reason.
        if exc_type is None and rc not in (0, None):
            tail = "\n".join(self.output()[-20:])
            raise HarnessError(f"refclock-feed exited with status {rc}:\n{tail}")
        return False

    def start(self):
        print("running:", " ".join(self.args), flush=True)
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env=self.env, preexec_fn=die_with_parent)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def stop(self):
        """SIGTERM (then SIGKILL after 5 s); returns the exit status."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._reader.join(timeout=5)
        rc = self.proc.returncode
        self.proc = None
        return rc

    def output(self):
        with self._lock:
            return list(self.lines)

    def counters(self):
        """The last counters line as a dict of ints ({} before the first one)."""
        for line in reversed(self.output()):
            found = dict((k, int(v)) for k, v in COUNTERS.findall(line))
            if found:
                return found
        return {}

    def wait_for(self, predicate, timeout_s, what):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            c = self.counters()
            if c and predicate(c):
                return c
            if self.proc is not None and self.proc.poll() is not None:
                break
            time.sleep(0.1)
        tail = "\n".join(self.output()[-15:])
        raise HarnessError(f"refclock-feed: timed out after {timeout_s} s waiting for: {what}\n"
                           f"last output:\n{tail}")
