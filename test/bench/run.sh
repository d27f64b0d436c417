#!/usr/bin/env bash
# run.sh - make bench: wrk through nginx against a private stack; each route as a ratio to /healthz.
#   DUR=seconds per route (default 8), CONN=connections (16), PORTAL_WORKERS (2).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
DUR=${DUR:-8} CONN=${CONN:-16}
command -v wrk >/dev/null || nginx/deps.sh test
VARDIR=${BENCH_VAR:-$(mktemp -d /tmp/portal-bench.XXXXXX)}
chmod 755 "$VARDIR"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export PORTAL_VAR=$VARDIR PORTAL_HTTP_PORT=$port PORTAL_WORKERS=${PORTAL_WORKERS:-2} PORTAL_CONFIG=$VARDIR/portal.json
trap 'nginx/stack.sh down >/dev/null 2>&1; [ -n "${BENCH_VAR:-}" ] || rm -rf "$VARDIR"' EXIT
nginx/stack.sh up >/dev/null
sed -i 's/"log_level": "info"/"log_level": "warn"/' "$PORTAL_CONFIG" # access lines still go out
BASE=http://127.0.0.1:$port
css=$(curl -s "$BASE/login" | sed -n 's/.*href="\(\/static\/[0-9a-f]*\/portal.css\)".*/\1/p')

measure() { # name url -> "name rps p50 p99"
	wrk -t2 -c"$CONN" -d"${DUR}s" --latency "$2" | awk -v n="$1" '
		/Requests\/sec/ {r=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Non-2xx/ {bad=$5}
		END {printf "%s %s %s %s%s\n", n, r, p50, p99, (bad ? " non2xx=" bad : "")}'
}
echo "wrk -t2 -c$CONN -d${DUR}s, $PORTAL_WORKERS workers, $(nproc) cores"
{
	measure healthz "$BASE/healthz"
	measure static_css "$BASE$css"
	measure login_page "$BASE/login"
} >"$VARDIR/bench.txt"
awk 'NR==1 {base=$2} {printf "%-12s %10.0f req/s  p50 %-8s p99 %-8s x%.2f of healthz%s\n", $1, $2, $3, $4, $2/base, ($5 ? "  " $5 : "")}' "$VARDIR/bench.txt"
