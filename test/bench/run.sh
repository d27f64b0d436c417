#!/usr/bin/env bash
# run.sh - make bench: wrk through nginx against a stack holding the large data set
# (sql/seed_large.sql: 1M tickets). One measurement block (repeated RUNS times; the report gives
# the per-line medians):
#   1. the ceiling (../shared/ceiling/run.sh, as root: static, hello, list1q on this machine);
#   2. the workers sweep: /tickets with 1, 2, 4, 8 workers (nginx/stack.sh workers N), then the
#      original count again;
#   3. each route with random sessions: req/s, p50, p99, ratio to the ceiling's list1q req/s,
#      server CPU per request;
#   4. the list pages with ONLY the session of the heaviest contact (most visible tickets), then
#      with ONLY the median contact's;
#   5. the list pages on a small stack (SMALL_TICKETS, default 10,000 tickets; contacts, companies
#      and members scaled with it), measured while the big stack is idle; compared to step 3.
# With RUNS > 1 each figure is the median over the runs, and each ratio the median of the per-run
# ratios (each run's figures against that run's list1q, 1 worker, median contact or 10k stack).
# After the runs: the largest worker RSS (VmRSS, RssAnon), again after a few password logins,
# and EXPLAIN (ANALYZE, BUFFERS) of the ticket list and detail queries.
# Knobs (environment):
#   DUR=seconds per wrk run (8), CONN=connections (16), SESSIONS=bench sessions (2000),
#   Q=search word (export, in ~4% of subjects), RUNS=measurement blocks (1; medians printed),
#   PORTAL_WORKERS=workers of a stack started here (2), BENCH_WORKERS=sweep ("1 2 4 8"),
#   BENCH_VAR=dir of a stack to reuse: used as it is when it is up (not stopped afterwards, only
#   the bench sessions are removed and its worker count restored), else started there and
#   stopped at the end; seeded when it lacks the data. Without BENCH_VAR: a private stack in a
#   temp dir, seeded (~3 min), removed.
#   SMALL_TICKETS (10000; contacts /10, companies /100, members /50 of it, as 1M has),
#   BENCH_SMALL_VAR=dir of the small stack to reuse (same rules as BENCH_VAR; default: a private
#   temp one, ~20 s to start and seed), SMALL=0 skips the small stack,
#   CEILING=path of the ceiling script (../shared/ceiling/run.sh beside the checkout; missing or
#   not root: ratios print "-"), CEILING_DIR=its work dir (/tmp/ceiling-run; its PostgreSQL is
#   kept there between runs: KEEP_DB=1).
# Sessions are made directly in SQL for seeded members of portal 1 (random 43-char tokens, their
# SHA-256 in sessions), each with the newest ticket its contact sees (portal_visible_tickets
# 'all'); test/bench/sessions.lua sends a random one per request and counts status classes.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
DUR=${DUR:-8} CONN=${CONN:-16} SESSIONS=${SESSIONS:-2000} Q=${Q:-export} RUNS=${RUNS:-1}
BENCH_WORKERS=${BENCH_WORKERS:-1 2 4 8} SMALL=${SMALL:-1} SMALL_TICKETS=${SMALL_TICKETS:-10000}
CEILING=${CEILING:-$ROOT/../shared/ceiling/run.sh} CEILING_DIR=${CEILING_DIR:-/tmp/ceiling-run}
THREADS=$((CONN < 2 ? 1 : 2))
T0=$(date +%s)
command -v wrk >/dev/null || nginx/deps.sh test
if [ -n "${BENCH_VAR:-}" ]; then
	mkdir -p "$BENCH_VAR"
	VARDIR=$(cd "$BENCH_VAR" && pwd)
else
	VARDIR=$(mktemp -d /tmp/portal-bench.XXXXXX)
fi
chmod 755 "$VARDIR"
export PORTAL_VAR=$VARDIR PORTAL_WORKERS=${PORTAL_WORKERS:-2} PORTAL_CONFIG=$VARDIR/portal.json
WORK=$(mktemp -d /tmp/portal-bench-work.XXXXXX)
chmod 755 "$WORK"
COOKIES=$WORK/cookies # "token ticket" per line: read by wrk (sessions.lua)
RESULTS=$WORK/results # one line per wrk run: "run kind name rps p50_ms p99_ms non2xx detail pg app nginx"
alive() { [ -f "$1" ] && kill -0 "$(head -n1 "$1")" 2>/dev/null; }
psql_at() { local d=$1; shift; psql -X -q -h "$d/pg" -U portal -d portal -v ON_ERROR_STOP=1 "$@"; }
psql_portal() { psql_at "$VARDIR" "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
conf_port() { sed -n 's/.*listen 127\.0\.0\.1:\([0-9]*\);.*/\1/p' "$1/nginx/site.conf" | head -n1; }
workers_of() { pgrep -P "$(head -n1 "$1/run/workers.pid" 2>/dev/null || echo 0)" || true; }
started=0 small_started=0 SMALLDIR="" workers=0 switched=0 ceiling_running=0
ceiling_cleanup() { # what the ceiling script starts, when it was interrupted or failed half-way
	kill "$(cat "$CEILING_DIR/nginx.pid" 2>/dev/null)" $(cat "$CEILING_DIR/hello.pid" 2>/dev/null) 2>/dev/null || true
	for p in $(pgrep -f "^$CEILING_DIR/(hello|list)$" || true); do kill "$p" 2>/dev/null || true; done
	runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$CEILING_DIR/pg/data" stop >/dev/null 2>&1 || true
}
cleanup() {
	[ $ceiling_running = 0 ] || ceiling_cleanup
	if [ -n "$SMALLDIR" ]; then
		if [ $small_started = 1 ]; then
			PORTAL_VAR=$SMALLDIR PORTAL_CONFIG=$SMALLDIR/portal.json nginx/stack.sh down >/dev/null 2>&1 || true
		else
			psql_at "$SMALLDIR" -c "DELETE FROM sessions WHERE csrf_secret LIKE 'bench-%'" >/dev/null 2>&1 || true
		fi
		[ -n "${BENCH_SMALL_VAR:-}" ] || rm -rf "$SMALLDIR"
	fi
	if [ $started = 1 ]; then
		nginx/stack.sh down >/dev/null 2>&1 || true
	else
		[ $switched = 0 ] || nginx/stack.sh workers "$workers" >/dev/null 2>&1 || true
		psql_portal -c "DELETE FROM sessions WHERE csrf_secret LIKE 'bench-%'" >/dev/null 2>&1 || true
	fi
	rm -rf "$WORK"
	[ -n "${BENCH_VAR:-}" ] || rm -rf "$VARDIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# stack_up DIR: reuse the stack running in DIR or start one there (exported PORTAL_*); prints the port
stack_up() {
	local d=$1 p
	if alive "$d/run/nginx.pid" && alive "$d/run/workers.pid"; then
		conf_port "$d"
		return 0
	fi
	p=$(free_port)
	PORTAL_VAR=$d PORTAL_CONFIG=$d/portal.json PORTAL_HTTP_PORT=$p nginx/stack.sh up >/dev/null
	echo "$p"
}
if alive "$VARDIR/run/nginx.pid" && alive "$VARDIR/run/workers.pid"; then
	port=$(conf_port "$VARDIR")
	echo "bench: reusing the running stack in $VARDIR (port $port)"
else
	started=1
	port=$(stack_up "$VARDIR")
	[ -n "${BENCH_VAR:-}" ] || sed -i 's/"log_level": "info"/"log_level": "warn"/' "$PORTAL_CONFIG" # access lines still go out
fi
export PORTAL_HTTP_PORT=$port
BASE=http://127.0.0.1:$port
workers=$(workers_of "$VARDIR" | wc -l)
[ "$workers" -ge 1 ] || workers=$PORTAL_WORKERS

# --- data and sessions -------------------------------------------------------------------------
(set -o pipefail; test/bench/seed.sh | grep -v '^Time: [0-9.]* ms$') || { echo "bench: seeding failed" >&2; exit 1; }

# make_sessions DIR PREFIX: bench sessions in the stack of DIR; writes PREFIX.cookies ("token
# ticket" of the sampled sessions), PREFIX.contacts ("contact ticket own org visible token" of
# each, by visible tickets), PREFIX.heavy (the same for the heaviest contact) and
# PREFIX.{heavy,median}.cookies (that one session only).
# own: tickets tied to the contact; org: tied to its visible company; visible: what
# portal_visible_tickets(1, contact, 'all') returns (the list's org view shows the company's).
make_sessions() {
	local d=$1 pre=$2 n
	psql_at "$d" >/dev/null <<SQL
SET client_min_messages = warning;
DELETE FROM sessions WHERE csrf_secret LIKE 'bench-%';
CREATE FUNCTION pg_temp.newest(c bigint) RETURNS bigint LANGUAGE sql STABLE AS
\$\$ SELECT v.id FROM portal_visible_tickets(1, c, 'all') v ORDER BY v.last_activity_at DESC, v.id DESC LIMIT 1 \$\$;
CREATE FUNCTION pg_temp.token(m bigint) RETURNS text LANGUAGE sql VOLATILE AS
\$\$ SELECT translate(rtrim(encode(sha256(convert_to(gen_random_uuid()::text || clock_timestamp() || m, 'UTF8')),
                                  'base64'), '='), '+/', '-_') \$\$;
-- every k-th seeded member (members of portal 1 without a password), spread over the whole range
CREATE TEMP TABLE bench AS
WITH m AS (
    SELECT id AS member_id, contact_id, row_number() OVER (ORDER BY id) AS rn, count(*) OVER () AS total
    FROM members WHERE portal_id = 1 AND password_hash IS NULL
)
SELECT member_id, contact_id, pg_temp.newest(contact_id) AS ticket_id, pg_temp.token(member_id) AS token, true AS pool
FROM m WHERE (rn - 1) % greatest(total / $SESSIONS, 1) = 0
ORDER BY member_id LIMIT $SESSIONS;
-- the heaviest contact of all seeded members: the exact count of visible tickets of the ten with
-- the most tickets tied to them or to their visible company; a session of its own when it is not
-- among the sampled ones (not in the random pool then)
CREATE TEMP TABLE heavy AS
WITH m AS (SELECT id AS member_id, contact_id FROM members WHERE portal_id = 1 AND password_hash IS NULL),
own AS (SELECT tc.contact_id, count(*) AS n FROM ticket_contacts tc
         WHERE tc.contact_id IN (SELECT contact_id FROM m) GROUP BY 1),
org AS (SELECT company_id, count(*) AS n FROM ticket_companies GROUP BY 1),
cand AS (SELECT m.member_id, m.contact_id FROM m LEFT JOIN own USING (contact_id)
          LEFT JOIN org ON org.company_id = portal_contact_company(1, m.contact_id)
         ORDER BY coalesce(own.n, 0) + coalesce(org.n, 0) DESC, m.member_id LIMIT 10)
SELECT member_id, contact_id, (SELECT count(*) FROM portal_visible_tickets(1, cand.contact_id, 'all')) AS visible
FROM cand ORDER BY visible DESC, member_id LIMIT 1;
INSERT INTO bench
SELECT h.member_id, h.contact_id, pg_temp.newest(h.contact_id), pg_temp.token(h.member_id), false FROM heavy h
WHERE NOT EXISTS (SELECT 1 FROM bench b WHERE b.member_id = h.member_id);
DELETE FROM bench WHERE ticket_id IS NULL;
INSERT INTO sessions (token_sha256, kind, member_id, portal_id, csrf_secret, expires_at)
SELECT encode(sha256(convert_to(token, 'UTF8')), 'hex'), 'member', member_id, 1,
       'bench-' || encode(sha256(convert_to('csrf' || token, 'UTF8')), 'hex'), now() + interval '1 day'
FROM bench;
CREATE TEMP TABLE counted AS
SELECT b.member_id, b.pool, b.contact_id, b.ticket_id,
       (SELECT count(*) FROM ticket_contacts tc WHERE tc.contact_id = b.contact_id) AS own,
       coalesce((SELECT count(*) FROM ticket_companies tco
                  WHERE tco.company_id = portal_contact_company(1, b.contact_id)), 0) AS org,
       (SELECT count(*) FROM portal_visible_tickets(1, b.contact_id, 'all')) AS visible, b.token
FROM bench b;
\pset tuples_only on
\pset format unaligned
\pset fieldsep ' '
\o $pre.cookies
SELECT token, ticket_id FROM bench WHERE pool ORDER BY member_id;
\o $pre.contacts
SELECT contact_id, ticket_id, own, org, visible, token FROM counted WHERE pool ORDER BY visible, contact_id;
\o $pre.heavy
SELECT contact_id, ticket_id, own, org, visible, token FROM counted WHERE member_id = (SELECT member_id FROM heavy);
\o
SQL
	n=$(wc -l <"$pre.cookies")
	[ "$n" -gt 0 ] && [ -s "$pre.heavy" ] || { echo "bench: no seeded member of $d sees a ticket; is the data seeded?" >&2; return 1; }
	sed -n "$(((n + 1) / 2))p" "$pre.contacts" | awk '{print $6, $2}' >"$pre.median.cookies"
	awk '{print $6, $2}' "$pre.heavy" >"$pre.heavy.cookies"
	chmod 644 "$pre".*
}
make_sessions "$VARDIR" "$WORK/big"
cp "$WORK/big.cookies" "$COOKIES"
nsess=$(wc -l <"$COOKIES")
# the median session (by visible tickets) and the heaviest one
read -r c_typ t_typ n_typ o_typ v_typ tok < <(sed -n "$(((nsess + 1) / 2))p" "$WORK/big.contacts")
read -r c_max t_max n_max o_max v_max tok_max <"$WORK/big.heavy"
heavy_how=$(grep -q " $tok_max\$" "$WORK/big.contacts" && echo "among the sampled" || echo "a session of its own")
echo "bench: $nsess sessions; visible tickets: median contact $c_typ $v_typ (own $n_typ, company $o_typ)," \
	"heaviest contact $c_max $v_max (own $n_max, company $o_max; $heavy_how)"

css=$(curl -s "$BASE/login" | sed -n 's/.*href="\(\/static\/[0-9a-f]*\/portal.css\)".*/\1/p' | head -n1)
# name mode path (mode: plain = no cookie, list = a random session, detail = path + its ticket id)
ROUTES="healthz plain /healthz
static_css plain ${css:-/static/0/portal.css}
login_page plain /login
tickets list /tickets
tickets_org list /tickets?view=org
search list /tickets?q=$Q
detail detail /tickets/"
LISTS="tickets /tickets
tickets_org /tickets?view=org" # the list pages of the heaviest/median and 10k/1M lines
SWEEP_PATH=/tickets # the workers sweep

# --- smoke check: one request per route with the median session ----------------------------------
# (not the heaviest: a worker's first executions decide whether its prepared statements keep
# custom plans or switch to the generic one)
echo "bench: one request each with the session of contact $c_typ (its ticket $t_typ):"
while read -r name mode path; do
	[ "$mode" = detail ] && path=$path$t_typ
	ck=()
	[ "$mode" = plain ] || ck=(-b "portal_session=$tok")
	res=$(curl -s -o "$WORK/body" -w '%{http_code} %{size_download}' "${ck[@]}" "$BASE$path")
	printf '  %-12s %-28s -> %s, %s bytes, %s ticket links\n' "$name" "$path" "${res% *}" "${res#* }" \
		"$(grep -o 'href="/tickets/[0-9][0-9]*"' "$WORK/body" | sort -u | wc -l)"
done <<<"$ROUTES"

# --- the small stack (10k tickets) -------------------------------------------------------------
if [ "$SMALL" = 1 ]; then
	if [ -n "${BENCH_SMALL_VAR:-}" ]; then
		mkdir -p "$BENCH_SMALL_VAR"
		SMALLDIR=$(cd "$BENCH_SMALL_VAR" && pwd)
	else
		SMALLDIR=$(mktemp -d /tmp/portal-bench-small.XXXXXX)
	fi
	chmod 755 "$SMALLDIR"
	alive "$SMALLDIR/run/nginx.pid" && alive "$SMALLDIR/run/workers.pid" || small_started=1
	small_port=$(PORTAL_WORKERS=$workers stack_up "$SMALLDIR")
	[ $small_started = 0 ] || sed -i 's/"log_level": "info"/"log_level": "warn"/' "$SMALLDIR/portal.json"
	(set -o pipefail
	PORTAL_VAR=$SMALLDIR SEED_TICKETS=$SMALL_TICKETS SEED_CONTACTS=$((SMALL_TICKETS / 10 > 1 ? SMALL_TICKETS / 10 : 1)) \
		SEED_COMPANIES=$((SMALL_TICKETS / 100 > 1 ? SMALL_TICKETS / 100 : 1)) \
		SEED_MEMBERS=$((SMALL_TICKETS / 50 > 1 ? SMALL_TICKETS / 50 : 1)) test/bench/seed.sh |
		grep -v '^Time: [0-9.]* ms$' | sed 's/^/small stack: /') || { echo "bench: seeding the small stack failed" >&2; exit 1; }
	make_sessions "$SMALLDIR" "$WORK/small"
	small_workers=$(workers_of "$SMALLDIR" | wc -l)
	read -r _ _ _ _ v_small _ < <(sed -n "$((($(wc -l <"$WORK/small.cookies") + 1) / 2))p" "$WORK/small.contacts")
	echo "bench: small stack in $SMALLDIR (port $small_port, $small_workers workers): $(wc -l <"$WORK/small.cookies") sessions," \
		"median contact sees $v_small tickets"
fi

# --- wrk -----------------------------------------------------------------------------------------
# Server CPU per request: CPU time of the stack's PostgreSQL, workers (app) and nginx processes
# over a run, divided by the requests; unlike req/s it hardly moves when other jobs load the machine.
HZ=$(getconf CLK_TCK)
cpu_ticks() { # DIR -> "pg app nginx" clock ticks so far
	local f p out=""
	for f in "$1/pg/data/postmaster.pid" "$1/run/workers.pid" "$1/run/nginx.pid"; do
		p=$(head -n1 "$f" 2>/dev/null || true)
		out="$out $(for q in $p $(pgrep -P "${p:-0}"); do cat "/proc/$q/stat" 2>/dev/null; done |
			awk '{sub(/^.*\) /, ""); s += $12 + $13} END {print s + 0}')"
	done
	echo "${out# }"
}
# wrk's latencies (850.00us, 1.23ms, 2.01s, 1.00m) in ms
AWK_MS='function ms(v) { return v ~ /us$/ ? v / 1000 : v ~ /ms$/ ? v + 0 : v ~ /s$/ ? v * 1000 : v ~ /m$/ ? v * 60000 : v ~ /h$/ ? v * 3600000 : v + 0 }'
# measure NAME MODE URL COOKIES DIR -> "name rps p50_ms p99_ms non2xx detail pg_ms app_ms nginx_ms"
measure() {
	local t0 t1
	t0=$(cpu_ticks "$5")
	wrk -t"$THREADS" -c"$CONN" -d"${DUR}s" --latency -s test/bench/sessions.lua "$3" -- "$4" "$2" >"$WORK/wrk.out"
	t1=$(cpu_ticks "$5")
	awk -v n="$1" -v t0="$t0" -v t1="$t1" -v hz="$HZ" "$AWK_MS"'
		/ requests in / {reqs=$1} /Requests\/sec/ {r=$2} /^ +50%/ {p50=ms($2)} /^ +99%/ {p99=ms($2)}
		/^statuses/ {split($0, a, /[ =]/); bad = a[5] + a[7] + a[9]; detail = $3 "," $4 "," $5}
		/Socket errors/ {err=$0; sub(/^ *Socket errors: */, "", err); gsub(/ /, "", err)}
		END {split(t0, x, " "); split(t1, y, " "); f = reqs ? 1000 / hz / reqs : 0
			printf "%s %s %.3f %.3f %s %s %.3f %.3f %.3f\n", n, r + 0, p50, p99, bad + 0, (bad ? detail : "-") (err ? "|" err : ""),
				(y[1] - x[1]) * f, (y[2] - x[2]) * f, (y[3] - x[3]) * f}' "$WORK/wrk.out"
}
warm() { wrk -t1 -c2 -d1s -s test/bench/sessions.lua "$1" -- "${2:-$COOKIES}" list >/dev/null 2>&1 || true; } # URL [COOKIES]

# the ceiling: its three lines "route req/s p50 p99" as result lines, or nothing (with a reason)
ceiling() {
	local run=$1 how=()
	if [ ! -x "$CEILING" ] && [ ! -f "$CEILING" ]; then
		echo "bench: no ceiling script at $CEILING: ratios print -" >&2
		return 0
	fi
	if [ "$(id -u)" != 0 ]; then
		if sudo -n true 2>/dev/null; then how=(sudo -n); else
			echo "bench: the ceiling needs root (sudo -n does not work here): ratios print -" >&2
			return 0
		fi
	fi
	ceiling_running=1
	if "${how[@]}" env W="$CEILING_DIR" PORT="$(free_port)" DUR="$DUR" KEEP_DB=1 bash "$CEILING" >"$WORK/ceiling.out" 2>"$WORK/ceiling.err"; then
		awk -v run="$run" "$AWK_MS"'NF >= 4 {bad = $5; sub(/^non2xx=/, "", bad)
			printf "%s ceiling %s %s %.3f %.3f %s\n", run, $1, $2 + 0, ms($3), ms($4), bad + 0}' "$WORK/ceiling.out" >>"$RESULTS"
	else
		echo "bench: the ceiling script failed ($(tail -n1 "$WORK/ceiling.err")): ratios print -" >&2
		ceiling_cleanup
	fi
	ceiling_running=0
}

echo "wrk -t$THREADS -c$CONN -d${DUR}s, $workers workers, $(nproc) cores, $nsess sessions, search q=$Q, $RUNS run(s); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$RESULTS"
for run in $(seq 1 "$RUNS"); do
	echo "bench: run $run/$RUNS: ceiling"
	ceiling "$run"
	echo "bench: run $run/$RUNS: workers sweep ($BENCH_WORKERS) on $SWEEP_PATH"
	for n in $BENCH_WORKERS; do
		switched=1
		nginx/stack.sh workers "$n" >/dev/null
		warm "$BASE$SWEEP_PATH"
		echo "$run workers $(measure "$n" list "$BASE$SWEEP_PATH" "$COOKIES" "$VARDIR")" >>"$RESULTS"
	done
	nginx/stack.sh workers "$workers" >/dev/null
	switched=0
	echo "bench: run $run/$RUNS: routes"
	while read -r name mode path; do
		echo "$run route $(measure "$name" "$mode" "$BASE$path" "$COOKIES" "$VARDIR")" >>"$RESULTS"
	done <<<"$ROUTES"
	echo "bench: run $run/$RUNS: heaviest and median contact"
	while read -r name path; do
		for who in heavy median; do
			echo "$run $who $(measure "$name" list "$BASE$path" "$WORK/big.$who.cookies" "$VARDIR")" >>"$RESULTS"
		done
	done <<<"$LISTS"
	if [ -n "$SMALLDIR" ]; then
		echo "bench: run $run/$RUNS: small stack"
		warm "http://127.0.0.1:$small_port/tickets" "$WORK/small.cookies"
		while read -r name path; do
			echo "$run small $(measure "$name" list "http://127.0.0.1:$small_port$path" "$WORK/small.cookies" "$SMALLDIR")" >>"$RESULTS"
		done <<<"$LISTS"
	fi
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- memory of the workers -----------------------------------------------------------------------
rss_max() { # -> "vmrss_kB rssanon_kB nworkers" (largest of each over the workers)
	local k
	for k in $(workers_of "$VARDIR"); do cat "/proc/$k/status" 2>/dev/null; done |
		awk '/^VmRSS:/ {n++; if ($2 > v) v = $2} /^RssAnon:/ {if ($2 > a) a = $2} END {print v + 0, a + 0, n + 0}'
}
read -r rss_before anon_before nw < <(rss_max)
# password logins (demo customer; argon2 per login): 2 per worker, as many at once as workers
LOGIN_EMAIL=ada@example.com LOGIN_PASSWORD=demo-Portal-2026
login_once() { # -> HTTP status of the POST (303 = signed in); the new session is deleted again
	local jar csrf st tk
	jar=$(mktemp "$WORK/jar.XXXXXX")
	csrf=$(curl -s -c "$jar" "$BASE/login" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n1)
	st=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" -c "$jar" --data-urlencode "csrf=$csrf" \
		--data-urlencode "email=$LOGIN_EMAIL" --data-urlencode "password=$LOGIN_PASSWORD" "$BASE/login")
	tk=$(awk '$6 == "portal_session" {print $7}' "$jar" | tail -n1)
	[ -z "$tk" ] || psql_portal -c "DELETE FROM sessions WHERE token_sha256 = '$(printf '%s' "$tk" | sha256sum | cut -d' ' -f1)'" >/dev/null 2>&1 || true
	echo "$st"
}
: >"$WORK/logins"
for _ in 1 2; do
	for _ in $(seq 1 "$workers"); do login_once >>"$WORK/logins" & done
	wait
done
read -r _ anon_after _ < <(rss_max)
logins_ok=$(grep -c '^303$' "$WORK/logins" || true)
logins_all=$(wc -l <"$WORK/logins")

# --- report --------------------------------------------------------------------------------------
echo
python3 - "$RESULTS" "$RUNS" <<PY
import sys, statistics
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
runs = int(sys.argv[2])
def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None
def get(kind, name):  # per run: the row or None
    return {int(r[0]): r for r in rows if r[1] == kind and r[2] == name}
def series(kind, name, col):
    g = get(kind, name)
    return [float(g[i][col]) if i in g else None for i in range(1, runs + 1)]
ceil = [get("ceiling", "list1q").get(i) for i in range(1, runs + 1)]
list1q = [float(c[3]) if c and float(c[3]) > 0 else None for c in ceil]
def ratio_list1q(kind, name):  # median over runs of (req/s / that run's list1q)
    rps = series(kind, name, 3)
    return med([r / c if r is not None and c else None for r, c in zip(rps, list1q)])
def f(x, fmt="%.2f"):
    return "-" if x is None else fmt % x
def lat(x):
    return "-" if x is None else ("%.2fms" % x)
label = "median of %d runs" % runs if runs > 1 else "1 run"
print("ceiling (../shared/ceiling/run.sh, this run; %s):" % label)
if not any(list1q):
    print("  (not measured: see the bench: line above)")
for n in ("static", "hello", "list1q"):
    if get("ceiling", n):
        print("  %-12s %7.0f req/s  p50 %-9s p99 %-9s" % (n, med(series("ceiling", n, 3)),
              lat(med(series("ceiling", n, 4))), lat(med(series("ceiling", n, 5)))))
print("routes, 1M stack, random sessions (%s); xN = req/s / list1q req/s; cpu ms/req: this stack's CPU per request:" % label)
for name in dict.fromkeys(r[2] for r in rows if r[1] == "route"):
    g = get("route", name)
    bad = sum(int(r[6]) for r in g.values())
    det = ";".join(r[7] for r in g.values() if r[7] != "-")
    print("  %-12s %7.0f req/s  p50 %-9s p99 %-9s x%-5s of list1q  cpu ms/req: pg %.3f app %.3f nginx %.3f  non-2xx %d%s" % (
        name, med(series("route", name, 3)), lat(med(series("route", name, 4))), lat(med(series("route", name, 5))),
        f(ratio_list1q("route", name)), med(series("route", name, 8)), med(series("route", name, 9)),
        med(series("route", name, 10)), bad, "  (" + det + ")" if det else ""))
lists = list(dict.fromkeys(r[2] for r in rows if r[1] == "heavy"))
print("heaviest vs median contact, one session each (%s; goal: p99 ratio <= 3):" % label)
for name in lists:
    h, m = series("heavy", name, 5), series("median", name, 5)
    bad = sum(int(r[6]) for k in ("heavy", "median") for r in get(k, name).values())
    print("  %-12s heaviest p50 %-9s p99 %-9s  median p50 %-9s p99 %-9s  p99 heaviest/median x%s%s" % (
        name, lat(med(series("heavy", name, 4))), lat(med(h)), lat(med(series("median", name, 4))), lat(med(m)),
        f(med([a / b if a is not None and b else None for a, b in zip(h, m)])), "  non-2xx %d" % bad if bad else ""))
small = list(dict.fromkeys(r[2] for r in rows if r[1] == "small"))
if small:
    print("10k vs 1M tickets, random sessions, same wrk settings (%s; goal: 1M/10k <= 1.2):" % label)
    for name in small:
        s50, s99 = series("small", name, 4), series("small", name, 5)
        b50, b99 = series("route", name, 4), series("route", name, 5)
        bad = sum(int(r[6]) for r in get("small", name).values())
        r = lambda a, b: f(med([x / y if x is not None and y else None for x, y in zip(a, b)]))
        print("  %-12s 10k p50 %-9s p99 %-9s  1M p50 %-9s p99 %-9s  1M/10k p50 x%s p99 x%s%s" % (
            name, lat(med(s50)), lat(med(s99)), lat(med(b50)), lat(med(b99)), r(b50, s50), r(b99, s99),
            "  non-2xx %d" % bad if bad else ""))
ws = list(dict.fromkeys(r[2] for r in rows if r[1] == "workers"))
if ws:
    print("workers sweep, $SWEEP_PATH, random sessions (%s; each xN of list1q, and vs 1 worker):" % label)
    one = series("workers", ws[0], 3)
    for n in ws:
        rps = series("workers", n, 3)
        bad = sum(int(r[6]) for r in get("workers", n).values())
        print("  %2s worker%s %7.0f req/s  p50 %-9s p99 %-9s x%-5s of list1q  x%s of %s worker%s%s" % (
            n, " " if n == "1" else "s", med(rps), lat(med(series("workers", n, 4))), lat(med(series("workers", n, 5))),
            f(ratio_list1q("workers", n)), f(med([a / b if a is not None and b else None for a, b in zip(rps, one)])),
            ws[0], "" if ws[0] == "1" else "s", "  non-2xx %d" % bad if bad else ""))
if runs > 1:
    print("per run: list1q req/s %s; tickets req/s %s" % (
        " ".join(f(x, "%.0f") for x in list1q), " ".join(f(x, "%.0f") for x in series("route", "tickets", 3))))
PY
echo "largest worker RSS after the runs ($nw workers): VmRSS $((rss_before / 1024)) MB, RssAnon $((anon_before / 1024)) MB ($rss_before kB, $anon_before kB)"
echo "largest worker RssAnon after password logins ($logins_ok of $logins_all logins of $LOGIN_EMAIL signed in): $((anon_after / 1024)) MB ($anon_after kB)"

echo "bench: measurements done after $(($(date +%s) - T0)) s"

# --- EXPLAIN ---------------------------------------------------------------------------------------
# explain LABEL SQL PARAMS: PREPARE the SQL, EXPLAIN (ANALYZE, BUFFERS) EXECUTE it warm with a
# custom plan and with the generic plan (what a worker's prepared statement may switch to);
# prints "label  plan+exec custom, exec generic, seq scans"; the plans go to $WORK/LABEL.*.
BIG='tickets|ticket_access|ticket_contacts|ticket_companies|threads|messages|contacts|companies|members|sessions'
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
echo
echo "EXPLAIN (ANALYZE, BUFFERS), warm; contact $c_typ (median: $v_typ visible tickets, $n_typ own, $o_typ of its company), contact $c_max (heaviest: $v_max, $n_max, $o_max)"
# The workers' own statements, as build/portal prints them (portal statement NAME): a statement
# renamed or with other parameters prints a "not found" line and the run goes on.
page_stmt() { # label name nparams params
	local out n sql label=$1
	out=$(build/portal statement "$2" 2>/dev/null) || out=""
	n=$(head -n1 <<<"$out")
	sql=$(tail -n +2 <<<"$out")
	if [ -z "$out" ] || [ "$n" != "$3" ]; then
		echo "  $label: statement $2 not found with $3 parameters; update run.sh"
		return 0
	fi
	explain "$label" "$sql" "$4"
}
# a session of each contact, for the statements read with it ($1 the token's hash)
h_typ=$(printf '%s' "$tok" | sha256sum | cut -d' ' -f1)
h_max=$(printf '%s' "$tok_max" | sha256sum | cut -d' ' -f1)
echo "the pages' statements (list: status open, sort activity desc, first page; _s: read with the session):"
page_stmt "session_load" session_load 1 "'$h_typ'"
for who in typical:$c_typ:$t_typ:$h_typ heaviest:$c_max:$t_max:$h_max; do
	IFS=: read -r w c t h <<<"$who"
	for v in mine org; do
		page_stmt "list_${v}_$w" tickets_list_activity_desc_s 7 "'$h', 1, '$v', 'open', '', NULL, NULL"
	done
	page_stmt "list_search_$w" tickets_list_activity_desc_s 7 "'$h', 1, 'mine', 'open', '$Q', NULL, NULL"
	page_stmt "detail_ticket_$w" ticket_detail_s 4 "'$h', 1, '$t', 'en'"
done
show_plan list_mine_heaviest
if [ -n "$bad_plans" ]; then
	echo "PLANS WITH A SEQ SCAN ON A LARGE TABLE:$bad_plans"
	for p in $bad_plans; do echo "  $p:"; show_plan "$p"; done
else
	echo "OK: no plan scans a large table sequentially"
fi
echo "bench: $(($(date +%s) - T0)) s in all"
