#!/bin/sh
# keepalived notify script: report every VRRP state change to OpsHub.
#
#   vrrp_instance VI_1 {
#       ...
#       notify "/usr/local/bin/opshub-notify.sh node-a"   # node name optional
#   }
#
# keepalived appends TYPE NAME STATE PRIORITY (INSTANCE|GROUP, the instance name,
# MASTER|BACKUP|FAULT|STOP, the priority) to the configured command, so the script
# takes either `NODE TYPE NAME STATE PRIORITY` or `TYPE NAME STATE PRIORITY`.
# It POSTs {type,name,state,priority,node,timestamp[,vip,holds_vip]} as JSON to
# $OPSHUB_URL/api/v1/events/keepalived.
#
# The hub orders changes by `timestamp` (POSTs of two nodes can cross on the wire)
# and a master that is SIGKILLed or hung sends nothing at all, which is why the
# node reports its own clock and name. Keep the nodes' clocks in sync (NTP).
#
# Configuration: environment, else /etc/opshub/keepalived.conf (KEY=VALUE lines,
# read, never sourced): OPSHUB_URL (default http://127.0.0.1:8080), OPSHUB_TOKEN,
# OPSHUB_NODE (default: hostname), OPSHUB_VIP (optional, e.g. 10.77.0.100/24:
# reports whether this node holds it). keepalived >= 2 runs scripts only as the
# configured script_user and with enable_script_security requires root-owned paths.
# The script always exits 0: keepalived ignores the status, and a slow hub must not
# delay failover (curl is bounded by --max-time and retries).

set -u

CONFIG=${OPSHUB_KEEPALIVED_CONFIG:-/etc/opshub/keepalived.conf}

conf_get() {
    # Print the value of KEY from $CONFIG without evaluating anything.
    [ -r "$CONFIG" ] || return 0
    sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$CONFIG" | tail -n 1 |
        sed "s/^[\"']//; s/[\"'][[:space:]]*\$//"
}

json_str() {
    # JSON string literal: escape backslash and quote, drop control characters.
    printf '"%s"' "$(printf '%s' "$1" | tr -d '\000-\037' | sed 's/\\/\\\\/g; s/"/\\"/g')"
}

if [ $# -eq 5 ]; then
    NODE_ARG=$1
    shift
else
    NODE_ARG=
fi
if [ $# -ne 4 ]; then
    echo "usage: $0 [NODE] TYPE NAME STATE PRIORITY" >&2
    exit 0
fi
TYPE=$1 NAME=$2 STATE=$3 PRIO=$4

URL=${OPSHUB_URL:-$(conf_get OPSHUB_URL)}
URL=${URL:-http://127.0.0.1:8080}
TOKEN=${OPSHUB_TOKEN:-$(conf_get OPSHUB_TOKEN)}
NODE=${NODE_ARG:-${OPSHUB_NODE:-$(conf_get OPSHUB_NODE)}}
NODE=${NODE:-$(hostname)}
VIP=${OPSHUB_VIP:-$(conf_get OPSHUB_VIP)}

case $PRIO in
    '' | *[!0-9]*) PRIO_JSON=null ;;
    *) PRIO_JSON=$PRIO ;;
esac

# Milliseconds where GNU date offers them; seconds elsewhere.
STAMP=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ 2>/dev/null)
case $STAMP in
    *N* | '') STAMP=$(date -u +%Y-%m-%dT%H:%M:%SZ) ;;
esac

EXTRA=
if [ -n "$VIP" ]; then
    HOLDS=false
    if ip -o addr show 2>/dev/null | grep -qF " ${VIP%%/*}/"; then
        HOLDS=true
    fi
    EXTRA=", \"vip\": $(json_str "$VIP"), \"holds_vip\": $HOLDS"
fi

BODY="{\"source\": \"keepalived\", \"type\": $(json_str "$TYPE"), \"name\": $(json_str "$NAME"),\
 \"state\": $(json_str "$STATE"), \"priority\": $PRIO_JSON, \"node\": $(json_str "$NODE"),\
 \"timestamp\": $(json_str "$STAMP")$EXTRA}"

# The token goes to curl on stdin (--config -), not on its command line, so it does
# not show up in `ps`.
printf 'header = "Authorization: Bearer %s"\n' "$TOKEN" |
    curl --silent --show-error --fail --max-time 5 --retry 3 --retry-connrefused \
        --retry-delay 1 --config - \
        --header 'Content-Type: application/json' --header 'User-Agent: opshub-keepalived/1' \
        --data-binary "$BODY" "${URL%/}/api/v1/events/keepalived" >/dev/null ||
    logger -t opshub-notify "could not report $TYPE $NAME $STATE to $URL" 2>/dev/null

exit 0
