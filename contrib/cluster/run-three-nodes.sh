#!/usr/bin/env bash
# Three `hub serve` nodes on one PostgreSQL database, with HAProxy in front, on this
# machine: a runnable picture of a cluster (docs/cluster.md walks through it).
#
#   contrib/cluster/run-three-nodes.sh postgresql+psycopg://hub:pw@127.0.0.1/hub
#
# Each node gets its own data dir (CLUSTER_DIR/node-a ...), its own HUB_NODE_NAME and
# ports; all share the database and one HUB_SECRET_KEY (generated into
# CLUSTER_DIR/secret_key unless set). Ctrl-C (or SIGTERM) stops every process.
#
# Settings (environment, all optional):
#   CLUSTER_DIR      var/cluster                where data dirs, logs, pid files go
#   LB_HOST          127.0.0.1                  where HAProxy listens
#   HTTP_PORT        8080                       HAProxy's web + API port
#   SMTP_PORT        2525                       HAProxy's SMTP port
#   NODE_HTTP_PORTS  "8081 8082 8083"           the nodes' own web + API ports
#   NODE_SMTP_PORTS  "2526 2527 2528"           the nodes' own SMTP ports
#   WORKERS          (hub serve's default)      web processes per node (--workers)
#   HUB, HAPROXY     .venv/bin/hub, haproxy     the programs to run
# Every other HUB_* variable (HUB_SMARTHOST, HUB_MAIL_DOMAIN, HUB_CONFIG,
# HUB_ADMIN_PASSWORD ...) is passed to every node unchanged.
set -euo pipefail

url=${1:-${HUB_DATABASE_URL:-}}
if [[ -z $url || $url != postgresql* ]]; then
    echo "usage: $0 postgresql+psycopg://USER:PASSWORD@HOST/DATABASE" >&2
    echo "(several nodes need PostgreSQL: SQLite is one node's local file)" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
HUB=${HUB:-$root/.venv/bin/hub}
[[ -x $HUB ]] || HUB=$(command -v hub) || { echo "no hub command found (set HUB)" >&2; exit 2; }
HAPROXY=${HAPROXY:-$(command -v haproxy || echo /usr/sbin/haproxy)}
[[ -x $HAPROXY ]] || { echo "no haproxy found (apt-get install haproxy, or set HAPROXY)" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl is needed to wait for the nodes" >&2; exit 2; }

CLUSTER_DIR=${CLUSTER_DIR:-var/cluster}
mkdir -p "$CLUSTER_DIR"
CLUSTER_DIR=$(cd "$CLUSTER_DIR" && pwd)
LB_HOST=${LB_HOST:-127.0.0.1}
HTTP_PORT=${HTTP_PORT:-8080}
SMTP_PORT=${SMTP_PORT:-2525}
read -r -a http_ports <<<"${NODE_HTTP_PORTS:-8081 8082 8083}"
read -r -a smtp_ports <<<"${NODE_SMTP_PORTS:-2526 2527 2528}"
nodes=(node-a node-b node-c)
if (( ${#http_ports[@]} != 3 || ${#smtp_ports[@]} != 3 )); then
    echo "NODE_HTTP_PORTS and NODE_SMTP_PORTS name three ports each" >&2
    exit 2
fi

# One secret for the whole cluster: sessions and signed reply addresses made by one
# node must verify on every other.
if [[ -z ${HUB_SECRET_KEY:-} ]]; then
    if [[ ! -s $CLUSTER_DIR/secret_key ]]; then
        (umask 077 && head -c 48 /dev/urandom | base64 | tr -d '\n/+=' >"$CLUSTER_DIR/secret_key")
    fi
    HUB_SECRET_KEY=$(cat "$CLUSTER_DIR/secret_key")
fi
export HUB_DATABASE_URL=$url HUB_SECRET_KEY

pids=()
cleanup() {
    trap - INT TERM EXIT
    if (( ${#pids[@]} )); then
        echo "stopping the cluster"
        kill -TERM "${pids[@]}" 2>/dev/null || true
        wait || true
    fi
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap cleanup EXIT

serve_args=()
if [[ -n ${WORKERS:-} ]]; then
    if "$HUB" serve --help | grep -q -- '--workers'; then
        serve_args+=(--workers "$WORKERS")
    else
        echo "note: this hub serve has no --workers option; WORKERS ignored" >&2
    fi
fi

# Migrate and create the first queue and admin once, before the nodes start together.
HUB_DATA_DIR=$CLUSTER_DIR/${nodes[0]} HUB_NODE_NAME=${nodes[0]} "$HUB" init

for i in 0 1 2; do
    name=${nodes[$i]}
    dir=$CLUSTER_DIR/$name
    mkdir -p "$dir"
    HUB_DATA_DIR=$dir HUB_NODE_NAME=$name "$HUB" serve \
        --http "127.0.0.1:${http_ports[$i]}" --smtp "127.0.0.1:${smtp_ports[$i]}" \
        ${serve_args[@]+"${serve_args[@]}"} >>"$dir/serve.log" 2>&1 &
    pids+=($!)
    echo $! >"$dir/pid"
done

wait_healthy() {  # URL PID LOG: until GET URL answers 200, or the process is gone
    local deadline=$((SECONDS + 90))
    until curl -fs -o /dev/null --max-time 2 "$1" 2>/dev/null; do
        if ! kill -0 "$2" 2>/dev/null; then
            echo "process $2 exited; the end of $3:" >&2
            tail -n 40 "$3" >&2
            exit 1
        fi
        if (( SECONDS > deadline )); then
            echo "$1 did not answer within 90 s; see $3" >&2
            exit 1
        fi
        sleep 0.3
    done
}

for i in 0 1 2; do
    wait_healthy "http://127.0.0.1:${http_ports[$i]}/healthz" "${pids[$i]}" \
        "$CLUSTER_DIR/${nodes[$i]}/serve.log"
done

export LB_HTTP=$LB_HOST:$HTTP_PORT LB_SMTP=$LB_HOST:$SMTP_PORT LB_SOCKET=$CLUSTER_DIR/haproxy.sock
for i in 0 1 2; do
    letter=$(tr '[:lower:]' '[:upper:]' <<<"${nodes[$i]#node-}")
    export "NODE_${letter}_HTTP=127.0.0.1:${http_ports[$i]}"
    export "NODE_${letter}_SMTP=127.0.0.1:${smtp_ports[$i]}"
done
"$HAPROXY" -c -q -f "$here/haproxy.cfg"
"$HAPROXY" -db -f "$here/haproxy.cfg" >>"$CLUSTER_DIR/haproxy.log" 2>&1 &
pids+=($!)
echo $! >"$CLUSTER_DIR/haproxy.pid"
wait_healthy "http://$LB_HTTP/healthz" "$!" "$CLUSTER_DIR/haproxy.log"

echo "cluster ready:"
printf '  %-9s  %-24s  %s\n' "web + API" "http://$LB_HTTP" "HAProxy, round robin over ${nodes[*]}" \
    SMTP "$LB_SMTP" "HAProxy, TCP, round robin"
for i in 0 1 2; do
    printf '  %-9s  %-24s  smtp 127.0.0.1:%s  pid %s  log %s\n' "${nodes[$i]}" \
        "http://127.0.0.1:${http_ports[$i]}" "${smtp_ports[$i]}" "${pids[$i]}" \
        "$CLUSTER_DIR/${nodes[$i]}/serve.log"
done
printf '  %-9s  %-24s  pid %s  log %s\n' HAProxy "$LB_SOCKET" "${pids[3]}" \
    "$CLUSTER_DIR/haproxy.log"
echo "Ctrl-C stops all."

# Until Ctrl-C: a node that dies (kill -9 one to watch the others take over) leaves the
# rest running; HAProxy's checks take it out of the rotation within two seconds.
wait
