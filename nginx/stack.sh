#!/usr/bin/env bash
# stack.sh - bring one local stack up or down: PostgreSQL, migrations, demo data, workers, nginx.
#   nginx/stack.sh up|down|status     (PORTAL_VAR, PORTAL_HTTP_PORT, PORTAL_WORKERS, PORTAL_CONFIG)
#   HTTPS: PORTAL_TLS_CERT and PORTAL_TLS_KEY (PEM files) serve the portal on PORTAL_HTTPS_PORT
#   (default 8443); PORTAL_HTTP_PORT then only redirects there.
#   nginx/stack.sh workers N          replace the running worker pool with one of N workers (make bench)
# Everything runtime lives in PORTAL_VAR; pid files there say exactly what this stack started.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VAR=${PORTAL_VAR:-$ROOT/var}
mkdir -p "$VAR"
VAR=$(cd "$VAR" && pwd)
# both paths end up in nginx's config, the JSON config and libpq's conninfo, unquoted
for p in "$VAR" "$ROOT"; do
	[[ "$p" =~ ^/[A-Za-z0-9._/@+=,-]+$ ]] ||
		{ echo "stack: $p: use a folder whose path has only letters, digits and ._/@+=,-" >&2; exit 1; }
done
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

# HTTPS: both files given, or neither. The key stays where it is: nginx's master reads it (as
# root when the stack runs as root), so it may be readable by its owner only.
TLS_CERT=${PORTAL_TLS_CERT:-} TLS_KEY=${PORTAL_TLS_KEY:-}
HTTPS_PORT=${PORTAL_HTTPS_PORT:-8443}
TLS=0
if [ -n "$TLS_CERT$TLS_KEY" ]; then
	[ -n "$TLS_CERT" ] && [ -n "$TLS_KEY" ] || die "HTTPS needs both PORTAL_TLS_CERT and PORTAL_TLS_KEY"
	[[ "$HTTPS_PORT" =~ ^[0-9]+$ ]] || die "PORTAL_HTTPS_PORT must be a port number"
	TLS_CERT=$(realpath -m "$TLS_CERT") TLS_KEY=$(realpath -m "$TLS_KEY")
	TLS=1
fi
# where the portal is served: with HTTPS the https port, else the plain one
# and the scheme and port of links in mail (the config's "links")
if [ $TLS = 1 ]; then
	URL=https://localhost:$HTTPS_PORT LINKS="{ \"scheme\": \"https\", \"port\": $HTTPS_PORT }"
else
	URL=http://localhost:$PORT LINKS="{ \"scheme\": \"http\", \"port\": $PORT }"
fi

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
		stage_app
		say "the checkout is not readable by www-data: running a copy staged in $APP"
	fi
}

# Copy the programs and templates into a new folder $VAR/app.<stamp> and point the link $VAR/app at
# it (what the config's templates_dir and the pools' command lines name). A pool already running
# keeps the files it started with; stage_prune removes folders the link no longer names.
stage_app() {
	local dir
	dir=$VAR/app.$(date +%s%N)
	mkdir -p "$dir/build"
	cp -a "$ROOT/templates" "$dir/"
	cp "$ROOT/build/portal" "$ROOT/build/mailer" "$ROOT/build/portal-mailgate" "$dir/build/"
	chmod -R a+rX "$dir"
	# a stack staged before the link existed has a plain folder there
	[ -d "$VAR/app" ] && [ ! -L "$VAR/app" ] && mv "$VAR/app" "$VAR/app.$(date +%s%N)"
	ln -sfn "$(basename "$dir")" "$VAR/app.link"
	mv -T "$VAR/app.link" "$VAR/app"
	APP=$VAR/app
}

stage_prune() {
	local cur d
	cur=$(readlink "$VAR/app" 2>/dev/null || true)
	for d in "$VAR"/app.*; do
		[ -d "$d" ] && [ "$(basename "$d")" != "$cur" ] && rm -rf "$d"
	done
	return 0
}

write_config() {
	if [ -f "$CONFIG" ]; then
		# a config an older stack wrote connects as the owner: from now on as portal_app (027_app_role)
		sed -i "s|\"host=$PGSOCK dbname=portal user=portal\"|\"host=$PGSOCK dbname=portal user=portal_app\"|" "$CONFIG"
		sync_links
		return 0
	fi
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
  "links": $LINKS,
  "webhooks": { "allow_private_addresses": $([ "${PORTAL_WEBHOOK_PRIVATE:-0}" = 1 ] && echo true || echo false) },
  "metrics": { "file": "$VAR/run/metrics", "allow": ["127.0.0.1", "::1"] }
}
JSON
	umask 022
	[ $AS_ROOT = 1 ] && chgrp www-data "$CONFIG" && chmod 0640 "$CONFIG"
	say "wrote $CONFIG (with a new secret key)"
}

# A config written by this script for the other scheme (HTTPS turned on or off since): its links
# line, exactly as write_config wrote it, is made to follow. A links line edited by hand is left.
sync_links() {
	local want="  \"links\": $LINKS,"
	grep -qxF -- "$want" "$CONFIG" && return 0
	if grep -qxE '  "links": \{ "scheme": "https?", "port": [0-9]+ \},' "$CONFIG"; then
		sed -i -E "s|^  \"links\": \{ \"scheme\": \"https?\", \"port\": [0-9]+ \},\$|$want|" "$CONFIG"
		say "links in mail now $(sed -n 's/^  "links": { "scheme": "\(https*\)", "port": \([0-9]*\) },$/\1, port \2/p' "$CONFIG") ($CONFIG)"
	else
		say "note: $CONFIG has its own \"links\"; mail links follow it, not PORTAL_TLS_CERT"
	fi
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

# The serving worker pool: multiwatch's pid in run/workers.pid, listening on run/portal.sock (the
# socket nginx's upstream names). spawn_pool SOCKET PIDFILE N PROGRAM starts a pool of N workers.
spawn_pool() {
	rm -f "$1"
	local own=()
	[ $AS_ROOT = 1 ] && own=(-U www-data -G www-data -u www-data -g www-data)
	spawn-fcgi -s "$1" -M 0660 "${own[@]}" -P "$2" -- \
		/usr/bin/multiwatch -f "$3" -- "$4" >>"$VAR/log/spawn.log" 2>&1 9>&- ||
		die "spawn-fcgi failed, see $VAR/log/spawn.log"
}

start_workers() {
	alive "$VAR/run/workers.pid" && return 0
	spawn_pool "$VAR/run/portal.sock" "$VAR/run/workers.pid" "$WORKERS" "$(readlink -f "$APP/build/portal")"
}

start_mailer() {
	alive "$VAR/run/mailer.pid" && return 0
	local drop=()
	[ $AS_ROOT = 1 ] && drop=(setpriv --reuid=www-data --regid=www-data --init-groups --)
	"${drop[@]}" "$APP/build/mailer" >>"$VAR/log/mailer.out" 2>&1 </dev/null 9>&- & # 9: switch_pool's lock
	echo $! >"$VAR/run/mailer.pid"
	sleep 0.2
	alive "$VAR/run/mailer.pid" || die "the mailer did not start, see $VAR/log/mailer.out"
}

# The upstream nginx sends requests to: the socket of the worker pool that serves.
write_upstream() {
	printf 'upstream portal_workers {\n\tserver unix:%s;\n}\n' "$1" >"$VAR/nginx/upstream.conf.new"
	mv "$VAR/nginx/upstream.conf.new" "$VAR/nginx/upstream.conf"
}

# nginx.conf and the site (nginx/site.sh) of this stack, from the config's limits.
render_site() {
	mkdir -p "$VAR/nginx"
	local user_line="" max_mb
	[ $AS_ROOT = 1 ] && user_line="user www-data www-data;"
	max_mb=$(sed -n 's/.*"max_body_mb": *\([0-9]*\).*/\1/p' "$CONFIG" | head -n1)
	sed -e "s|@VAR@|$VAR|g" -e "s|@USER_LINE@|$user_line|" "$ROOT/nginx/portal.conf.in" >"$VAR/nginx/nginx.conf"
	local tls=()
	if [ $TLS = 1 ]; then
		[ -f "$TLS_CERT" ] && [ -f "$TLS_KEY" ] || die "PORTAL_TLS_CERT or PORTAL_TLS_KEY is not a file"
		tls=(SITE_TLS_CERT="$TLS_CERT" SITE_TLS_KEY="$TLS_KEY" SITE_HTTPS_LISTEN="127.0.0.1:$HTTPS_PORT")
	fi
	env "${tls[@]}" SITE_LISTEN=127.0.0.1:$PORT SITE_TEMPLATES=$APP/templates SITE_LOG_DIR=$VAR/log SITE_FILES=$VAR/files \
		SITE_UPSTREAM=$VAR/nginx/upstream.conf SITE_MAX_BODY_MB=${max_mb:-25} \
		"$ROOT/nginx/site.sh" "$VAR/nginx/site.conf"
	# what the site was made with: make reload renders it again the same way, whatever its
	# environment says (changing ports or HTTPS is a make stop and make run)
	printf 'PORT=%q\nTLS=%q\nTLS_CERT=%q\nTLS_KEY=%q\nHTTPS_PORT=%q\n' "$PORT" "$TLS" "$TLS_CERT" "$TLS_KEY" "$HTTPS_PORT" \
		>"$VAR/nginx/site.env"
}

start_nginx() {
	alive "$VAR/run/nginx.pid" && return 0
	render_site
	write_upstream "$VAR/run/portal.sock"
	nginx -e "$VAR/log/nginx-error.log" -p "$VAR/nginx" -c "$VAR/nginx/nginx.conf" -t -q ||
		die "nginx config test failed"
	nginx -e "$VAR/log/nginx-error.log" -p "$VAR/nginx" -c "$VAR/nginx/nginx.conf" ||
		die "nginx did not start (is port $PORT$([ $TLS = 1 ] && echo " or $HTTPS_PORT") in use?), see $VAR/log/nginx-error.log"
}

# /healthz where nginx serves the portal: the https port when the site has one (plain http then
# only redirects; -k: a liveness check on loopback, whatever name the certificate has).
wait_healthy() {
	local url=http://127.0.0.1:$PORT/healthz https
	https=$(sed -n 's/.*listen 127\.0\.0\.1:\([0-9]*\) ssl.*/\1/p' "$VAR/nginx/site.conf" 2>/dev/null | head -n1)
	[ -n "$https" ] && url=https://127.0.0.1:$https/healthz
	for _ in $(seq 1 100); do
		curl -kfsS -o /dev/null "$url" 2>/dev/null && return 0
		sleep 0.1
	done
	die "the portal does not answer on $url; see $VAR/log/"
}

up() {
	[ -x "$ROOT/build/portal" ] && [ -x "$ROOT/build/mailer" ] || die "build/portal or build/mailer is missing; run make first"
	if alive "$VAR/run/nginx.pid" && alive "$VAR/run/workers.pid" && alive "$VAR/run/mailer.pid" &&
		as_pg $PGBIN/pg_ctl -D "$PGDATA" status >/dev/null 2>&1; then
		say "the stack in $VAR is already up: $URL/login"
		return 0
	fi
	mkdir -p "$VAR/run" "$VAR/log" "$VAR/files" "$VAR/mail"
	check_paths
	if [ $AS_ROOT = 1 ]; then
		chown www-data "$VAR/files" "$VAR/mail"
		touch "$VAR/log/portal.log" && chown www-data "$VAR/log/portal.log"
		touch "$VAR/run/metrics" && chown www-data:www-data "$VAR/run/metrics" && chmod 0660 "$VAR/run/metrics" # the pool's counters (/metrics)
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
  Portal:  $URL/login
  Admin:   $URL/admin/login (console and agent inbox)$([ $TLS = 1 ] && printf '\n  (HTTPS; http://localhost:%s only redirects there)' "$PORT")
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
	for p in workers workers-next mailer; do
		if alive "$VAR/run/$p.pid"; then
			kill "$(cat "$VAR/run/$p.pid")" 2>/dev/null || true
		fi
	done
	for _ in $(seq 1 50); do
		alive "$VAR/run/nginx.pid" || alive "$VAR/run/workers.pid" || alive "$VAR/run/mailer.pid" || break
		sleep 0.1
	done
	rm -f "$VAR/run/workers.pid" "$VAR/run/workers-next.pid" "$VAR/run/mailer.pid" "$VAR"/run/portal.sock*
	pg_stop
	say "stopped the stack in $VAR"
}

# Zero-downtime changes of the worker pool (make scale WORKERS=N, make reload; make bench's sweep):
#   switch_pool N  start a pool of N workers on a socket of its own (run/portal.sock.next) and wait
#                  until all N run and the pool answers /healthz there (build/portal probe; a pool
#                  that does not is stopped, the old one serves on); then rename that socket onto
#                  run/portal.sock, the path nginx connects to: from that instant every new
#                  connection reaches the new pool, and the old pool's socket has no name, so no
#                  one can reach it any more. Then tell the old pool to stop (SIGTERM to
#                  multiwatch, which passes SIGUSR1 to its workers): each finishes the request it
#                  is on, accepts and serves what is still queued on its socket, and exits (see
#                  fcgi/main.c). No request is refused or sent twice, and nginx is not reloaded,
#                  so no client's keep-alive connection is closed either.
#   reload         stage the new build (when the stack runs a staged copy), migrate the database
#                  (migrations are written to run while the old workers serve: sql/README.md),
#                  re-render nginx's site and reload nginx only when it changed (the config's
#                  limits), switch to a new pool of the same size running the new program,
#                  templates and config, and restart the mailer.
pool_size() { # the worker count of the serving pool (multiwatch -f N)
	local pid
	pid=$(head -n1 "$VAR/run/workers.pid" 2>/dev/null || echo 0)
	tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | sed -n '/^-f$/{n;p;q}'
}

wait_gone() { # PID...: until none is alive (60 s)
	for _ in $(seq 1 600); do
		local any=0
		for q in "$@"; do kill -0 "$q" 2>/dev/null && any=1; done
		[ $any = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

switch_pool() {
	local n=$1 prog=$APP/build/portal
	alive "$VAR/run/workers.pid" && alive "$VAR/run/nginx.pid" || die "the stack in $VAR is not up (make run)"
	exec 9>"$VAR/run/switch.lock" # (the pools and the mailer started here do not inherit it)
	flock -n 9 || die "another make scale or make reload is under way in $VAR"
	# the program by its real path: a worker the old pool's multiwatch restarts during a switch runs
	# its own build, not what the link $VAR/app names by then
	[ -x "$VAR/app/build/portal" ] && prog=$VAR/app/build/portal
	prog=$(readlink -f "$prog")
	local old_pid next sock=$VAR/run/portal.sock
	old_pid=$(head -n1 "$VAR/run/workers.pid")
	if alive "$VAR/run/workers-next.pid"; then # a switch interrupted before the rename: never served
		next=$(head -n1 "$VAR/run/workers-next.pid")
		kill "$next" 2>/dev/null || true
		wait_gone "$next" || kill -KILL "$next" 2>/dev/null || true
	fi
	spawn_pool "$sock.next" "$VAR/run/workers-next.pid" "$n" "$prog"
	next=$(head -n1 "$VAR/run/workers-next.pid")
	# until the rename, an interrupted or failed switch stops the new pool and leaves the old one
	trap 'kill '"$next"' 2>/dev/null; rm -f "$VAR/run/workers-next.pid" "$VAR/run/portal.sock.next"' EXIT
	local ready=0
	for _ in $(seq 1 300); do # all N workers running and the pool answering /healthz on its socket (30 s)
		alive "$VAR/run/workers-next.pid" || break
		if [ "$(pgrep -c -P "$next" || true)" -ge "$n" ] && "$prog" probe "$sock.next" >/dev/null 2>&1; then
			ready=1
			break
		fi
		sleep 0.1
	done
	if [ $ready = 0 ]; then
		say "stack: the new pool does not answer ($("$prog" probe "$sock.next" 2>&1 | head -n1); see $VAR/log/portal.log); the old pool still serves" >&2
		return 1
	fi
	mv -T "$sock.next" "$sock" # one rename: new connections go to the new pool from here on
	mv "$VAR/run/workers-next.pid" "$VAR/run/workers.pid"
	trap - EXIT
	# a connect() that found the old socket just before the rename is queued on it by now
	sleep 0.2
	local old_kids
	old_kids=$(pgrep -P "$old_pid" || true)
	kill "$old_pid" 2>/dev/null || true
	wait_gone "$old_pid" $old_kids || { kill -KILL "$old_pid" $old_kids 2>/dev/null || true; }
	say "workers: $n in $VAR (the previous pool finished its requests and stopped)"
}

# nginx's site again (the config's limits may have changed): reloaded only when it differs.
reload_site() {
	local f
	for f in nginx.conf site.conf site.env; do cp "$VAR/nginx/$f" "$VAR/nginx/$f.was" 2>/dev/null || true; done
	render_site
	if cmp -s "$VAR/nginx/site.conf" "$VAR/nginx/site.conf.was" && cmp -s "$VAR/nginx/nginx.conf" "$VAR/nginx/nginx.conf.was"; then
		rm -f "$VAR"/nginx/*.was
		return 0
	fi
	if ! nginx -e "$VAR/log/nginx-error.log" -p "$VAR/nginx" -c "$VAR/nginx/nginx.conf" -t -q; then
		for f in nginx.conf site.conf site.env; do mv "$VAR/nginx/$f.was" "$VAR/nginx/$f" 2>/dev/null || true; done
		say "stack: nginx refused the new site; nothing was changed" >&2
		return 1
	fi
	rm -f "$VAR"/nginx/*.was
	kill -HUP "$(head -n1 "$VAR/run/nginx.pid")"
	say "nginx: site changed, reloaded"
}

scale() {
	local n=${1:-}
	[[ "$n" =~ ^[1-9][0-9]*$ ]] && [ "$n" -le 32 ] ||
		die "usage: make scale WORKERS=N (1 to 32: each worker holds a database connection)"
	switch_pool "$n" || exit 1
}

reload() {
	alive "$VAR/run/workers.pid" && alive "$VAR/run/nginx.pid" || die "the stack in $VAR is not up (make run)"
	[ -x "$ROOT/build/portal" ] || die "build/portal is missing; run make first"
	local n was=""
	n=$(pool_size)
	[ -n "$n" ] || n=$WORKERS
	[ -f "$VAR/nginx/site.env" ] && . "$VAR/nginx/site.env"
	if [ -L "$VAR/app" ] || [ -d "$VAR/app" ]; then # a staged copy: stage the new build beside it
		was=$(readlink "$VAR/app" 2>/dev/null || true)
		stage_app
	fi
	# anything failing before the new pool serves puts the link back: the old pool keeps serving
	if ! "$ROOT/nginx/migrate.sh" "host=$PGSOCK dbname=portal user=portal" || ! reload_site || ! switch_pool "$n"; then
		if [ -n "$was" ] && [ -d "$VAR/$was" ]; then
			ln -sfn "$was" "$VAR/app.link" && mv -T "$VAR/app.link" "$VAR/app"
		fi
		stage_prune
		die "reload stopped; the stack in $VAR runs as before"
	fi
	# the mailer: stop it (it finishes the message in hand) and start the new program
	if alive "$VAR/run/mailer.pid"; then
		local m
		m=$(head -n1 "$VAR/run/mailer.pid")
		kill "$m" 2>/dev/null || true
		wait_gone "$m" || kill -KILL "$m" 2>/dev/null || true
	fi
	start_mailer
	stage_prune
	say "reloaded $VAR: program, templates, config and migrations"
}

# init-cluster: a new cluster exactly as up makes one (initdb, authentication, role and database
# portal), started, without migrations or demo data: nginx/backup.sh restore loads a backup into it.
init_cluster() {
	mkdir -p "$VAR/log"
	check_paths
	start_pg
}

status() {
	alive "$VAR/run/nginx.pid" && say "nginx: up (port $PORT)" || say "nginx: down"
	alive "$VAR/run/workers.pid" && say "workers: up" || say "workers: down"
	alive "$VAR/run/mailer.pid" && say "mailer: up" || say "mailer: down"
	as_pg $PGBIN/pg_ctl -D "$PGDATA" status >/dev/null 2>&1 && say "postgresql: up" || say "postgresql: down"
}

case "${1:-}" in
up) up ;;
init-cluster) init_cluster ;;
down) down ;;
status) status ;;
pg-restart) pg_stop; pg_start ;;
pg-stop) pg_stop ;;
pg-start) pg_start ;;
workers | scale) scale "${2:-}" ;;
reload) reload ;;
*) die "usage: stack.sh up|down|status|scale N|reload" ;;
esac
