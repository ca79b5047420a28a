#!/usr/bin/env bash
# Make sure the system packages a target needs are here. On Debian/Ubuntu as root, install the missing
# ones; elsewhere, print exactly what to install and fail.
# Usage: scripts/system-deps.sh demo|test
set -euo pipefail
need=()
have() { command -v "$1" >/dev/null 2>&1; }
pg_bindir() {
  if have pg_config && [ -x "$(pg_config --bindir)/initdb" ]; then pg_config --bindir; return; fi
  if have initdb; then dirname "$(command -v initdb)"; return; fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}
have msgfmt || need+=(gettext)
# The PDFs' fonts (receipts, posters; see src/wuye/core/pdffonts.py): the primary CJK font, and the
# fallbacks for CJK Extension A and B (HanaMinA, HanaMinB), so that a rare character of a name prints.
[ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
[ -f /usr/share/fonts/truetype/hanazono/HanaMinB.ttf ] || need+=(fonts-hanazono)
if [ "${1:-demo}" = test ]; then
  [ -n "$(pg_bindir)" ] && [ -x "$(pg_bindir)/initdb" ] || need+=(postgresql)
  have chromium || [ -x /usr/bin/chromium ] || need+=(chromium)
  have redis-server || need+=(redis-server)
  have pdftotext || need+=(poppler-utils)
  # grep reads all (no -q): under pipefail, fc-list cut short by SIGPIPE would count as missing
  fc-list : family 2>/dev/null | grep -i "noto sans cjk" >/dev/null || need+=(fonts-noto-cjk)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && have apt-get; then
  echo "Installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  exit 0
fi
echo "Missing system packages: ${need[*]}" >&2
echo "Install them first, e.g. on Debian/Ubuntu: sudo apt-get install ${need[*]}" >&2
exit 1
