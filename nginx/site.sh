#!/usr/bin/env bash
# site.sh - render nginx/site.conf.in (the portal's nginx site) into OUT: used by nginx/stack.sh for
# a local stack and by make install for a system nginx, so both serve the same site.
#   SITE_LISTEN=127.0.0.1:8080 SITE_TEMPLATES=... SITE_FILES=... SITE_LOG_DIR=... \
#   SITE_UPSTREAM=/path/upstream.conf SITE_MAX_BODY_MB=25 nginx/site.sh OUT
# HTTPS (when SITE_TLS_CERT and SITE_TLS_KEY are set, PEM files nginx's master can read):
# SITE_HTTPS_LISTEN (address:port or port, e.g. 127.0.0.1:8443 or 443) serves the portal with
# TLS 1.2/1.3 and HSTS for host names, and SITE_LISTEN only answers 301 to https://host[:port].
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$1
die() { echo "site.sh: $*" >&2; exit 1; }
for v in SITE_LISTEN SITE_TEMPLATES SITE_FILES SITE_LOG_DIR SITE_UPSTREAM; do
	[ -n "${!v:-}" ] || die "$v is not set"
done

tls=() serve=$SITE_LISTEN
if [ -n "${SITE_TLS_CERT:-}" ] || [ -n "${SITE_TLS_KEY:-}" ]; then
	for v in SITE_TLS_CERT SITE_TLS_KEY SITE_HTTPS_LISTEN; do
		[ -n "${!v:-}" ] || die "HTTPS needs SITE_TLS_CERT, SITE_TLS_KEY and SITE_HTTPS_LISTEN; $v is not set"
	done
	for v in SITE_TLS_CERT SITE_TLS_KEY; do # quoted in the site file, and a sed replacement
		[[ "${!v}" =~ ^/[A-Za-z0-9._/@+=,-]+$ ]] || die "$v must be an absolute path of plain characters"
	done
	port=${SITE_HTTPS_LISTEN##*:}
	[[ "$port" =~ ^[0-9]+$ ]] || die "SITE_HTTPS_LISTEN must end with a port number: $SITE_HTTPS_LISTEN"
	suffix=":$port"
	[ "$port" = 443 ] && suffix=""
	serve="$SITE_HTTPS_LISTEN ssl http2"
	# keep the HTTPS lines, without their markers
	tls=(-e '/^[[:space:]]*#@TLS[{}]$/d' -e 's/^\([[:space:]]*\)#@TLS /\1/'
		-e "s|@TLS_CERT@|$SITE_TLS_CERT|g" -e "s|@TLS_KEY@|$SITE_TLS_KEY|g" -e "s|@HTTPS_PORT_SUFFIX@|$suffix|g")
else
	# drop them
	tls=(-e '/^[[:space:]]*#@TLS{$/,/^[[:space:]]*#@TLS}$/d' -e '/^[[:space:]]*#@TLS /d')
fi

# the template's header (which explains the @...@ values) gives way to one line
{
	echo "# the portal's nginx site, rendered by nginx/site.sh from nginx/site.conf.in (edit that, and render again)"
	sed -e '1,/^$/d' "${tls[@]}" -e "s|@SERVE_LISTEN@|$serve|g" -e "s|@LISTEN@|$SITE_LISTEN|g" \
		-e "s|@TEMPLATES@|$SITE_TEMPLATES|g" -e "s|@LOG_DIR@|$SITE_LOG_DIR|g" \
		-e "s|@FILES@|$SITE_FILES|g" -e "s|@UPSTREAM@|$SITE_UPSTREAM|g" \
		-e "s|@MAX_BODY_MB@|${SITE_MAX_BODY_MB:-25}|" "$ROOT/nginx/site.conf.in"
} >"$OUT.new"
mv "$OUT.new" "$OUT"
