#!/usr/bin/env bash
# install.sh - install the portal as system services (make install), and set up a host (setup).
#   nginx/install.sh install      (make install: PREFIX, DESTDIR, SYSCONFDIR, LOCALSTATEDIR,
#                                   RUNSTATEDIR, SYSTEMD_UNIT_DIR; PORTAL_TLS_CERT, PORTAL_TLS_KEY)
#   nginx/install.sh setup        (as root on the real host, after install, same PREFIX/SYSCONFDIR:
#                                   user and group portal, folders, portal.json, PostgreSQL roles,
#                                   database and migrations; MAIL_USER=<the MTA's pipe user>)
#   nginx/install.sh write-config FILE   a new config with a fresh secret_key, mode 0640
#                                   root:$PORTAL_GROUP (default portal); an existing FILE is kept
# Layout (PREFIX=/usr/local by default):
#   $PREFIX/lib/portal/{portal,mailer,portal-mailgate}   programs run by services and the MTA, not
#                      by people: outside PATH, one folder (the mailer runs the gateway beside it)
#   $PREFIX/share/portal/{templates,sql,nginx/migrate.sh,nginx/install.sh,README.md}
#   $PREFIX/lib/systemd/system/portal-{workers,mailer}.service   (systemd reads /usr/lib and
#                      /usr/local/lib/systemd/system alike; SYSTEMD_UNIT_DIR overrides)
#   $SYSCONFDIR/nginx/sites-available/portal   the site (nginx/site.sh), port 80 (and 443 with TLS)
#   $SYSCONFDIR/portal/upstream.conf           the workers' socket, $RUNSTATEDIR/portal/portal.sock
#   $SYSCONFDIR/portal/workers.env             PORTAL_WORKERS=4 (kept when present)
#   $SYSCONFDIR/portal/portal.json.example     the config setup writes as portal.json
# DESTDIR installs copy files only: no users, no chown, no systemctl.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# run from an install ($PREFIX/share/portal/nginx/install.sh setup): that PREFIX
case $ROOT in */share/portal) PREFIX=${PREFIX:-${ROOT%/share/portal}} ;; esac
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
SYSCONFDIR=${SYSCONFDIR:-/etc}
LOCALSTATEDIR=${LOCALSTATEDIR:-/var}
RUNSTATEDIR=${RUNSTATEDIR:-/run}
SYSTEMD_UNIT_DIR=${SYSTEMD_UNIT_DIR:-$PREFIX/lib/systemd/system}
LIBEXECDIR=$PREFIX/lib/portal
SHAREDIR=$PREFIX/share/portal
ETC=$SYSCONFDIR/portal
STATE=$LOCALSTATEDIR/lib/portal
LOGDIR=$LOCALSTATEDIR/log/portal
PORTAL_GROUP=${PORTAL_GROUP:-portal}
PG_DB=${PG_DB:-portal} PG_OWNER=${PG_OWNER:-portal} PG_APP=${PG_APP:-portal_app}
PG_CONF=${PG_CONF:-/etc/postgresql/15/main}

die() { printf 'install: %s\n' "$*" >&2; exit 1; }
say() { printf '%s\n' "$*"; }

# The config of an install: the same keys as a local stack's (nginx/stack.sh write_config).
config_json() { # $1 secret
	cat <<JSON
{
  "database": "dbname=$PG_DB user=$PG_APP",
  "templates_dir": "$SHAREDIR/templates",
  "log_file": "$LOGDIR/portal.log",
  "log_level": "info",
  "files_dir": "$STATE/files",
  "mail_dir": "$STATE/mail",
  "secret_key": "$1",
  "argon2": { "t_cost": 2, "m_cost_kib": 19456, "parallelism": 1 },
  "limits": {
    "max_body_mb": 25,
    "max_mail_mb": 35,
    "session_absolute_hours": 336,
    "login_max_failures": 10,
    "login_lockout_minutes": 15,
    "login_ip_max_failures": 30,
    "login_ip_window_minutes": 10
  },
  "smtp": { "url": "smtp://localhost:25", "user": "", "password": "", "from": "Support <support@example.com>" },
  "mail": { "retry_base_seconds": 30, "max_attempts": 10 },
  "links": { "scheme": "$([ -n "${PORTAL_TLS_CERT:-}" ] && echo https || echo http)", "port": 0 },
  "webhooks": { "allow_private_addresses": false },
  "metrics": { "file": "$RUNSTATEDIR/portal/metrics", "allow": ["127.0.0.1", "::1"] }
}
JSON
}

# write-config FILE: once; the secret never leaves the file (umask 077 until it has its group).
write_config() {
	local out=$1
	[ -f "$out" ] && { say "kept $out"; return 0; }
	getent group "$PORTAL_GROUP" >/dev/null || die "no group $PORTAL_GROUP"
	(
		umask 077
		config_json "$(openssl rand -hex 32)" >"$out.new"
	)
	chown "root:$PORTAL_GROUP" "$out.new"
	chmod 0640 "$out.new"
	mv "$out.new" "$out"
	say "wrote $out (mode 0640 root:$PORTAL_GROUP, with a new secret key)"
}

fill() { # template -> stdout, the unit's paths filled in
	sed -e "s|@SYSCONFDIR@|$SYSCONFDIR|g" -e "s|@LOCALSTATEDIR@|$LOCALSTATEDIR|g" \
		-e "s|@RUNSTATEDIR@|$RUNSTATEDIR|g" -e "s|@LIBEXECDIR@|$LIBEXECDIR|g" \
		-e "s|@DOCDIR@|$SHAREDIR|g" "$1"
}

install_files() {
	local d=$DESTDIR f
	for f in portal mailer portal-mailgate; do
		[ -x "$ROOT/build/$f" ] || die "build/$f is missing: run make first"
	done
	if { [ -n "${PORTAL_TLS_CERT:-}" ] && [ "${PORTAL_TLS_CERT:-}" != none ]; } || [ -n "${PORTAL_TLS_KEY:-}" ]; then
		[ -n "${PORTAL_TLS_CERT:-}" ] && [ -n "${PORTAL_TLS_KEY:-}" ] || die "PORTAL_TLS_CERT and PORTAL_TLS_KEY go together"
	fi
	install -d "$d$LIBEXECDIR" "$d$SHAREDIR/nginx" "$d$SHAREDIR/sql/functions" "$d$SYSTEMD_UNIT_DIR" \
		"$d$ETC" "$d$SYSCONFDIR/nginx/sites-available"
	install -m 0755 "$ROOT/build/portal" "$ROOT/build/mailer" "$ROOT/build/portal-mailgate" "$d$LIBEXECDIR/"
	rm -rf "$d$SHAREDIR/templates"
	cp -R "$ROOT/templates" "$d$SHAREDIR/templates"
	chmod -R u=rwX,go=rX "$d$SHAREDIR/templates"
	install -m 0644 "$ROOT"/sql/[0-9][0-9][0-9]_*.sql "$d$SHAREDIR/sql/"
	install -m 0644 "$ROOT"/sql/functions/*.sql "$d$SHAREDIR/sql/functions/"
	install -m 0755 "$ROOT/nginx/migrate.sh" "$ROOT/nginx/install.sh" "$d$SHAREDIR/nginx/"
	install -m 0644 "$ROOT/README.md" "$d$SHAREDIR/README.md"
	for f in portal-workers portal-mailer; do
		fill "$ROOT/nginx/systemd/$f.service.in" >"$d$SYSTEMD_UNIT_DIR/$f.service"
		chmod 0644 "$d$SYSTEMD_UNIT_DIR/$f.service"
	done
	# nginx's upstream: the pool's socket; kept when present (make scale / make reload rewrite it to
	# the pool that serves)
	[ -f "$d$ETC/upstream.conf" ] ||
		printf 'upstream portal_workers {\n\tserver unix:%s;\n}\n' "$RUNSTATEDIR/portal/portal.sock" >"$d$ETC/upstream.conf"
	[ -f "$d$ETC/workers.env" ] ||
		printf '# the worker pool of portal-workers.service: systemctl restart portal-workers after a change\nPORTAL_WORKERS=4\n' >"$d$ETC/workers.env"
	config_json "<written by: $SHAREDIR/nginx/install.sh setup>" >"$d$ETC/portal.json.example"
	chmod 0644 "$d$ETC/upstream.conf" "$d$ETC/workers.env" "$d$ETC/portal.json.example"
	# the site; HTTPS when a certificate is given (nginx/site.sh: SITE_TLS_*). The choice is kept in
	# $ETC/site.env: an install run again (an upgrade) without the variables keeps HTTPS on;
	# PORTAL_TLS_CERT=none turns it off.
	local tls=()
	if [ -z "${PORTAL_TLS_CERT:-}" ] && [ -f "$d$ETC/site.env" ]; then
		. "$d$ETC/site.env"
	fi
	if [ "${PORTAL_TLS_CERT:-}" = none ]; then
		rm -f "$d$ETC/site.env"
	elif [ -n "${PORTAL_TLS_CERT:-}" ]; then
		tls=(SITE_TLS_CERT="$PORTAL_TLS_CERT" SITE_TLS_KEY="$PORTAL_TLS_KEY" SITE_HTTPS_LISTEN="${PORTAL_HTTPS_PORT:-443}")
		printf 'PORTAL_TLS_CERT=%q\nPORTAL_TLS_KEY=%q\nPORTAL_HTTPS_PORT=%q\n' "$PORTAL_TLS_CERT" "$PORTAL_TLS_KEY" \
			"${PORTAL_HTTPS_PORT:-443}" >"$d$ETC/site.env"
	fi
	# client_max_body_size from the config's limits.max_body_mb (when there is one yet)
	local max_mb=25
	[ -r "$d$ETC/portal.json" ] &&
		max_mb=$(sed -n 's/.*"max_body_mb": *\([0-9]*\).*/\1/p' "$d$ETC/portal.json" | head -n1 | grep . || echo 25)
	env "${tls[@]}" SITE_LISTEN=80 SITE_TEMPLATES="$SHAREDIR/templates" SITE_FILES="$STATE/files" SITE_LOG_DIR="$LOGDIR" \
		SITE_UPSTREAM="$ETC/upstream.conf" SITE_MAX_BODY_MB="$max_mb" \
		"$ROOT/nginx/site.sh" "$d$SYSCONFDIR/nginx/sites-available/portal"
	chmod 0644 "$d$SYSCONFDIR/nginx/sites-available/portal"
	# logrotate: copytruncate, since the workers keep the log open and must not be signalled
	# (SIGHUP would stop the pool); nginx reopens its own log on USR1
	install -d "$d$SYSCONFDIR/logrotate.d"
	cat >"$d$SYSCONFDIR/logrotate.d/portal" <<ROTATE
$LOGDIR/portal.log {
	weekly
	rotate 8
	compress
	delaycompress
	missingok
	notifempty
	copytruncate
}
$LOGDIR/nginx-access.log {
	daily
	rotate 14
	compress
	delaycompress
	missingok
	notifempty
	sharedscripts
	postrotate
		[ ! -f /run/nginx.pid ] || kill -USR1 \$(cat /run/nginx.pid)
	endscript
}
ROTATE
	say "installed into ${DESTDIR:-/} (PREFIX=$PREFIX)"
	[ -n "$DESTDIR" ] || say "next, once per host, as root: $SHAREDIR/nginx/install.sh setup (see README, Operations)"
}

# setup: the host side, as root, after install; run again, it changes nothing that exists.
setup() {
	[ "$(id -u)" = 0 ] || die "setup runs as root"
	[ -z "$DESTDIR" ] || die "setup is for the real host, not a DESTDIR"
	[ -x "$LIBEXECDIR/portal" ] || die "$LIBEXECDIR/portal is missing: make install PREFIX=$PREFIX first"
	cd / # runuser -u postgres: a folder postgres may enter
	getent group portal >/dev/null || groupadd --system portal
	getent passwd portal >/dev/null ||
		useradd --system --gid portal --home-dir "$STATE" --no-create-home --shell /usr/sbin/nologin portal
	getent group www-data >/dev/null || die "no group www-data (install nginx first)"
	# files_dir: setgid www-data, so that nginx reads what the workers, the mailer and the gateway store
	install -d -o portal -g www-data -m 0750 "$STATE"
	install -d -o portal -g www-data -m 2750 "$STATE/files"
	install -d -o portal -g portal -m 2770 "$STATE/mail"
	install -d -o portal -g portal -m 2770 "$LOGDIR"
	# the log is appended to by the workers, the mailer and the gateway (another user, group portal)
	[ -f "$LOGDIR/portal.log" ] || install -o portal -g portal -m 0660 /dev/null "$LOGDIR/portal.log"
	install -d -m 0755 "$ETC"
	if [ -n "${MAIL_USER:-}" ]; then # the MTA's pipe user: reads the config, writes files and the log
		id "$MAIL_USER" >/dev/null 2>&1 || die "no user $MAIL_USER"
		usermod -a -G portal,www-data "$MAIL_USER"
		# uploads go to files/<first two hex digits of their sha256>/, a folder the first writer
		# makes 0750: made here, group-writable, so that the gateway and the workers both write
		local h
		for h in $(printf '%02x ' $(seq 0 255)) theme; do
			install -d -o portal -g www-data -m 2770 "$STATE/files/$h"
		done
	fi
	write_config "$ETC/portal.json"
	# PostgreSQL (Debian's cluster 15/main): the owner migrates, portal_app serves. Peer authentication
	# on the local socket: OS users portal (and MAIL_USER) map to portal_app, root to the owner.
	[ -f "$PG_CONF/pg_hba.conf" ] || die "no $PG_CONF/pg_hba.conf: apt-get install postgresql-15 (or set PG_CONF)"
	local psql_su=(runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d postgres)
	"${psql_su[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$PG_OWNER'" | grep -q 1 ||
		"${psql_su[@]}" -c "CREATE ROLE $PG_OWNER LOGIN"
	"${psql_su[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$PG_APP'" | grep -q 1 ||
		"${psql_su[@]}" -c "CREATE ROLE $PG_APP LOGIN"
	"${psql_su[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" | grep -q 1 ||
		"${psql_su[@]}" -c "CREATE DATABASE $PG_DB OWNER $PG_OWNER ENCODING 'UTF8' TEMPLATE template0"
	if ! grep -q '^# portal: ' "$PG_CONF/pg_hba.conf"; then
		{ printf '# portal: its database by peer authentication through the map "portal" (pg_ident.conf)\n'
		  printf 'local %s all peer map=portal\n' "$PG_DB"
		  cat "$PG_CONF/pg_hba.conf"; } >"$PG_CONF/pg_hba.conf.new"
		chown --reference="$PG_CONF/pg_hba.conf" "$PG_CONF/pg_hba.conf.new"
		chmod --reference="$PG_CONF/pg_hba.conf" "$PG_CONF/pg_hba.conf.new"
		mv "$PG_CONF/pg_hba.conf.new" "$PG_CONF/pg_hba.conf"
	fi
	local u line
	for u in "portal $PG_APP" "root $PG_OWNER" "postgres $PG_OWNER" "postgres postgres" ${MAIL_USER:+"$MAIL_USER $PG_APP"}; do
		line="portal $u"
		grep -qxF "$line" "$PG_CONF/pg_ident.conf" || echo "$line" >>"$PG_CONF/pg_ident.conf"
	done
	runuser -u postgres -- psql -X -q -d postgres -c "SELECT pg_reload_conf()" >/dev/null
	"$SHAREDIR/nginx/migrate.sh" "dbname=$PG_DB user=$PG_OWNER"
	say "set up: start with systemctl enable --now portal-workers portal-mailer (README, Operations)"
}

case "${1:-}" in
install) install_files ;;
setup) setup ;;
write-config) [ -n "${2:-}" ] || die "usage: install.sh write-config FILE"; write_config "$2" ;;
*) die "usage: install.sh install|setup|write-config FILE" ;;
esac
