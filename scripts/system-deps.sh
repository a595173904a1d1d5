#!/usr/bin/env bash
# Install the Debian packages OpsHub needs when any is missing.
#   scripts/system-deps.sh run    what `make run` needs
#   scripts/system-deps.sh test   plus the real servers and browser the tests drive
set -euo pipefail
mode=${1:-run}
run_pkgs=(python3 python3-venv python3-dev gcc pkg-config librrd-dev rrdtool rsync iproute2 curl)
test_pkgs=(postgresql haproxy dovecot-imapd rcs chromium chromium-driver nagios4
           monitoring-plugins iputils-arping slapd ldap-utils prosody kannel kannel-extras)
pkgs=("${run_pkgs[@]}")
[ "$mode" = test ] && pkgs+=("${test_pkgs[@]}")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing system packages: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Packaged daemons must not hold ports or run beside the ones the tests start.
for svc in dovecot haproxy nagios4 slapd prosody kannel; do
  "${sudo_cmd[@]}" service "$svc" stop >/dev/null 2>&1 || true
done
