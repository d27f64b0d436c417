#!/usr/bin/env bash
# stack.sh - bring one local stack up or down: PostgreSQL, migrations, demo data, workers, nginx.
#   nginx/stack.sh up|down|status     (PORTAL_VAR, PORTAL_HTTP_PORT, PORTAL_WORKERS, PORTAL_CONFIG)
#   nginx/stack.sh workers N          replace the running worker pool with one of N workers (make bench)
# Everything runtime lives in PORTAL_VAR; pid files there say exactly what this stack started.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VAR=${PORTAL_VAR:-$ROOT/var}
mkdir -p "$VAR"
VAR=$(cd "$VAR" && pwd)
PORT=${PORTAL_HTTP_PORT:-8080}
WORKERS=${PORTAL_WORKERS:-2}
CONFIG=${PORTAL_CONFIG:-$VAR/portal.json}
PGBIN=/usr/lib/postgresql/15/bin
PGDATA=$VAR/pg/data
PGSOCK=$VAR/pg
DEMO=${PORTAL_DEMO:-1}
export PORTAL_CONFIG=$CONFIG

if [ "$(id -u)" = 0 ]; then
	AS_ROOT=1 PGUSER_OS=postgres WEBUSER=www-data
else
	AS_ROOT=0 PGUSER_OS=$(id -un) WEBUSER=$(id -un)
fi

say() { printf '%s\n' "$*"; }
die() { printf 'stack: %s\n' "$*" >&2; exit 1; }
as_pg() { if [ $AS_ROOT = 1 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
alive() { [ -f "$1" ] && kill -0 "$(head -n1 "$1")" 2>/dev/null; }
psql_portal() { psql -X -q -h "$PGSOCK" -U portal -d portal -v ON_ERROR_STOP=1 "$@"; }

APP=$ROOT # where the workers find build/ and templates/

check_paths() {
	[ $AS_ROOT = 1 ] || return 0
	# postgres and the web user must reach their files: every parent folder needs o+x.
	for u in postgres www-data; do
		runuser -u $u -- test -x "$VAR" ||
			die "user $u cannot reach $VAR; put PORTAL_VAR under a world-traversable folder such as /srv or /tmp"
	done
	# A checkout the web user cannot read (e.g. under /root): run a staged copy from PORTAL_VAR.
	if ! runuser -u www-data -- test -r "$ROOT/templates/layout.mustache" ||
		! runuser -u www-data -- test -x "$ROOT/build/portal"; then
		APP=$VAR/app
		rm -rf "$APP"
		mkdir -p "$APP/build"
		cp -a "$ROOT/templates" "$APP/"
		cp "$ROOT/build/portal" "$ROOT/build/mailer" "$ROOT/build/portal-mailgate" "$APP/build/"
		chmod -R a+rX "$APP"
		say "the checkout is not readable by www-data: running a copy staged in $APP"
	fi
}

write_config() {
	# a config an older stack wrote connects as the owner: from now on as portal_app (027_app_role)
	[ -f "$CONFIG" ] && sed -i "s|\"host=$PGSOCK dbname=portal user=portal\"|\"host=$PGSOCK dbname=portal user=portal_app\"|" "$CONFIG"
	[ -f "$CONFIG" ] && return 0
	local secret
	secret=$(openssl rand -hex 32)
	umask 077
	cat >"$CONFIG" <<JSON
{
  "database": "host=$PGSOCK dbname=portal user=portal_app",
  "templates_dir": "$APP/templates",
  "log_file": "$VAR/log/portal.log",
  "log_level": "info",
  "files_dir": "$VAR/files",
  "mail_dir": "$VAR/mail",
  "secret_key": "$secret",
  "argon2": { "t_cost": 2, "m_cost_kib": 19456, "parallelism": 1 },
  "limits": {
    "max_body_mb": 25,
    "session_absolute_hours": 336,
    "login_max_failures": 10,
    "login_lockout_minutes": 15,
    "login_ip_max_failures": 30,
    "login_ip_window_minutes": 10
  },
  "smtp": { "url": "${PORTAL_SMTP_URL:-}", "user": "", "password": "", "from": "Acme Support <support@example.com>" },
  "mail": { "retry_base_seconds": ${PORTAL_MAIL_RETRY_SECONDS:-30}, "max_attempts": 10 },
  "links": { "scheme": "http", "port": $PORT },
  "webhooks": { "allow_private_addresses": $([ "${PORTAL_WEBHOOK_PRIVATE:-0}" = 1 ] && echo true || echo false) }
}
JSON
	umask 022
	[ $AS_ROOT = 1 ] && chgrp www-data "$CONFIG" && chmod 0640 "$CONFIG"
	say "wrote $CONFIG (with a new secret key)"
}

# Unix socket only, and peer authentication: the kernel says which OS user connects, and only
# these may use the cluster: the web user (workers, mailer, mail gateway) as role portal_app (no
# DDL, sql/027_app_role.sql), root and the cluster's owner as portal (migrations), portal_app or
# postgres. No passwords to keep, and no other local user gets in.
write_pg_auth() {
	local owner me
	owner=$PGUSER_OS me=$(id -un)
	as_pg sh -c "cat >'$PGDATA/pg_hba.conf'" <<HBA
# written by nginx/stack.sh: unix socket, peer authentication through the map in pg_ident.conf
local all all peer map=portal
HBA
	as_pg sh -c "cat >'$PGDATA/pg_ident.conf'" <<IDENT
portal $owner postgres
portal $owner portal
portal $owner portal_app
portal $me postgres
portal $me portal
portal $me portal_app
portal $WEBUSER portal_app
IDENT
}

pg_start() {
	as_pg $PGBIN/pg_ctl -D "$PGDATA" status >/dev/null 2>&1 && return 0
	as_pg $PGBIN/pg_ctl -D "$PGDATA" -w -t 60 -l "$VAR/pg/postgresql.log" \
		-o "-c listen_addresses='' -c unix_socket_directories='$PGSOCK' -c unix_socket_permissions=0777 -c shared_buffers=256MB" \
		start >/dev/null || die "PostgreSQL did not start, see $VAR/pg/postgresql.log"
}

pg_stop() {
	[ -f "$PGDATA/postmaster.pid" ] || return 0
	as_pg $PGBIN/pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
}

start_pg() {
	mkdir -p "$VAR/pg"
	[ $AS_ROOT = 1 ] && chown postgres "$VAR/pg"
	local fresh=0
	if [ ! -f "$PGDATA/PG_VERSION" ]; then
		as_pg $PGBIN/initdb -D "$PGDATA" -A peer -U postgres -E UTF8 --locale=C.UTF-8 >"$VAR/log/initdb.log" 2>&1 ||
			die "initdb failed, see $VAR/log/initdb.log"
		write_pg_auth
		fresh=1
	fi
	# a cluster made before portal_app (027_app_role.sql): the web user's map line
	grep -q portal_app "$PGDATA/pg_ident.conf" || { write_pg_auth; fresh=2; }
	pg_start
	[ $fresh = 2 ] && as_pg $PGBIN/pg_ctl -D "$PGDATA" reload >/dev/null
	if [ $fresh = 1 ]; then
		psql -X -q -h "$PGSOCK" -U postgres -d postgres -v ON_ERROR_STOP=1 \
			-c "CREATE ROLE portal LOGIN" -c "CREATE DATABASE portal OWNER portal" >/dev/null
	fi
	[ "$(psql -X -h "$PGSOCK" -U postgres -d postgres -tAc "SELECT count(*) FROM pg_roles WHERE rolname = 'portal_app'")" = 1 ] ||
		psql -X -q -h "$PGSOCK" -U postgres -d postgres -v ON_ERROR_STOP=1 -c "CREATE ROLE portal_app LOGIN" >/dev/null
}

migrate() {
	local fresh_db
	fresh_db=$(psql_portal -tAc "SELECT to_regclass('schema_migrations') IS NULL")
	"$ROOT/nginx/migrate.sh" "host=$PGSOCK dbname=portal user=portal"
	if [ "$fresh_db" = t ] && [ "$DEMO" = 1 ]; then
		psql_portal --single-transaction -f "$ROOT/sql/demo.sql" >/dev/null
		say "loaded demo data"
	fi
}

start_workers() {
	alive "$VAR/run/workers.pid" && return 0
	rm -f "$VAR/run/portal.sock"
	local own=()
	[ $AS_ROOT = 1 ] && own=(-U www-data -G www-data -u www-data -g www-data)
	spawn-fcgi -s "$VAR/run/portal.sock" -M 0660 "${own[@]}" -P "$VAR/run/workers.pid" -- \
		/usr/bin/multiwatch -f "$WORKERS" -- "$APP/build/portal" >>"$VAR/log/spawn.log" 2>&1 ||
		die "spawn-fcgi failed, see $VAR/log/spawn.log"
}

start_mailer() {
	alive "$VAR/run/mailer.pid" && return 0
	local drop=()
	[ $AS_ROOT = 1 ] && drop=(setpriv --reuid=www-data --regid=www-data --init-groups --)
	"${drop[@]}" "$APP/build/mailer" >>"$VAR/log/mailer.out" 2>&1 </dev/null &
	echo $! >"$VAR/run/mailer.pid"
	sleep 0.2
	alive "$VAR/run/mailer.pid" || die "the mailer did not start, see $VAR/log/mailer.out"
}

# The upstream nginx sends requests to: the socket of the worker pool that serves.
write_upstream() {
	printf 'upstream portal_workers {\n\tserver unix:%s;\n}\n' "$1" >"$VAR/nginx/upstream.conf.new"
	mv "$VAR/nginx/upstream.conf.new" "$VAR/nginx/upstream.conf"
}

start_nginx() {
	alive "$VAR/run/nginx.pid" && return 0
	mkdir -p "$VAR/nginx"
	local user_line="" max_mb
	[ $AS_ROOT = 1 ] && user_line="user www-data www-data;"
	max_mb=$(sed -n 's/.*"max_body_mb": *\([0-9]*\).*/\1/p' "$CONFIG" | head -n1)
	sed -e "s|@VAR@|$VAR|g" -e "s|@USER_LINE@|$user_line|" "$ROOT/nginx/portal.conf.in" >"$VAR/nginx/nginx.conf"
	SITE_LISTEN=127.0.0.1:$PORT SITE_TEMPLATES=$APP/templates SITE_LOG_DIR=$VAR/log SITE_FILES=$VAR/files \
		SITE_UPSTREAM=$VAR/nginx/upstream.conf SITE_MAX_BODY_MB=${max_mb:-25} \
		"$ROOT/nginx/site.sh" "$VAR/nginx/site.conf"
	write_upstream "$VAR/run/portal.sock"
	nginx -e "$VAR/log/nginx-error.log" -p "$VAR/nginx" -c "$VAR/nginx/nginx.conf" -t -q ||
		die "nginx config test failed"
	nginx -e "$VAR/log/nginx-error.log" -p "$VAR/nginx" -c "$VAR/nginx/nginx.conf" ||
		die "nginx did not start (is port $PORT in use?), see $VAR/log/nginx-error.log"
}

wait_healthy() {
	for _ in $(seq 1 100); do
		curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && return 0
		sleep 0.1
	done
	die "the portal does not answer on http://127.0.0.1:$PORT/healthz; see $VAR/log/"
}

up() {
	[ -x "$ROOT/build/portal" ] && [ -x "$ROOT/build/mailer" ] || die "build/portal or build/mailer is missing; run make first"
	if alive "$VAR/run/nginx.pid" && alive "$VAR/run/workers.pid" && alive "$VAR/run/mailer.pid" &&
		as_pg $PGBIN/pg_ctl -D "$PGDATA" status >/dev/null 2>&1; then
		say "the stack in $VAR is already up: http://localhost:$PORT/login"
		return 0
	fi
	mkdir -p "$VAR/run" "$VAR/log" "$VAR/files" "$VAR/mail"
	check_paths
	if [ $AS_ROOT = 1 ]; then
		chown www-data "$VAR/files" "$VAR/mail"
		touch "$VAR/log/portal.log" && chown www-data "$VAR/log/portal.log"
	fi
	write_config
	start_pg
	migrate
	start_workers
	start_mailer
	start_nginx
	wait_healthy
	cat <<TXT

Customer portal is up.
  Portal:  http://localhost:$PORT/login
  Admin:   http://localhost:$PORT/admin/login (console and agent inbox)
  Logins (password demo-Portal-2026):
    customers  ada@example.com, grace@example.com (Northwind), linus@example.org (Initech)
    staff      admin@example.com (admin), agent@example.com (agent)
  Mail:    $(tail -n 1 "$VAR/log/mailer.out" 2>/dev/null)
  Mail in: $([ "$AS_ROOT" = 1 ] && echo "runuser -u $WEBUSER -- ")env PORTAL_CONFIG=$CONFIG $APP/build/portal-mailgate --to support@example.com < message.eml
           (what an MTA's pipe runs; sample messages in test/mail/)
  Logs:    $VAR/log/   Stop: make stop
TXT
}

down() {
	if alive "$VAR/run/nginx.pid"; then
		kill "$(cat "$VAR/run/nginx.pid")" 2>/dev/null || true
	fi
	for p in workers mailer; do
		if alive "$VAR/run/$p.pid"; then
			kill "$(cat "$VAR/run/$p.pid")" 2>/dev/null || true
		fi
	done
	for _ in $(seq 1 50); do
		alive "$VAR/run/nginx.pid" || alive "$VAR/run/workers.pid" || alive "$VAR/run/mailer.pid" || break
		sleep 0.1
	done
	rm -f "$VAR/run/workers.pid" "$VAR/run/mailer.pid" "$VAR/run/portal.sock"
	pg_stop
	say "stopped the stack in $VAR"
}

# workers N: stop the worker pool (multiwatch, pid in run/workers.pid, and its children) and start
# one of N workers on the same socket, serving the same program (a staged copy in $VAR/app stays
# the one in use); then wait for /healthz through nginx. Requests in the gap get 502 from nginx:
# fine for make bench, not a zero-downtime switch.
workers() {
	local n=${1:-} pid kids prog
	[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "usage: stack.sh workers N (N >= 1)"
	prog=$APP/build/portal
	[ -x "$VAR/app/build/portal" ] && prog=$VAR/app/build/portal
	if alive "$VAR/run/workers.pid"; then
		pid=$(head -n1 "$VAR/run/workers.pid")
		# multiwatch -f N -- PROGRAM: keep PROGRAM
		prog=$(tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n '/^--$/{n;p;q}')
		[ -n "$prog" ] || die "cannot read the program of the worker pool (pid $pid)"
		kids=$(pgrep -P "$pid" || true)
		kill "$pid" 2>/dev/null || true
		local gone=0
		for _ in $(seq 1 100); do
			gone=1
			for q in $pid $kids; do kill -0 "$q" 2>/dev/null && gone=0; done
			[ $gone = 1 ] && break
			sleep 0.1
		done
		[ $gone = 1 ] || { kill -KILL $pid $kids 2>/dev/null || true; sleep 0.2; }
	fi
	rm -f "$VAR/run/workers.pid"
	WORKERS=$n APP=$(dirname "$(dirname "$prog")")
	start_workers
	for _ in $(seq 1 50); do # until all N have started
		[ "$(pgrep -c -P "$(head -n1 "$VAR/run/workers.pid" 2>/dev/null || echo 0)" || true)" -ge "$n" ] && break
		sleep 0.1
	done
	# the port nginx listens on, from its config (PORTAL_HTTP_PORT need not be set)
	if [ -z "${PORTAL_HTTP_PORT:-}" ] && [ -f "$VAR/nginx/site.conf" ]; then
		PORT=$(sed -n 's/.*listen 127\.0\.0\.1:\([0-9]*\);.*/\1/p' "$VAR/nginx/site.conf" | head -n1)
	fi
	alive "$VAR/run/nginx.pid" && wait_healthy
	say "workers: $n ($(pgrep -c -P "$(head -n1 "$VAR/run/workers.pid")" || true) running) in $VAR"
}

status() {
	alive "$VAR/run/nginx.pid" && say "nginx: up (port $PORT)" || say "nginx: down"
	alive "$VAR/run/workers.pid" && say "workers: up" || say "workers: down"
	alive "$VAR/run/mailer.pid" && say "mailer: up" || say "mailer: down"
	as_pg $PGBIN/pg_ctl -D "$PGDATA" status >/dev/null 2>&1 && say "postgresql: up" || say "postgresql: down"
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
pg-restart) pg_stop; pg_start ;;
pg-stop) pg_stop ;;
pg-start) pg_start ;;
workers) workers "${2:-}" ;;
*) die "usage: stack.sh up|down|status|workers N" ;;
esac
