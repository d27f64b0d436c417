# shellcheck shell=bash
# stack_env.sh - sourced by test/run.sh and test/interop/run.sh: a private run folder and free ports
# for a portal stack and its SMTP sink, in the variables nginx/stack.sh and the tests read, and the
# tally of a node --test run.
#   . test/stack_env.sh NAME   sets VARDIR (a new /tmp/NAME.XXXXXX) and free_port, and exports
#   PORTAL_VAR, PORTAL_HTTP_PORT, PORTAL_WORKERS, PORTAL_CONFIG, SMTP_PORT, SMTP_SINK,
#   PORTAL_SMTP_URL, PORTAL_MAIL_RETRY_SECONDS and PORTAL_WEBHOOK_PRIVATE (the tests' webhook
#   receivers listen on 127.0.0.1); smtp_sink_up starts the sink;
#   add_node_counts TAP adds a node test run to the caller's passed and failed.
VARDIR=$(mktemp -d "/tmp/$1.XXXXXX")
chmod 755 "$VARDIR"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
export PORTAL_VAR=$VARDIR PORTAL_HTTP_PORT=$(free_port) PORTAL_WORKERS=${PORTAL_WORKERS:-2}
export PORTAL_CONFIG=$VARDIR/portal.json
# the SMTP sink the mailer delivers to (Debian's python3-aiosmtpd)
export SMTP_PORT=$(free_port) SMTP_SINK=$VARDIR/smtp-sink
export PORTAL_SMTP_URL=smtp://127.0.0.1:$SMTP_PORT PORTAL_MAIL_RETRY_SECONDS=1
# webhooks may call this machine over plain http (webhooks.allow_private_addresses)
export PORTAL_WEBHOOK_PRIVATE=1

# The SMTP sink in the background, delivering into $SMTP_SINK; its pid in $VARDIR/smtp.pid.
smtp_sink_up() {
	mkdir -p "$SMTP_SINK"/{tmp,new,cur}
	/usr/bin/python3 -m aiosmtpd -n -l 127.0.0.1:$SMTP_PORT -c aiosmtpd.handlers.Mailbox "$SMTP_SINK" >"$VARDIR/smtp.log" 2>&1 &
	echo $! >"$VARDIR/smtp.pid"
}

# Add the "# pass N" and "# fail N" of a node --test TAP file to passed and failed (a file with no
# summary counts as one failure); fails when any test did.
add_node_counts() {
	local p f
	p=$(sed -n 's/^# pass \([0-9]*\)/\1/p' "$1" | tail -n1)
	f=$(sed -n 's/^# fail \([0-9]*\)/\1/p' "$1" | tail -n1)
	if [ -z "$p" ]; then echo "node test runner produced no summary:"; tail -n 40 "$1"; f=1; fi
	passed=$((passed + ${p:-0})) failed=$((failed + ${f:-1}))
	[ "${f:-1}" = 0 ]
}
