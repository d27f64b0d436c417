#!/usr/bin/env bash
# deps.sh - install the Debian packages (and, with "test", the npm packages) the stack needs, when missing.
# "interop" adds the identity provider of make test-interop (Debian's SimpleSAMLphp and PHP) and its
# mail servers (Postfix, Dovecot).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PKGS="gcc make pkg-config nginx spawn-fcgi multiwatch postgresql-15 postgresql-client-15 libfcgi-dev
libpq-dev libjson-c-dev libssl-dev libxml2-dev libxmlsec1-dev libxmlsec1-openssl libargon2-dev
libcurl4-openssl-dev libgmime-3.0-dev libqrencode-dev openssl ca-certificates curl"
TEST_PKGS="nodejs npm chromium python3 python3-aiosmtpd clang libclang-rt-14-dev wrk xmlsec1 procps systemd"
# SimpleSAMLphp needs a web server ("apache2 | httpd"): installed after the rest, nginx already
# satisfies that and no Apache comes along; php-xml and php-mbstring are the extensions it uses.
# Postfix and Dovecot: the private MTA and IMAP server of the mail tests (their system services
# are left alone: the tests run instances of their own).
INTEROP_PKGS="simplesamlphp php-cli php-xml php-mbstring postfix dovecot-imapd"
want=$PKGS
[ "${1:-}" = test ] && want="$PKGS $TEST_PKGS"
[ "${1:-}" = interop ] && want="$PKGS $TEST_PKGS"
updated=0
install_missing() {
	local missing="" p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
	done
	# node and npm may come from outside Debian (e.g. a preinstalled Node.js): accept those.
	if command -v node >/dev/null && command -v npm >/dev/null; then
		missing=$(echo "$missing" | tr ' ' '\n' | grep -vx -e nodejs -e npm | tr '\n' ' ')
	fi
	missing=$(echo $missing)
	[ -n "$missing" ] || return 0
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing Debian packages: $missing (run as root, or: sudo apt-get install $missing)" >&2
		exit 1
	fi
	echo "deps: installing $missing"
	export DEBIAN_FRONTEND=noninteractive
	[ $updated = 1 ] || apt-get update -qq
	updated=1
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}
# shellcheck disable=SC2086
install_missing $want
# shellcheck disable=SC2086
[ "${1:-}" = interop ] && install_missing $INTEROP_PKGS
# Debian's nginx package starts a system nginx on port 80; the stack runs its own, so leave that alone.
if [ "${1:-}" = test ] || [ "${1:-}" = interop ]; then
	cd "$ROOT/test"
	if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
		npm ci --no-audit --no-fund --loglevel=error
	fi
fi
