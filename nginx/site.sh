#!/usr/bin/env bash
# site.sh - render nginx/site.conf.in (the portal's nginx site) into OUT: used by nginx/stack.sh for
# a local stack and by make install for a system nginx, so both serve the same site.
#   SITE_LISTEN=127.0.0.1:8080 SITE_TEMPLATES=... SITE_FILES=... SITE_LOG_DIR=... \
#   SITE_UPSTREAM=/path/upstream.conf SITE_MAX_BODY_MB=25 nginx/site.sh OUT
# HTTPS (when SITE_TLS_CERT and SITE_TLS_KEY are set): SITE_HTTPS_LISTEN (address:port or port)
# serves the portal and SITE_LISTEN only redirects to it.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$1
for v in SITE_LISTEN SITE_TEMPLATES SITE_FILES SITE_LOG_DIR SITE_UPSTREAM; do
	[ -n "${!v:-}" ] || { echo "site.sh: $v is not set" >&2; exit 1; }
done
sed -e "s|@LISTEN@|$SITE_LISTEN|g" -e "s|@TEMPLATES@|$SITE_TEMPLATES|g" -e "s|@LOG_DIR@|$SITE_LOG_DIR|g" \
	-e "s|@FILES@|$SITE_FILES|g" -e "s|@UPSTREAM@|$SITE_UPSTREAM|g" \
	-e "s|@MAX_BODY_MB@|${SITE_MAX_BODY_MB:-25}|" "$ROOT/nginx/site.conf.in" >"$OUT.new"
mv "$OUT.new" "$OUT"
