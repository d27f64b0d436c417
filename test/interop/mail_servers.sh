# shellcheck shell=bash
# mail_servers.sh - sourced by test/interop/run.sh: a private Postfix and a private Dovecot for
# test/interop/mail.test.mjs, in $VARDIR, on free loopback ports; no system instance is touched.
#   postfix_up   Postfix (`postfix -c DIR`): smtpd on 127.0.0.1:$INTEROP_SMTP_PORT, mydestination
#                example.com, support@example.com (and its +token addresses) through transport_maps
#                to a pipe service running build/portal-mailgate --to ${recipient} as the web user
#   dovecot_up   Dovecot (`dovecot -c FILE`): IMAP without TLS on 127.0.0.1:$INTEROP_IMAP_PORT, one
#                user in a passwd-file, its maildir $INTEROP_MAILDIR (messages are dropped into new/)
#   mail_servers_down   stops both (run by run.sh's cleanup)
# Both need root (Postfix always does; Dovecot's mail user is nobody then); without root they are
# left out and mail.test.mjs skips its tests, saying so.

POSTFIX_DIR=$VARDIR/postfix
DOVECOT_DIR=$VARDIR/dovecot

postfix_up() {
	[ "$(id -u)" = 0 ] || { echo "postfix: not root, left out"; return 1; }
	command -v postfix >/dev/null || { echo "postfix: not installed"; return 1; }
	local port gate pipe_user
	port=$(free_port)
	gate=$APP_BUILD/portal-mailgate
	pipe_user=www-data
	mkdir -p "$POSTFIX_DIR"/{etc,queue,data}
	chown postfix "$POSTFIX_DIR/data"
	cat >"$POSTFIX_DIR/etc/main.cf" <<CF
# written by test/interop/mail_servers.sh: a private instance for make test-interop
compatibility_level = 3.6
queue_directory = $POSTFIX_DIR/queue
data_directory = $POSTFIX_DIR/data
maillog_file = $POSTFIX_DIR/maillog
maillog_file_prefixes = $POSTFIX_DIR
myhostname = mx.interop.test
mydomain = interop.test
myorigin = \$myhostname
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination = example.com
local_recipient_maps =
relayhost =
# nothing leaves the machine and nothing is delivered locally (bounces of refused test mail end here)
default_transport = error:no outside mail from the interop test
local_transport = error:no local delivery in the interop test
smtp_dns_support_level = disabled
recipient_delimiter = +
alias_maps =
alias_database =
smtpd_banner = \$myhostname ESMTP
biff = no
# mail to the support address (support+t<ticket>-<sig>@ too: recipient_delimiter) goes to the portal
transport_maps = inline:{ support@example.com=portal: }
portal_destination_recipient_limit = 1
# a refused message (65) bounces to nobody reachable: drop the bounce instead of retrying it
bounce_queue_lifetime = 0
maximal_queue_lifetime = 1h
minimal_backoff_time = 5s
maximal_backoff_time = 10s
queue_run_delay = 5s
CF
	cat >"$POSTFIX_DIR/etc/master.cf" <<CF
# written by test/interop/mail_servers.sh
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
# the portal's mail gateway, as README shows it: one recipient per run, as the web user (who can
# read the config and reach the database socket); exit 75 defers, 65 bounces
portal    unix  -       n       n       -       -       pipe
  flags=R user=$pipe_user argv=/usr/bin/env PORTAL_CONFIG=$PORTAL_CONFIG $gate --to \${recipient}
CF
	# postfix reports a bad config to syslog only, unless its stderr is a terminal: script(1) gives it one
	script -qec "postfix -c $POSTFIX_DIR/etc check" /dev/null >"$POSTFIX_DIR/check.log" 2>&1 || { cat "$POSTFIX_DIR/check.log"; return 1; }
	postfix -c "$POSTFIX_DIR/etc" start >"$POSTFIX_DIR/start.log" 2>&1 || { cat "$POSTFIX_DIR/start.log"; return 1; }
	for _ in $(seq 1 50); do
		(exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && { export INTEROP_SMTP_PORT=$port INTEROP_POSTFIX_DIR=$POSTFIX_DIR; return 0; }
		sleep 0.1
	done
	echo "postfix: smtpd does not listen on $port"; cat "$POSTFIX_DIR/maillog" 2>/dev/null | tail -n 20
	return 1
}

dovecot_up() {
	command -v dovecot >/dev/null || { echo "dovecot: not installed"; return 1; }
	local port user group login internal
	port=$(free_port)
	if [ "$(id -u)" = 0 ]; then
		user=nobody group=nogroup login=dovenull internal=dovecot
	else
		user=$(id -un) group=$(id -gn) login=$user internal=$user
	fi
	mkdir -p "$DOVECOT_DIR"/{base,state} "$DOVECOT_DIR/mail/support"/{new,cur,tmp}
	chown -R "$user:$group" "$DOVECOT_DIR/mail"
	export INTEROP_IMAP_USER=support INTEROP_IMAP_PASSWORD=imap-$(openssl rand -hex 8)
	echo "$INTEROP_IMAP_USER:{PLAIN}$INTEROP_IMAP_PASSWORD" >"$DOVECOT_DIR/passwd"
	cat >"$DOVECOT_DIR/dovecot.conf" <<CF
# written by test/interop/mail_servers.sh: a private instance for make test-interop
protocols = imap
listen = 127.0.0.1
base_dir = $DOVECOT_DIR/base
state_dir = $DOVECOT_DIR/state
instance_name = portal-interop-$port
log_path = $DOVECOT_DIR/dovecot.log
ssl = no
disable_plaintext_auth = no
login_trusted_networks = 127.0.0.1
auth_mechanisms = plain login
first_valid_uid = 1
default_login_user = $login
default_internal_user = $internal
mail_location = maildir:$DOVECOT_DIR/mail/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $DOVECOT_DIR/passwd
}
userdb {
  driver = static
  args = uid=$user gid=$group home=$DOVECOT_DIR/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    port = 0
  }
  chroot =
}
service anvil {
  chroot =
}
CF
	dovecot -c "$DOVECOT_DIR/dovecot.conf" >"$DOVECOT_DIR/start.log" 2>&1 || { cat "$DOVECOT_DIR/start.log"; return 1; }
	for _ in $(seq 1 50); do
		(exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && {
			export INTEROP_IMAP_PORT=$port INTEROP_MAILDIR=$DOVECOT_DIR/mail/support INTEROP_MAIL_USER=$user
			return 0
		}
		sleep 0.1
	done
	echo "dovecot: does not listen on $port"; tail -n 20 "$DOVECOT_DIR/dovecot.log"
	return 1
}

mail_servers_down() {
	[ -f "$POSTFIX_DIR/etc/main.cf" ] && postfix -c "$POSTFIX_DIR/etc" stop >/dev/null 2>&1
	[ -f "$DOVECOT_DIR/base/master.pid" ] && kill "$(cat "$DOVECOT_DIR/base/master.pid")" 2>/dev/null
	return 0
}
