"""nanotime-setup --allow CIDR (repeatable) on the cm4-fresh fixture: chrony `allow` lines in
/etc/chrony/conf.d/nanotime-server.conf, validated with Python's ipaddress, accepted by the real
`chronyd -p`; a rerun with other networks replaces the block (no duplicates), keeps lines the
user added outside it and leaves an NTS block alone; --dry-run writes nothing.
"""

import subprocess

from setuphelpers import Workspace, check, diff_snapshots

DROPIN = "etc/chrony/conf.d/nanotime-server.conf"


def allow_lines(text):
    return [l for l in text.splitlines() if l.startswith("allow ")]


def main():
    with Workspace("cm4-fresh") as ws:
        before = ws.snapshot()
        r = ws.setup("--dry-run", "--allow", "192.168.1.0/24")
        check("+allow 192.168.1.0/24" in r.stdout, "--dry-run shows the allow line in a diff")
        check(not diff_snapshots(before, ws.snapshot()), "--dry-run wrote nothing")

        ws.setup("--allow", "192.168.1.0/24", "--allow", "2001:db8:1::/64", "--allow", "10.0.0.7",
                 "--allow", "192.168.1.0/24")
        text = ws.read(DROPIN)
        check(allow_lines(text) == ["allow 192.168.1.0/24", "allow 2001:db8:1::/64",
                                    "allow 10.0.0.7/32"],
              f"one line per network, in order, duplicates dropped: {allow_lines(text)}")
        r = subprocess.run(["chronyd", "-p", "-f", ws.path(DROPIN)], capture_output=True,
                           text=True, timeout=30)
        check(r.returncode == 0 and "allow 2001:db8:1::/64" in r.stdout,
              "chronyd -p parses the drop-in and prints the allow lines")

        with open(ws.path(DROPIN), "a") as f:
            f.write("\n# mine\nallow 172.16.0.0/12\n")
        ws.setup("--nts")
        ws.setup("--allow", "192.168.2.0/24")
        text = ws.read(DROPIN)
        check(allow_lines(text) == ["allow 192.168.2.0/24", "allow 172.16.0.0/12"],
              f"a rerun replaces the block and keeps the user's line: {allow_lines(text)}")
        check("ntsservercert /etc/chrony/nanotime-nts.crt" in text, "--allow leaves the NTS block")
        before = ws.snapshot()
        r = ws.setup("--allow", "192.168.2.0/24")
        check("nothing to change" in r.stdout and not diff_snapshots(before, ws.snapshot()),
              "the same --allow again: nothing to change")
    print("PASS")


if __name__ == "__main__":
    main()
