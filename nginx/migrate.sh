#!/usr/bin/env bash
# migrate.sh - apply sql/NNN_*.sql in order, each in one transaction, recorded in schema_migrations.
#   nginx/migrate.sh "libpq conninfo"
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CONN=$1
q() { psql -X -q "$CONN" -v ON_ERROR_STOP=1 "$@"; }
q -c "SET client_min_messages = warning" -c "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
for f in "$ROOT"/sql/[0-9][0-9][0-9]_*.sql; do
	v=$(basename "$f" .sql)
	done_already=$(q -tAc "SELECT count(*) FROM schema_migrations WHERE version = '$v'")
	[ "$done_already" = 1 ] && continue
	q --single-transaction -f "$f" -c "INSERT INTO schema_migrations (version) VALUES ('$v')" >/dev/null
	echo "migrated $v"
done
