#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages that are missing, when we may (root or
# sudo). Usage: apt-deps.sh PKG... -- ALTERNATIVE...  (the first alternative
# the distribution knows is used). Without root it prints what to install.
set -euo pipefail
required=() alternatives=() seen_sep=0
for a in "$@"; do
  if [ "$a" = "--" ]; then seen_sep=1; continue; fi
  if [ $seen_sep = 0 ]; then required+=("$a"); else alternatives+=("$a"); fi
done
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "apt-deps: not a Debian/Ubuntu system; install the equivalents of: ${required[*]} ${alternatives[*]}" >&2
  exit 0
fi
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for p in "${required[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#alternatives[@]} -gt 0 ]; then
  have_alt=0
  for p in "${alternatives[@]}"; do installed "$p" && have_alt=1; done
  [ $have_alt = 1 ] || missing+=("@alt")
fi
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=sudo; else
    echo "apt-deps: missing packages: ${missing[*]} (alternatives: ${alternatives[*]})" >&2
    echo "apt-deps: run as root or install them with apt-get" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
final=()
for p in "${missing[@]}"; do
  if [ "$p" = "@alt" ]; then
    for a in "${alternatives[@]}"; do
      if apt-cache show "$a" >/dev/null 2>&1; then final+=("$a"); break; fi
    done
  else
    final+=("$p")
  fi
done
echo "apt-deps: installing ${final[*]}"
$SUDO apt-get install -y -qq --no-install-recommends "${final[@]}" >/dev/null
