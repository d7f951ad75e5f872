"""Support code of nanotime-setup and nanotime-doctor (Python 3 standard library only).

hw        -- what the machine is: board model, network interfaces, PTP hardware clocks (PHCs).
textedit  -- marked blocks in config files, unified diffs, transactional writes with backups.
setup     -- nanotime-setup.
doctor    -- nanotime-doctor.

Every function that looks at the system takes a `root` directory ("/" on a real machine), so
the tests run both tools against fake trees (tests/fixtures/).
"""
