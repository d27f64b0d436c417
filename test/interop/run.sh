#!/usr/bin/env bash
# run.sh - make test-interop: the portal's SAML sign-on end to end in Chromium against a real
# identity provider, Debian's SimpleSAMLphp (served by `php -S` on 127.0.0.1, a different site from
# the portal on http://localhost), and mail in through a real MTA and a real IMAP server: a private
# Postfix piping to build/portal-mailgate and a private Dovecot the mailer polls
# (test/interop/mail_servers.sh). Starts a private portal stack (as test/run.sh does), the IdP and
# the mail servers, runs node --test on test/interop/*.test.mjs, tears everything down, ends with
# "N passed, N failed".
#   TESTS="test/interop/x.test.mjs" runs only those files; KEEP_TEST_VAR=1 keeps the run's folder;
#   INTEROP_HOLD=SECONDS keeps the stack and the IdP up that long before the tests (prints the env).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
start=$(date +%s)
passed=0 failed=0
SSP=${SIMPLESAMLPHP_DIR:-/usr/share/simplesamlphp}

. "$ROOT/test/stack_env.sh" portal-interop
. "$ROOT/test/interop/mail_servers.sh"
IDP_PORT=$(free_port)
# the mailer polls IMAP mailboxes every 2 s here (60 s by default)
export PORTAL_IMAP_POLL_SECONDS=2
export INTEROP_IDP_DIR=$VARDIR/idp INTEROP_IDP_URL=http://127.0.0.1:$IDP_PORT
export SIMPLESAMLPHP_CONFIG_DIR=$ROOT/test/interop/idp/config

cleanup() {
	[ -f "$VARDIR/idp.pid" ] && kill -- "-$(cat "$VARDIR/idp.pid")" 2>/dev/null
	mail_servers_down
	nginx/stack.sh down >/dev/null 2>&1
	[ -f "$VARDIR/smtp.pid" ] && kill "$(cat "$VARDIR/smtp.pid")" 2>/dev/null
	if [ "${KEEP_TEST_VAR:-0}" = 1 ]; then echo "kept $VARDIR"; else rm -rf "$VARDIR"; fi
}
trap cleanup EXIT
fail_setup() {
	echo "$1"
	echo "== make test-interop took $(($(date +%s) - start))s"
	echo "0 passed, 1 failed"
	exit 1
}

echo "== portal stack"
smtp_sink_up
if ! nginx/stack.sh up >"$VARDIR/stack-up.log" 2>&1; then
	cat "$VARDIR/stack-up.log"; tail -n 20 "$VARDIR"/log/*.log 2>/dev/null
	fail_setup "the portal stack did not come up"
fi
# The browser uses http://localhost:PORT: the portal's primary domain (demo data), so the SP's
# entity ID and ACS URL (built from it and portal.json's links.port) are the URLs it really visits.
export PORTAL_URL=http://localhost:$PORTAL_HTTP_PORT
echo "portal at $PORTAL_URL (PORTAL_VAR=$VARDIR)"

echo "== identity provider: SimpleSAMLphp $(dpkg-query -W -f='${Version}' simplesamlphp 2>/dev/null) at $INTEROP_IDP_URL"
mkdir -p "$INTEROP_IDP_DIR"/{log,data,tmp,sessions}
openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=interop-idp-1" \
	-keyout "$INTEROP_IDP_DIR/idp-1.key" -out "$INTEROP_IDP_DIR/idp-1.crt" 2>/dev/null ||
	fail_setup "openssl could not make the IdP's key"
# the portal's own SP metadata, as an admin would hand it to the IdP
curl -fsS -o "$INTEROP_IDP_DIR/sp-metadata.xml" "http://127.0.0.1:$PORTAL_HTTP_PORT/sso/saml/metadata" -H "Host: localhost" ||
	fail_setup "GET /sso/saml/metadata failed"
cat >"$INTEROP_IDP_DIR/state.json" <<JSON
{
  "secretsalt": "$(openssl rand -hex 16)",
  "adminpassword": "$(openssl rand -hex 16)",
  "idp": { "privatekey": "idp-1.key", "certificate": "idp-1.crt" },
  "sp": { "simplesaml.nameidattribute": "email" },
  "trusted": ["localhost:$PORTAL_HTTP_PORT"],
  "users": {}
}
JSON
# php -S runs one request at a time unless told otherwise; two workers keep a slow page from
# holding the next one up. The workers are forked children: php runs in a process group of its
# own (setsid), and the cleanup ends that whole group.
PHP_CLI_SERVER_WORKERS=2 setsid php -S "127.0.0.1:$IDP_PORT" -t "$SSP/www" >"$INTEROP_IDP_DIR/log/php-server.log" 2>&1 &
echo $! >"$VARDIR/idp.pid"
up=0
for _ in $(seq 1 100); do
	if curl -fsS -o "$INTEROP_IDP_DIR/idp-metadata.xml" "$INTEROP_IDP_URL/saml2/idp/metadata.php" 2>/dev/null; then up=1; break; fi
	sleep 0.1
done
if [ $up != 1 ]; then
	curl -sS "$INTEROP_IDP_URL/saml2/idp/metadata.php" | head -c 3000
	tail -n 30 "$INTEROP_IDP_DIR"/log/*.log
	fail_setup "SimpleSAMLphp does not serve its metadata"
fi
echo "IdP entity ID: $(sed -n 's/.*entityID="\([^"]*\)".*/\1/p' "$INTEROP_IDP_DIR/idp-metadata.xml" | head -n1)"

echo "== mail servers: Postfix $(postconf -h mail_version 2>/dev/null), Dovecot $(dovecot --version 2>/dev/null | cut -d' ' -f1)"
# the gateway the pipe runs: the stack's (a staged copy when the checkout is not readable by www-data)
APP_BUILD=$ROOT/build
[ -x "$VARDIR/app/build/portal-mailgate" ] && APP_BUILD=$VARDIR/app/build
postfix_up && echo "Postfix smtpd on 127.0.0.1:$INTEROP_SMTP_PORT (pipe to $APP_BUILD/portal-mailgate)"
dovecot_up && echo "Dovecot IMAP on 127.0.0.1:$INTEROP_IMAP_PORT"

if [ -n "${INTEROP_HOLD:-}" ]; then # working on the tests: keep both up, print the environment
	echo "export PORTAL_VAR=$PORTAL_VAR PORTAL_URL=$PORTAL_URL PORTAL_CONFIG=$PORTAL_CONFIG SMTP_PORT=$SMTP_PORT SMTP_SINK=$SMTP_SINK INTEROP_IDP_DIR=$INTEROP_IDP_DIR INTEROP_IDP_URL=$INTEROP_IDP_URL INTEROP_SMTP_PORT=${INTEROP_SMTP_PORT:-} INTEROP_POSTFIX_DIR=${INTEROP_POSTFIX_DIR:-} INTEROP_IMAP_PORT=${INTEROP_IMAP_PORT:-} INTEROP_IMAP_USER=${INTEROP_IMAP_USER:-} INTEROP_IMAP_PASSWORD=${INTEROP_IMAP_PASSWORD:-} INTEROP_MAILDIR=${INTEROP_MAILDIR:-} INTEROP_MAIL_USER=${INTEROP_MAIL_USER:-}"
	sleep "$INTEROP_HOLD"
fi
echo "== tests"
out=$VARDIR/node-tests.tap
# shellcheck disable=SC2086
node --test --test-concurrency=1 --test-reporter=tap ${TESTS:-test/interop/*.test.mjs} >"$out" 2>&1
grep -E '^(# Subtest|ok|not ok|# (tests|pass|fail|skipped))' "$out"
grep -B2 -A30 '^not ok' "$out" | head -n 200
if ! add_node_counts "$out"; then
	echo "-- portal log (last lines)"; tail -n 25 "$VARDIR/log/portal.log"
	echo "-- SimpleSAMLphp log (errors)"; grep -iE 'error|exception' "$INTEROP_IDP_DIR/log/simplesamlphp.log" | tail -n 15
	echo "-- Postfix log (last lines)"; tail -n 15 "$POSTFIX_DIR/maillog" 2>/dev/null
	echo "-- Dovecot log (last lines)"; tail -n 10 "$DOVECOT_DIR/dovecot.log" 2>/dev/null
fi

echo "== make test-interop took $(($(date +%s) - start))s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
