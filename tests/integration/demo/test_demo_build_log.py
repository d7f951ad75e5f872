"""scripts/demo's build step keeps the terminal quiet: the compiler's output goes to
<build dir>/demo-build.log and, when the build fails, the demo says where that log is and
exits 1 before creating anything (no work directory, no namespace).

The failure is made cheaply and for certain: NANOTIME_BUILD_DIR is a fresh directory whose
CMakeCache.txt claims another source tree, which cmake refuses at once. (A successful build is
what demo_full_chain's "build 0 s" and a first run measure.)
"""

import os
import re
import shutil
import subprocess
import tempfile

from demorun import DEMO, check, namespaces

def main():
    build = tempfile.mkdtemp(prefix="nanotime-demo-build-")
    try:
        with open(os.path.join(build, "CMakeCache.txt"), "w") as f:
            f.write("CMAKE_HOME_DIRECTORY:INTERNAL=/nonexistent/other-source-tree\n")
        before = set(namespaces())
        env = dict(os.environ, NANOTIME_BUILD_DIR=build)
        r = subprocess.run([DEMO], capture_output=True, text=True, timeout=120, env=env,
                           stdin=subprocess.DEVNULL)
        out = r.stdout + r.stderr
        print(out)
        log = os.path.join(build, "demo-build.log")
        check(r.returncode == 1, f"a failed build: exit status 1 (got {r.returncode})")
        check(f"the whole output is in {log}" in out, "the demo names the build log's path")
        with open(log) as f:
            text = f.read()
        check("does not match the source" in text and "used to generate cache" in text,
              "the log holds cmake's own error (the cache is for another source tree)")
        check("work directory:" not in out and set(namespaces()) == before,
              "nothing was started: no work directory, no namespace")
        shown = [l for l in r.stdout.splitlines() if l.strip()]
        check(len(shown) <= 3, f"the terminal got a few lines, not the build's output: {shown}")
    finally:
        shutil.rmtree(build, ignore_errors=True)
    print("PASS", flush=True)


if __name__ == "__main__":
    main()
