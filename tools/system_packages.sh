#!/usr/bin/env bash
# The Debian packages the portal needs beyond Python: Pango for WeasyPrint (the PDF
# reports) and DejaVu fonts, which carry every Vietnamese glyph. Installed with apt-get
# when run as root and a package is missing; otherwise says what to install and goes on
# (the rest of the portal works without them; only the PDFs need them).
set -euo pipefail

PACKAGES=(fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)

command -v dpkg-query >/dev/null || { echo "Not Debian: install Pango and DejaVu fonts for the PDF reports."; exit 0; }
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing ${missing[*]} (PDF reports)"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
else
  echo "The PDF reports need: sudo apt-get install ${missing[*]}"
fi
