#!/bin/bash
# nanotime: one front door to the nanotime tools (installed as /usr/bin/nanotime).
#   nanotime status ...  -> nanotime-status ...   (exit 0 locked, 1 degraded, 2 failed)
#   nanotime doctor ...  -> nanotime-doctor ...
#   nanotime setup ...   -> nanotime-setup ...
#   nanotime record ...  -> nanotime-record ...
#   nanotime receiver ...-> nanotime-receiver ... (configure the u-blox timing receiver)
# The tool is looked for in $NANOTIME_BIN_DIR, next to this script, /usr/sbin and /usr/bin, in
# that order, and run with exec: its exit status is nanotime's.
set -u

usage() {
  cat <<'EOF'
Usage: nanotime COMMAND [ARGS...]

Commands:
  status    the box at a glance, like `chronyc tracking` (nanotime-status);
            exit 0 locked, 1 degraded, 2 failed; --json for monitoring
  doctor    check the hardware, chronyd, gpsd and ptp4l set-up (nanotime-doctor)
  setup     configure this box as a time server (nanotime-setup)
  record    record phc-pps-sync's inputs and outputs for a while (nanotime-record)
  receiver  the u-blox timing receiver: status, configure [--dry-run], survey,
            fix-position, save (nanotime-receiver)

`nanotime COMMAND --help` shows the options of COMMAND.
Tools are looked for in $NANOTIME_BIN_DIR, next to nanotime, /usr/sbin and /usr/bin.
EOF
}

# find_tool NAME: prints the first executable NAME in the search path, or fails.
find_tool() {
  local self dir
  self=$(readlink -f -- "${BASH_SOURCE[0]}" 2>/dev/null || printf '%s' "${BASH_SOURCE[0]}")
  for dir in "${NANOTIME_BIN_DIR:-}" "$(dirname -- "$self")" /usr/sbin /usr/bin; do
    [ -n "$dir" ] || continue
    if [ -f "$dir/$1" ] && [ -x "$dir/$1" ]; then
      printf '%s\n' "$dir/$1"
      return 0
    fi
  done
  return 1
}

if [ $# -eq 0 ]; then
  usage >&2
  exit 64  # EX_USAGE
fi

case "$1" in
  -h|--help|help)
    usage
    exit 0
    ;;
  status|doctor|setup|record|receiver)
    tool="nanotime-$1"
    shift
    if ! path=$(find_tool "$tool"); then
      echo "nanotime: $tool not found (looked in ${NANOTIME_BIN_DIR:+\$NANOTIME_BIN_DIR, }the" \
           "directory of nanotime, /usr/sbin, /usr/bin)" >&2
      exit 127
    fi
    exec "$path" "$@"
    ;;
  *)
    echo "nanotime: unknown command '$1' (try: nanotime --help)" >&2
    exit 64
    ;;
esac
