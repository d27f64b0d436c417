#!/usr/bin/env bash
# backup.sh - back up the stack of PORTAL_VAR, or restore a backup into a fresh one.
#   nginx/backup.sh backup          -> PORTAL_VAR/backups/portal-<UTC time>.tar (make backup)
#   nginx/backup.sh restore FILE    a fresh cluster in PORTAL_VAR from FILE (make restore FILE=...)
# Run as root or as the user that runs the stack, like nginx/stack.sh (PORTAL_VAR, PORTAL_CONFIG).
#
# Why pg_dump and not WAL archiving: pg_dump -Fc reads the whole database in one REPEATABLE READ
# transaction, so the dump is one consistent moment, taken while the stack serves, with nothing else
# to run or watch; pg_restore -j loads it into any newer PostgreSQL. Point-in-time recovery
# (pgBackRest, a base backup plus a WAL archive that must never stop) would lose less than "since
# the last backup", but needs an archive to keep and monitor; it is out of scope here: run make
# backup as often as the data you may lose allows (e.g. hourly from cron).
#
# One backup is one tar file, mode 0600 in a 0700 folder, holding:
#   manifest.json  format version, created_at, the schema_migrations applied, the counts of tickets,
#                  messages and attachments (all from the dump's snapshot), sha256 of every part
#   portal.dump    pg_dump -Fc of database portal (owners and privileges included)
#   roles.sql      the cluster's roles other than postgres and portal (no passwords: peer auth)
#   files.tar      files_dir as it was: attachments (<2 hex>/<sha256>) and theme/ (logo, favicon)
#   portal.json    the config. It holds secret_key, which seals the second factors and webhook
#                  secrets and signs links: a restore without it cannot unseal them. So the backup
#                  is as secret as the config, and is kept 0600.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VAR=${PORTAL_VAR:-$ROOT/var}
mkdir -p "$VAR"
VAR=$(cd "$VAR" && pwd)
CONFIG=${PORTAL_CONFIG:-$VAR/portal.json}
PGSOCK=$VAR/pg
PGDATA=$VAR/pg/data
FORMAT=1
tmp="" cluster_up=0 done_ok=0

if [ "$(id -u)" = 0 ]; then AS_ROOT=1 WEBUSER=www-data; else AS_ROOT=0 WEBUSER=$(id -un); fi

say() { printf '%s\n' "$*"; }
die() { printf 'backup: %s\n' "$*" >&2; exit 1; }
# root and the cluster's owner may connect as postgres (the peer map nginx/stack.sh writes)
q() { psql -X -q -tA -h "$PGSOCK" -U postgres -v ON_ERROR_STOP=1 "$@"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
json_str() { sed -n "s|.*\"$1\": *\"\\([^\"]*\\)\".*|\\1|p" "$2" | head -n1; }
now_ms() { date +%s%3N; }
took() { local ms=$(($(now_ms) - $1)); printf '%d.%03d s' $((ms / 1000)) $((ms % 1000)); }

backup() {
	local t0 files_dir dir ts out snap line counts migrations
	t0=$(now_ms)
	[ -f "$CONFIG" ] || die "no config at $CONFIG: is PORTAL_VAR the stack's folder?"
	q -d portal -c "SELECT 1" >/dev/null 2>&1 || die "cannot reach database portal on $PGSOCK: start the stack (make run)"
	files_dir=$(json_str files_dir "$CONFIG")
	dir=$VAR/backups
	mkdir -p "$dir"
	chmod 0700 "$dir"
	tmp=$(mktemp -d "$dir/.partial-XXXXXX")
	trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT
	umask 077

	# One snapshot for the dump and the manifest's figures: a REPEATABLE READ transaction held
	# open in a psql coprocess, its snapshot handed to pg_dump.
	# Bash unsets SNAP and SNAP_PID as soon as the coprocess ends: keep copies of its fds and pid.
	local sin sout spid
	coproc SNAP { psql -X -q -tA -h "$PGSOCK" -U postgres -d portal -v ON_ERROR_STOP=1 2>&1; }
	spid=$SNAP_PID
	exec {sin}<&"${SNAP[0]}" {sout}>&"${SNAP[1]}"
	printf 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\nSELECT pg_export_snapshot();\n' >&$sout
	read -t 30 -r snap <&$sin || die "could not open a snapshot"
	[[ "$snap" =~ ^[0-9A-F-]+$ ]] || die "could not open a snapshot: $snap"
	pg_dump -h "$PGSOCK" -U postgres -d portal -Fc --snapshot="$snap" -f "$tmp/portal.dump" ||
		die "pg_dump failed"
	printf '%s\n' "SELECT (SELECT count(*) FROM tickets) || ',' || (SELECT count(*) FROM messages) || ',' || (SELECT count(*) FROM attachments);" \
		"SELECT coalesce(string_agg('\"' || version || '\"', ', ' ORDER BY version), '') FROM schema_migrations;" \
		"SELECT 'END';" "COMMIT;" '\q' >&$sout
	counts="" migrations=""
	while read -t 60 -r line <&$sin; do
		[ "$line" = END ] && break
		if [ -z "$counts" ]; then counts=$line; else migrations=$line; fi
	done
	exec {sin}<&- {sout}>&-
	wait "$spid" 2>/dev/null || true
	[[ "$counts" =~ ^[0-9]+,[0-9]+,[0-9]+$ ]] || die "could not read the counts: $counts"

	# Roles (without passwords: the cluster uses peer authentication) other than the two that
	# nginx/stack.sh creates, so that the dump's owners and GRANTs find their roles on restore.
	pg_dumpall -h "$PGSOCK" -U postgres --roles-only --no-role-passwords |
		grep -Ev '^(CREATE|ALTER) ROLE (postgres|portal)( |;)' >"$tmp/roles.sql"

	# The files AFTER the snapshot: a file is content-addressed and written (renamed into place)
	# before the row that names it commits (fcgi/files.c file_store), and files are never
	# deleted, so every file a row in the dump names is already there now. Files of later rows
	# come along unused. Half-written temporaries (.tmp-*) are left out.
	if [ -d "$files_dir" ]; then
		tar -C "$files_dir" --exclude='.tmp-*' -cf "$tmp/files.tar" .
	else
		tar -cf "$tmp/files.tar" -T /dev/null
	fi
	cp "$CONFIG" "$tmp/portal.json"

	cat >"$tmp/manifest.json" <<JSON
{
  "format": $FORMAT,
  "created_at": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "postgresql": "$(q -d portal -c 'SHOW server_version' | cut -d' ' -f1)",
  "schema_migrations": [$migrations],
  "counts": { "tickets": ${counts%%,*}, "messages": $(echo "$counts" | cut -d, -f2), "attachments": ${counts##*,} },
  "sha256": {
    "portal.dump": "$(sha "$tmp/portal.dump")",
    "roles.sql": "$(sha "$tmp/roles.sql")",
    "files.tar": "$(sha "$tmp/files.tar")",
    "portal.json": "$(sha "$tmp/portal.json")"
  }
}
JSON
	ts=$(date -u +%Y%m%dT%H%M%SZ)
	out=$dir/portal-$ts.tar
	local n=1
	while [ -e "$out" ]; do n=$((n + 1)); out=$dir/portal-$ts-$n.tar; done
	tar -C "$tmp" -cf "$tmp/backup.tar" manifest.json portal.dump roles.sql files.tar portal.json
	chmod 0600 "$tmp/backup.tar"
	mv "$tmp/backup.tar" "$out"
	say "backup: $out ($(du -h "$out" | cut -f1), ${counts%%,*} tickets) in $(took "$t0")"
}

restore() {
	local file=${1:-} t0 name want got files_dir templates
	[ -n "$file" ] || die "usage: make restore FILE=path/to/portal-....tar (into a fresh PORTAL_VAR)"
	[ -f "$file" ] || die "no such backup file: $file"
	file=$(cd "$(dirname "$file")" && pwd)/$(basename "$file")
	t0=$(now_ms)
	if [ -e "$PGDATA" ]; then
		die "$PGDATA already exists: a restore makes a fresh cluster. Point PORTAL_VAR at a new folder, or stop the stack (make stop) and remove $VAR/pg to replace it"
	fi
	[ -e "$CONFIG" ] && die "$CONFIG already exists: restore into a fresh PORTAL_VAR (the backup brings its own config and secret key), or remove it"

	tmp=$(mktemp -d "$VAR/.restore-XXXXXX")
	chmod 0700 "$tmp"
	# on failure: no temporary copy left behind, and nothing half-restored either (the cluster is
	# stopped and removed, the config too: both were absent when this run began), so that the
	# same command can simply run again
	trap '[ -z "$tmp" ] || rm -rf "$tmp"; [ $cluster_up = 0 ] || PORTAL_VAR=$VAR "$ROOT/nginx/stack.sh" pg-stop;
		[ $done_ok = 1 ] || [ $cluster_up = 0 ] || { rm -rf "$VAR/pg"; rm -f "$CONFIG"; }' EXIT
	tar -C "$tmp" -xf "$file" manifest.json portal.dump roles.sql files.tar portal.json 2>/dev/null ||
		die "$file is not a portal backup (expected manifest.json, portal.dump, roles.sql, files.tar, portal.json)"
	grep -q '"format": 1,' "$tmp/manifest.json" || die "$file: unknown backup format (this restore reads format $FORMAT)"
	for name in portal.dump roles.sql files.tar portal.json; do
		want=$(sed -n "s|.*\"$name\": *\"\\([0-9a-f]\\{64\\}\\)\".*|\\1|p" "$tmp/manifest.json")
		got=$(sha "$tmp/$name")
		[ -n "$want" ] && [ "$want" = "$got" ] ||
			die "$file: $name does not match its sha256 in the manifest: the backup is damaged, not restored"
	done
	say "backup verified: $(grep -o '"created_at": "[^"]*"' "$tmp/manifest.json"), $(grep -o '"counts": {[^}]*}' "$tmp/manifest.json")"

	# The cluster, role and database exactly as nginx/stack.sh makes them (started).
	cluster_up=1
	PORTAL_VAR=$VAR PORTAL_CONFIG=$CONFIG "$ROOT/nginx/stack.sh" init-cluster
	# The backup's other roles, less those this cluster already has (made by init-cluster).
	q -d postgres -c "SELECT rolname FROM pg_roles" >"$tmp/roles.have"
	awk 'NR == FNR { have[$0] = 1; next }
		/^CREATE ROLE / { r = $3; sub(/;$/, "", r); gsub(/"/, "", r); if (r in have) next } { print }' \
		"$tmp/roles.have" "$tmp/roles.sql" >"$tmp/roles.new"
	q -d postgres -f "$tmp/roles.new" >/dev/null 2>"$tmp/roles.err" ||
		die "could not create the backup's roles: $(cat "$tmp/roles.err")"
	# Owners and privileges as they were (the roles exist now); -j 2 loads tables and builds
	# indexes two at a time.
	pg_restore -h "$PGSOCK" -U postgres -d portal -j 2 --exit-on-error "$tmp/portal.dump" ||
		die "pg_restore failed (the new cluster is removed again)"
	# what a dump does not carry: the database's own privileges (027_app_role: no temporary tables
	# but the owner's)
	q -d portal -c "REVOKE TEMPORARY ON DATABASE portal FROM PUBLIC" >/dev/null

	# The files, owned by the web user as nginx/stack.sh sets files/ up.
	files_dir=$VAR/files
	mkdir -p "$files_dir"
	tar -C "$files_dir" -xf "$tmp/files.tar"
	[ $AS_ROOT = 1 ] && chown -R "$WEBUSER:" "$files_dir"
	chmod 0755 "$files_dir"

	# The backup's config (its secret_key above all) with this folder's paths: the database
	# socket, files_dir, log_file, mail_dir, templates_dir and the metrics file name where the
	# backup was taken.
	# templates_dir as nginx/stack.sh would write it: the checkout's, or the copy it stages in
	# $VAR/app when the web user cannot read the checkout.
	templates=$ROOT/templates
	if [ $AS_ROOT = 1 ] && ! runuser -u www-data -- test -r "$ROOT/templates/layout.mustache"; then
		templates=$VAR/app/templates
	fi
	umask 077
	sed -e "s|\\(\"database\": *\"[^\"]*host=\\)[^ \"]*|\\1$PGSOCK|" \
		-e "/\"database\":/{/host=/!s|\"database\": *\"|&host=$PGSOCK |}" \
		-e "s|\"files_dir\": *\"[^\"]*\"|\"files_dir\": \"$files_dir\"|" \
		-e "s|\"log_file\": *\"[^\"]*\"|\"log_file\": \"$VAR/log/portal.log\"|" \
		-e "s|\"mail_dir\": *\"[^\"]*\"|\"mail_dir\": \"$VAR/mail\"|" \
		-e "s|\"templates_dir\": *\"[^\"]*\"|\"templates_dir\": \"$templates\"|" \
		-e "s|\(\"metrics\": *{ *\"file\": *\"\)[^\"]*\"|\1$VAR/run/metrics\"|" \
		"$tmp/portal.json" >"$CONFIG"
	umask 022
	[ $AS_ROOT = 1 ] && chgrp www-data "$CONFIG" && chmod 0640 "$CONFIG"

	# A backup of an older version gets the newer migrations (and the functions of this checkout).
	"$ROOT/nginx/migrate.sh" "host=$PGSOCK dbname=portal user=portal"
	PORTAL_VAR=$VAR PORTAL_CONFIG=$CONFIG "$ROOT/nginx/stack.sh" pg-stop
	cluster_up=0 done_ok=1
	say "restored $file into $VAR in $(took "$t0")"
	say "start it with: PORTAL_VAR=$VAR make run"
}

case "${1:-}" in
backup) backup ;;
restore) restore "${2:-}" ;;
*) die "usage: backup.sh backup | backup.sh restore FILE" ;;
esac
