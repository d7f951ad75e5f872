"""Editing other packages' config files safely: marked blocks, diffs, transactional writes.

A tool that edits /boot/firmware/config.txt or /etc/default/gpsd must never append the same
lines twice, never leave half of its changes behind, and always keep the original. So:

- Our lines live between "# BEGIN nanotime-setup" and "# END nanotime-setup" markers: a rerun
  replaces the block, never appends a second one.
- A Plan collects every change first (file contents, symlinks) and checks them; nothing is
  written until the whole plan is known to be valid. `--dry-run` prints the plan as unified
  diffs and stops there.
- Plan.apply() backs up every file it changes (FILE.nanotime-setup.bak the first time: the
  pristine original; FILE.nanotime-setup.<UTC time>.bak after that), writes each file through
  a temporary file and rename(), and on any error restores what it already changed.
A plan with no changes writes nothing and creates no backup: a second run is a no-op.
"""

import difflib
import os
import shutil
import time

MARK = "nanotime-setup"
BACKUP_SUFFIX = ".nanotime-setup.bak"


class EditError(Exception):
    """A file we must edit is not in a state we can edit safely (e.g. a BEGIN without END)."""


def begin_marker(tag=None, comment="#"):
    return f"{comment} BEGIN {MARK}" + (f" {tag}" if tag else "")


def end_marker(tag=None, comment="#"):
    return f"{comment} END {MARK}" + (f" {tag}" if tag else "")


def find_block(lines, tag=None, comment="#", path="file"):
    """(begin, end) line indexes of our block (end inclusive), or None. Raises EditError on a
    damaged block (BEGIN without END, END without BEGIN, two blocks)."""
    b, e = begin_marker(tag, comment), end_marker(tag, comment)
    begins = [i for i, l in enumerate(lines) if l.rstrip() == b]
    ends = [i for i, l in enumerate(lines) if l.rstrip() == e]
    if not begins and not ends:
        return None
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        where = ", ".join(str(i + 1) for i in sorted(begins + ends))
        raise EditError(f"{path}: damaged '{b}' / '{e}' block (marker lines {where}); "
                        "fix or remove the markers by hand, then run nanotime-setup again")
    return begins[0], ends[0]


def set_block(text, body_lines, tag=None, comment="#", insert_at=None, path="file"):
    """`text` with our block (markers + body_lines) replaced, or inserted before line index
    `insert_at` (None: appended at the end, after a blank line)."""
    lines = text.splitlines()
    block = [begin_marker(tag, comment), *body_lines, end_marker(tag, comment)]
    found = find_block(lines, tag, comment, path)
    if found:
        b, e = found
        lines[b:e + 1] = block
    elif insert_at is not None:
        lines[insert_at:insert_at] = block
    else:
        while lines and not lines[-1].strip():
            lines.pop()
        if lines:
            lines.append("")
        lines.extend(block)
    return "\n".join(lines) + "\n"


def outside_block(lines, tag=None, comment="#", path="file"):
    """Indexes of the lines that are not part of our block."""
    found = find_block(lines, tag, comment, path)
    if not found:
        return list(range(len(lines)))
    b, e = found
    return [i for i in range(len(lines)) if i < b or i > e]


class FileChange:
    def __init__(self, path, display, old, new, mode=0o644):
        self.path = path        # real path (inside --root)
        self.display = display  # path as on the target system, for messages
        self.old = old          # bytes, or None for a new file
        self.new = new          # bytes
        self.mode = mode        # for new files


class LinkChange:
    def __init__(self, path, display, target, remove=False):
        self.path = path
        self.display = display
        self.target = target    # symlink target (absolute path on the target system)
        self.remove = remove


class Plan:
    def __init__(self):
        self.changes = []
        self.notes = []         # what the user should know (printed after the changes)
        self.backups = []       # filled by apply()

    # -- building ---------------------------------------------------------------------------
    def write(self, path, display, new_text, old_bytes=None, mode=0o644):
        """Plan `path` to contain new_text; no change if it already does."""
        new = new_text.encode() if isinstance(new_text, str) else new_text
        if old_bytes == new:
            return False
        self.changes.append(FileChange(path, display, old_bytes, new, mode))
        return True

    def link(self, path, display, target):
        self.changes.append(LinkChange(path, display, target))

    def unlink(self, path, display, target):
        self.changes.append(LinkChange(path, display, target, remove=True))

    def empty(self):
        return not self.changes

    # -- showing ----------------------------------------------------------------------------
    def diff(self):
        """The plan as text: unified diffs for files, one line per symlink."""
        out = []
        for c in self.changes:
            if isinstance(c, LinkChange):
                if c.remove:
                    out.append(f"--- disable: remove {c.display} (-> {c.target})\n")
                else:
                    out.append(f"+++ enable: {c.display} -> {c.target}\n")
                continue
            old = c.old.decode("utf-8", "replace").splitlines(True) if c.old is not None else []
            new = c.new.decode("utf-8", "replace").splitlines(True)
            a = c.display if c.old is not None else "/dev/null"
            lines = list(difflib.unified_diff(old, new, a, c.display))
            out.append("".join(l if l.endswith("\n") else l + "\n\\ No newline at end of file\n"
                               for l in lines))
        return "".join(out)

    # -- doing ------------------------------------------------------------------------------
    def check_writable(self):
        """Errors (strings) for every target we could not write: read-only file system, a
        directory where a file should be, ... Checked before anything is written."""
        errors = []
        for c in self.changes:
            parent = os.path.dirname(c.path)
            existing = parent
            while not os.path.isdir(existing):
                if os.path.lexists(existing):
                    errors.append(f"{c.display}: {existing} exists and is not a directory")
                    break
                existing = os.path.dirname(existing)
            else:
                if not os.access(existing, os.W_OK):
                    errors.append(f"{c.display}: cannot write in {existing} (read-only file "
                                  "system or no permission; run as root)")
            if isinstance(c, FileChange) and os.path.isdir(c.path):
                errors.append(f"{c.display} is a directory")
        return errors

    def apply(self, now=None):
        """Write everything (backups first). On any error, undo what was done and re-raise."""
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))
        undo = []
        try:
            for c in self.changes:
                if isinstance(c, LinkChange):
                    self._apply_link(c, undo)
                else:
                    self._apply_file(c, stamp, undo)
        except BaseException:
            for action in reversed(undo):
                try:
                    action()
                except OSError:
                    pass  # best effort: the original error below is what matters
            self.backups = []
            raise

    def _apply_link(self, c, undo):
        if c.remove:
            os.unlink(c.path)
            undo.append(lambda: os.symlink(c.target, c.path))
            return
        made = _makedirs(os.path.dirname(c.path))
        undo.extend(lambda d=d: os.rmdir(d) for d in made)
        os.symlink(c.target, c.path)
        undo.append(lambda: os.unlink(c.path))

    def _apply_file(self, c, stamp, undo):
        made = _makedirs(os.path.dirname(c.path))
        undo.extend(lambda d=d: os.rmdir(d) for d in made)
        if c.old is not None:
            backup = c.path + BACKUP_SUFFIX
            if os.path.lexists(backup):
                backup = f"{c.path}.{MARK}.{stamp}.bak"
            shutil.copyfile(c.path, backup)
            undo.append(lambda: os.unlink(backup))
            try:
                shutil.copystat(c.path, backup)
            except OSError:
                pass  # FAT (/boot/firmware) may refuse modes/times: the contents are what count
            self.backups.append((c.display, backup))
            mode = os.stat(c.path).st_mode & 0o7777
        else:
            mode = c.mode
        tmp = f"{c.path}.{MARK}.tmp"
        with open(tmp, "wb") as f:
            f.write(c.new)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.chmod(tmp, mode)
        except OSError:
            pass  # e.g. FAT /boot/firmware has no modes
        os.replace(tmp, c.path)
        if c.old is not None:
            old = c.old
            undo.append(lambda: _write_bytes(c.path, old))
        else:
            undo.append(lambda: os.unlink(c.path))


def _write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)


def _makedirs(path):
    """mkdir -p; returns the directories it created, outermost first (for undo)."""
    made = []
    p = path
    while not os.path.isdir(p):
        made.append(p)
        p = os.path.dirname(p)
    for d in reversed(made):
        os.mkdir(d, 0o755)
    return list(reversed(made))
