#!/usr/bin/env bash
# seed.sh - make seed-large: load sql/seed_large.sql (1M tickets, 100k contacts, 10k companies,
# threads, messages, 20k members of portal 1) into the RUNNING stack of PORTAL_VAR (default var/;
# start it first with make run, same PORTAL_VAR). Prints the elapsed time. A database that has
# the seeded data already is left as it is. Smaller sets for quick tests: SEED_TICKETS,
# SEED_CONTACTS, SEED_COMPANIES, SEED_MEMBERS.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
VAR=${PORTAL_VAR:-$ROOT/var}
[ -S "$VAR/pg/.s.PGSQL.5432" ] ||
	{ echo "seed-large: no PostgreSQL is running in $VAR/pg; start the stack first (make run, same PORTAL_VAR)" >&2; exit 1; }
start=$(date +%s.%N)
psql -X -q -h "$VAR/pg" -U portal -d portal -v ON_ERROR_STOP=1 \
	-v tickets="${SEED_TICKETS:-1000000}" -v contacts="${SEED_CONTACTS:-100000}" \
	-v companies="${SEED_COMPANIES:-10000}" -v members="${SEED_MEMBERS:-20000}" \
	-f "$ROOT/sql/seed_large.sql"
awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { t = e - s; printf "seed-large: %.0f s (%dm%02ds)\n", t, t / 60, t % 60 }'
