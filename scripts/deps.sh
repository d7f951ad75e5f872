# shellcheck shell=bash
# Debian 12 packages nanotime needs, shared by scripts/test and scripts/demo.
# nanotime_ensure_packages PKG...: installs the missing ones (as root), or says what to install.

NANOTIME_BUILD_PACKAGES=(g++ cmake make pkg-config libfmt-dev libcli11-dev libtomlplusplus-dev
  libgps-dev libsystemd-dev zlib1g-dev catch2 python3)
NANOTIME_RUNTIME_PACKAGES=(chrony gpsd gpsd-clients linuxptp iproute2 procps util-linux faketime
  chromium python3-prometheus-client systemd)

nanotime_missing_packages() {
  local p missing=()
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  echo "${missing[@]}"
}

nanotime_ensure_packages() {
  local missing
  missing=$(nanotime_missing_packages "$@")
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "nanotime: these Debian packages are missing: $missing" >&2
    echo "nanotime: install them with:  sudo apt-get install $missing" >&2
    return 1
  fi
  echo "nanotime: installing $missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  # A mirror in mid-sync can fail one index (seen with foreign-architecture security lists);
  # the packages may still be installable, so only the install decides.
  apt-get update -qq || echo "nanotime: apt-get update reported errors; trying the install anyway" >&2
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null || return 1
}
