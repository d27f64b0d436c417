#!/usr/bin/env bash
# migrate.sh - apply sql/NNN_*.sql in order, each in one transaction, recorded in schema_migrations;
# then every sql/functions/*.sql (CREATE OR REPLACE, the one home of each function's definition)
# on every run, all in one transaction. See sql/README.md.
#   nginx/migrate.sh "libpq conninfo"
#
# It runs while the old workers serve (make reload): every statement waits at most
# MIGRATE_LOCK_TIMEOUT (default 5s) for a lock, so a migration that cannot have its table at
# once fails (and can be run again) instead of queueing every request behind its lock request.
# A migration whose first line is "-- migrate: no-transaction" runs statement by statement
# outside a transaction (CREATE INDEX CONCURRENTLY); it must be safe to run again. Rules for
# writing migrations that old workers survive: sql/README.md, "Migrations while the portal serves".
# PORTAL_SQL_DIR (default sql/ of this checkout) is where the files are read from.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SQL=${PORTAL_SQL_DIR:-$ROOT/sql}
CONN=$1
export PGOPTIONS="${PGOPTIONS:-} -c lock_timeout=${MIGRATE_LOCK_TIMEOUT:-5s}"
q() { psql -X -q "$CONN" -v ON_ERROR_STOP=1 "$@"; }
q -c "SET client_min_messages = warning" -c "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
for f in "$SQL"/[0-9][0-9][0-9]_*.sql; do
	v=$(basename "$f" .sql)
	done_already=$(q -tAc "SELECT count(*) FROM schema_migrations WHERE version = '$v'")
	[ "$done_already" = 1 ] && continue
	if head -n1 "$f" | grep -q '^-- migrate: no-transaction'; then
		q -f "$f" >/dev/null
		q -c "INSERT INTO schema_migrations (version) VALUES ('$v')"
	else
		q --single-transaction -f "$f" -c "INSERT INTO schema_migrations (version) VALUES ('$v')" >/dev/null
	fi
	echo "migrated $v"
done

# Functions: a first pass without body checks (so one function may call another defined in a file
# later in the alphabet), then a second pass with them (SQL bodies against the schema and the
# functions now all present, plpgsql for syntax). Says which functions this run created or changed.
fns=("$SQL"/functions/*.sql)
[ -e "${fns[0]}" ] || exit 0
defs="SELECT p.oid::regprocedure::text || '|' || md5(pg_get_functiondef(p.oid)) FROM pg_proc p
       WHERE p.pronamespace = 'public'::regnamespace"
before=$(q -tAc "$defs")
args=(-c "SET check_function_bodies = off")
for f in "${fns[@]}"; do args+=(-f "$f"); done
args+=(-c "SET check_function_bodies = on")
for f in "${fns[@]}"; do args+=(-f "$f"); done
q --single-transaction "${args[@]}" >/dev/null
after=$(q -tAc "$defs")
LC_ALL=C comm -13 <(LC_ALL=C sort <<<"$before") <(LC_ALL=C sort <<<"$after") |
	while IFS='|' read -r sig _; do echo "function $sig: created or replaced"; done
