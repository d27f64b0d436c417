#!/usr/bin/env bash
# run.sh - make bench: wrk through nginx against a stack holding the large data set
# (sql/seed_large.sql: 1M tickets), each route as a ratio to /healthz in the same run, then
# EXPLAIN (ANALYZE, BUFFERS) of the ticket list and detail queries.
#   DUR=seconds per route (8), CONN=connections (16), PORTAL_WORKERS (2), SESSIONS (2000),
#   Q=search word (export, in ~4% of subjects),
#   BENCH_VAR=dir of a stack to reuse: used as it is when it is up (not stopped afterwards, only
#   the bench sessions are removed), else started there and stopped at the end; seeded when it
#   lacks the data. Without BENCH_VAR: a private stack in a temp dir, seeded (~3 min), removed.
# Sessions are made directly in SQL for seeded members of portal 1 (random 43-char tokens, their
# SHA-256 in sessions), each with the newest ticket its contact sees (portal_visible_tickets
# 'all'); test/bench/sessions.lua sends a random one per request and counts status classes.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
DUR=${DUR:-8} CONN=${CONN:-16} SESSIONS=${SESSIONS:-2000} Q=${Q:-export}
THREADS=$((CONN < 2 ? 1 : 2))
command -v wrk >/dev/null || nginx/deps.sh test
if [ -n "${BENCH_VAR:-}" ]; then
	mkdir -p "$BENCH_VAR"
	VARDIR=$(cd "$BENCH_VAR" && pwd)
else
	VARDIR=$(mktemp -d /tmp/portal-bench.XXXXXX)
fi
chmod 755 "$VARDIR"
export PORTAL_VAR=$VARDIR PORTAL_WORKERS=${PORTAL_WORKERS:-2} PORTAL_CONFIG=$VARDIR/portal.json
COOKIES=$(mktemp /tmp/portal-bench-cookies.XXXXXX)
WORK=$(mktemp -d /tmp/portal-bench-work.XXXXXX)
chmod 644 "$COOKIES"
alive() { [ -f "$1" ] && kill -0 "$(head -n1 "$1")" 2>/dev/null; }
psql_portal() { psql -X -q -h "$VARDIR/pg" -U portal -d portal -v ON_ERROR_STOP=1 "$@"; }
started=0
cleanup() {
	rm -rf "$COOKIES" "$WORK"
	if [ $started = 1 ]; then
		nginx/stack.sh down >/dev/null 2>&1 || true
	else
		psql_portal -c "DELETE FROM sessions WHERE csrf_secret LIKE 'bench-%'" >/dev/null 2>&1 || true
	fi
	[ -n "${BENCH_VAR:-}" ] || rm -rf "$VARDIR"
}
trap cleanup EXIT

if alive "$VARDIR/run/nginx.pid" && alive "$VARDIR/run/workers.pid"; then
	port=$(sed -n 's/.*listen 127\.0\.0\.1:\([0-9]*\);.*/\1/p' "$VARDIR/nginx/nginx.conf" | head -n1)
	echo "bench: reusing the running stack in $VARDIR (port $port)"
else
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	export PORTAL_HTTP_PORT=$port
	started=1
	nginx/stack.sh up >/dev/null
	[ -n "${BENCH_VAR:-}" ] || sed -i 's/"log_level": "info"/"log_level": "warn"/' "$PORTAL_CONFIG" # access lines still go out
fi
BASE=http://127.0.0.1:$port
workers=$(pgrep -c -P "$(head -n1 "$VARDIR/run/workers.pid")" || true)

# --- data and sessions -------------------------------------------------------------------------
(set -o pipefail; test/bench/seed.sh | grep -v '^Time: [0-9.]* ms$') || { echo "bench: seeding failed" >&2; exit 1; }

psql_portal >/dev/null <<SQL
SET client_min_messages = warning;
DELETE FROM sessions WHERE csrf_secret LIKE 'bench-%';
-- every k-th seeded member (members of portal 1 without a password), spread over the whole range
CREATE TEMP TABLE bench AS
WITH m AS (
    SELECT id AS member_id, contact_id, row_number() OVER (ORDER BY id) AS rn, count(*) OVER () AS total
    FROM members WHERE portal_id = 1 AND password_hash IS NULL
)
SELECT member_id, contact_id,
       (SELECT v.id FROM portal_visible_tickets(1, m.contact_id, 'all') v
         ORDER BY v.last_activity_at DESC, v.id DESC LIMIT 1) AS ticket_id,
       translate(rtrim(encode(sha256(convert_to(gen_random_uuid()::text || clock_timestamp() || member_id, 'UTF8')),
                              'base64'), '='), '+/', '-_') AS token
FROM m WHERE (rn - 1) % greatest(total / $SESSIONS, 1) = 0
ORDER BY member_id LIMIT $SESSIONS;
DELETE FROM bench WHERE ticket_id IS NULL;
INSERT INTO sessions (token_sha256, kind, member_id, portal_id, csrf_secret, expires_at)
SELECT encode(sha256(convert_to(token, 'UTF8')), 'hex'), 'member', member_id, 1,
       'bench-' || encode(sha256(convert_to('csrf' || token, 'UTF8')), 'hex'), now() + interval '1 day'
FROM bench;
\pset tuples_only on
\pset format unaligned
\pset fieldsep ' '
\o $COOKIES
SELECT token, ticket_id FROM bench ORDER BY member_id;
\o $WORK/contacts
-- per session: contact, its ticket, how many tickets are tied to it and to its company
SELECT b.contact_id, b.ticket_id,
       (SELECT count(*) FROM ticket_contacts tc WHERE tc.contact_id = b.contact_id),
       coalesce((SELECT count(*) FROM ticket_companies tco
                  WHERE tco.company_id = portal_contact_company(1, b.contact_id)), 0), b.token
FROM bench b ORDER BY 3, 1;
\o
SQL
nsess=$(wc -l <"$COOKIES")
[ "$nsess" -gt 0 ] || { echo "bench: no seeded member sees a ticket; is the data seeded?" >&2; exit 1; }
# the typical session (median own tickets) and the heaviest one
read -r c_typ t_typ n_typ o_typ tok < <(sed -n "$(((nsess + 1) / 2))p" "$WORK/contacts")
read -r c_max t_max n_max o_max _ < <(tail -n1 "$WORK/contacts")
echo "bench: $nsess sessions; tickets tied to the contact: median $n_typ, max $n_max;" \
	"to its company: median $(sort -n -k4 "$WORK/contacts" | sed -n "$(((nsess + 1) / 2))p" | cut -d' ' -f4), max $(sort -n -k4 "$WORK/contacts" | tail -n1 | cut -d' ' -f4)"

css=$(curl -s "$BASE/login" | sed -n 's/.*href="\(\/static\/[0-9a-f]*\/portal.css\)".*/\1/p' | head -n1)
# name mode path (mode: plain = no cookie, list = a random session, detail = path + its ticket id)
ROUTES="healthz plain /healthz
static_css plain ${css:-/static/0/portal.css}
login_page plain /login
tickets list /tickets
tickets_org list /tickets?view=org
search list /tickets?q=$Q
detail detail /tickets/"

# --- smoke check: one request per route with the typical session ---------------------------------
# (not the heaviest: a worker's first executions decide whether its prepared statements keep
# custom plans or switch to the generic one)
tid=$t_typ
echo "bench: one request each with the session of contact $c_typ (its ticket $tid):"
while read -r name mode path; do
	[ "$mode" = detail ] && path=$path$tid
	ck=()
	[ "$mode" = plain ] || ck=(-b "portal_session=$tok")
	res=$(curl -s -o "$WORK/body" -w '%{http_code} %{size_download}' "${ck[@]}" "$BASE$path")
	printf '  %-12s %-28s -> %s, %s bytes, %s ticket links\n' "$name" "$path" "${res% *}" "${res#* }" \
		"$(grep -o 'href="/tickets/[0-9][0-9]*"' "$WORK/body" | sort -u | wc -l)"
done <<<"$ROUTES"

# --- wrk -----------------------------------------------------------------------------------------
# Server CPU per request: CPU time of this stack's PostgreSQL, workers (app) and nginx processes
# over a run, divided by the requests; unlike req/s it hardly moves when other jobs load the machine.
HZ=$(getconf CLK_TCK)
cpu_ticks() { # -> "pg app nginx" clock ticks so far
	local f p out=""
	for f in "$VARDIR/pg/data/postmaster.pid" "$VARDIR/run/workers.pid" "$VARDIR/run/nginx.pid"; do
		p=$(head -n1 "$f" 2>/dev/null || true)
		out="$out $(for q in $p $(pgrep -P "${p:-0}"); do cat "/proc/$q/stat" 2>/dev/null; done |
			awk '{sub(/^.*\) /, ""); s += $12 + $13} END {print s + 0}')"
	done
	echo "${out# }"
}
measure() { # name mode url -> "name rps p50 p99 non2xx detail pg_ms app_ms nginx_ms" (ms of CPU per request)
	local t0 t1
	t0=$(cpu_ticks)
	wrk -t"$THREADS" -c"$CONN" -d"${DUR}s" --latency -s test/bench/sessions.lua "$3" -- "$COOKIES" "$2" >"$WORK/wrk.out"
	t1=$(cpu_ticks)
	awk -v n="$1" -v t0="$t0" -v t1="$t1" -v hz="$HZ" '
		/ requests in / {reqs=$1} /Requests\/sec/ {r=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
		/^statuses/ {split($0, a, /[ =]/); bad = a[5] + a[7] + a[9]; detail = $3 "," $4 "," $5}
		/Socket errors/ {err=$0; sub(/^ *Socket errors: */, "", err); gsub(/ /, "", err)}
		END {split(t0, x, " "); split(t1, y, " "); f = reqs ? 1000 / hz / reqs : 0
			printf "%s %s %s %s %s %s %.3f %.3f %.3f\n", n, r, p50, p99, bad + 0, (bad ? detail : "-") (err ? "|" err : ""),
				(y[1] - x[1]) * f, (y[2] - x[2]) * f, (y[3] - x[3]) * f}' "$WORK/wrk.out"
}
echo "wrk -t$THREADS -c$CONN -d${DUR}s, $workers workers, $(nproc) cores, $nsess sessions, search q=$Q; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
while read -r name mode path; do
	measure "$name" "$mode" "$BASE$path"
done <<<"$ROUTES" >"$WORK/bench.txt"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); cpu ms/req: CPU time of this stack per request (PostgreSQL, workers, nginx)"
awk 'NR==1 {base=$2} {printf "%-12s %7.0f req/s  p50 %-8s p99 %-8s x%.2f of healthz  cpu ms/req: pg %.3f app %.3f nginx %.3f  non-2xx %s%s\n",
	$1, $2, $3, $4, $2/base, $7, $8, $9, $5, ($6 != "-" ? "  (" $6 ")" : "")}' "$WORK/bench.txt"

# --- EXPLAIN ---------------------------------------------------------------------------------------
# explain LABEL SQL PARAMS: PREPARE the SQL, EXPLAIN (ANALYZE, BUFFERS) EXECUTE it warm with a
# custom plan and with the generic plan (what a worker's prepared statement may switch to);
# prints "label  plan+exec custom, exec generic, seq scans"; the plans go to $WORK/LABEL.*.
BIG='tickets|ticket_contacts|ticket_companies|threads|messages|contacts|companies|members|sessions'
explain() {
	local label=$1 sql=$2 params=$3
	psql_portal >/dev/null 2>"$WORK/$label.err" <<SQL || { echo "  $label: failed: $(head -n1 "$WORK/$label.err")"; return 0; }
SET plan_cache_mode = auto;
PREPARE s AS $sql;
\o /dev/null
EXPLAIN (ANALYZE, BUFFERS) EXECUTE s($params);
\o $WORK/$label.custom
EXPLAIN (ANALYZE, BUFFERS) EXECUTE s($params);
SET plan_cache_mode = force_generic_plan;
\o $WORK/$label.generic
EXPLAIN (ANALYZE, BUFFERS) EXECUTE s($params);
\o
SQL
	local pc ec eg seq
	pc=$(sed -n 's/.*Planning Time: \([0-9.]*\) ms.*/\1/p' "$WORK/$label.custom")
	ec=$(sed -n 's/.*Execution Time: \([0-9.]*\) ms.*/\1/p' "$WORK/$label.custom")
	eg=$(sed -n 's/.*Execution Time: \([0-9.]*\) ms.*/\1/p' "$WORK/$label.generic")
	seq=$(cat "$WORK/$label.custom" "$WORK/$label.generic" | grep -oE "Seq Scan on ($BIG) " | sort -u | sed 's/Seq Scan on //' | tr -d ' ' | paste -sd, - || true)
	printf '  %-26s custom: plan %6s ms + exec %8s ms   generic: exec %8s ms   %s\n' "$label" "$pc" "$ec" "$eg" \
		"$([ -n "$seq" ] && echo "SEQ SCAN on $seq" || echo "indexes only")"
	[ -z "$seq" ] || bad_plans="$bad_plans $label"
}
show_plan() { # the custom plan, long filter lines cut
	sed -e 's/[[:space:]]*$//' -e '/^ *QUERY PLAN$/d' -e '/^-*$/d' -e '/^([0-9]* rows)$/d' -e '/^$/d' "$WORK/$1.custom" |
		cut -c1-180 | sed 's/^/    /'
}
bad_plans=""
tz=$(psql_portal -tAc "SELECT time_zone FROM portals WHERE id = 1")
LIST_MINE="SELECT t.id, t.subject, t.created_at, t.last_activity_at, s.is_closed, s.name
FROM portal_visible_tickets(1, \$1, 'mine') t JOIN pipeline_stages s ON s.id = t.stage_id
ORDER BY t.last_activity_at DESC, t.id DESC LIMIT 26"
LIST_ORG=${LIST_MINE/\'mine\'/\'org\'}
echo
echo "EXPLAIN (ANALYZE, BUFFERS), warm; contact $c_typ (typical: $n_typ own tickets, $o_typ of its company), contact $c_max (heaviest: $n_max, $o_max)"
echo "list query shape (mine), contact $c_typ:"
explain "shape_mine_typical" "$LIST_MINE" "$c_typ"
show_plan shape_mine_typical
echo "list query shape (org), contact $c_typ:"
explain "shape_org_typical" "$LIST_ORG" "$c_typ"
show_plan shape_org_typical
explain "shape_mine_heaviest" "$LIST_MINE" "$c_max"
explain "shape_org_heaviest" "$LIST_ORG" "$c_max"

# The pages' own statements, read from fcgi/sessions.c and fcgi/tickets.c (skipped when their
# parameters changed).
stmt() { # file name -> "nparams\nsql" of a db_stmt in that C file
	python3 - "$1" "$2" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
# expand the file's macros that are string literals only (#define COLS "SELECT ..." "...")
lit = r'"(?:[^"\\]|\\.)*"'
for name, body in re.findall(r'^#define (\w+)[ \t]+((?:\\\n[ \t]*)?(?:' + lit + r'[ \t]*(?:\\\n[ \t]*)?)+)$', src, re.M):
    body = re.sub(r'\\\n', ' ', body)
    src = re.sub(r'(?<!#define )\b' + name + r'\b(?!\()', lambda _m, b=body: b, src)
m = re.search(r'\{\s*"' + re.escape(sys.argv[2]) + r'"\s*,((?:\s*"(?:[^"\\]|\\.)*")+)\s*,\s*(\d+)\s*\}', src)
if m:
    print(m.group(2))
    print("".join(bytes(p, "utf-8").decode("unicode_escape") for p in re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))))
PY
}
page_stmt() { # label file name nparams params
	local out n sql label=$1 file=$2
	shift 2
	[ -f "$file" ] && out=$(stmt "$file" "$1") || out=""
	n=$(head -n1 <<<"$out")
	sql=$(tail -n +2 <<<"$out")
	if [ -z "$out" ] || [ "$n" != "$2" ]; then
		echo "  $label: statement $1 not found with $2 parameters in $file; update run.sh"
		return 0
	fi
	explain "$label" "$sql" "$3"
}
echo "the pages' statements (fcgi/sessions.c, fcgi/tickets.c; list: status open, sort activity desc, first page):"
page_stmt "session_load" fcgi/sessions.c session_load 1 "'$(printf '%s' "$tok" | sha256sum | cut -d' ' -f1)'"
if [ -f fcgi/tickets.c ]; then
	for who in typical:$c_typ:$t_typ heaviest:$c_max:$t_max; do
		IFS=: read -r w c t <<<"$who"
		for v in mine org; do
			page_stmt "list_${v}_$w" fcgi/tickets.c tickets_list 11 "1, $c, '$v', 'open', '', 'activity', 'desc', NULL, NULL, 'next', '$tz'"
		done
		page_stmt "list_search_$w" fcgi/tickets.c tickets_list 11 "1, $c, 'mine', 'open', '$Q', 'activity', 'desc', NULL, NULL, 'next', '$tz'"
		page_stmt "detail_ticket_$w" fcgi/tickets.c tickets_detail 4 "1, $c, $t, '$tz'"
		th=$(psql_portal -tAc "SELECT coalesce(ticket_latest_thread($t), 0)")
		page_stmt "detail_messages_$w" fcgi/conversation_read.c conv_messages 2 "$th, '$tz'"
	done
fi
if [ -n "$bad_plans" ]; then
	echo "PLANS WITH A SEQ SCAN ON A LARGE TABLE:$bad_plans"
	for p in $bad_plans; do echo "  $p:"; show_plan "$p"; done
else
	echo "OK: no plan scans a large table sequentially"
fi
