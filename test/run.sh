#!/usr/bin/env bash
# run.sh - the whole suite: unit tests (ASan+UBSan), then a private stack on free ports for the
# black-box, browser and fault tests; tears the stack down; ends with "N passed, N failed".
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SPEC=${MUSTACHE_SPEC:-$ROOT/../shared/mustache-spec}
passed=0 failed=0
start=$(date +%s)

add_counts() { # reads "... N passed, N failed" lines
	local p f
	p=$(sed -n 's/.* \([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed.*/\1/p' "$1" | awk '{s+=$1} END{print s+0}')
	f=$(sed -n 's/.* \([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed.*/\2/p' "$1" | awk '{s+=$1} END{print s+0}')
	passed=$((passed + p)) failed=$((failed + f))
}

echo "== unit tests (AddressSanitizer + UndefinedBehaviorSanitizer)"
for t in build/unit/*_test; do
	[ -x "$t" ] || continue
	out=$(mktemp)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$t" "$SPEC" >"$out" 2>&1
	rc=$?
	grep -E '^(unit |mustache spec)|FAIL|ERROR|runtime error' "$out" | head -n 40
	add_counts "$out"
	if [ $rc != 0 ] && ! grep -q ' [1-9][0-9]* failed' "$out"; then
		echo "  $t exited $rc (sanitizer report or crash):"; tail -n 30 "$out"; failed=$((failed + 1))
	fi
	rm -f "$out"
done

echo "== stack for the black-box tests"
. "$ROOT/test/stack_env.sh" portal-test
smtp_sink_up
cleanup() {
	nginx/stack.sh down >/dev/null 2>&1
	kill "$(cat "$VARDIR/smtp.pid")" 2>/dev/null
	if [ "${KEEP_TEST_VAR:-0}" = 1 ]; then echo "kept $VARDIR"; else rm -rf "$VARDIR"; fi
}
trap cleanup EXIT
if nginx/stack.sh up >"$VARDIR/stack-up.log" 2>&1; then
	export PORTAL_URL=http://127.0.0.1:$PORTAL_HTTP_PORT
	echo "stack up at $PORTAL_URL (PORTAL_VAR=$VARDIR)"
	out=$VARDIR/node-tests.tap
	# TESTS="test/http/admin_x.test.mjs ..." runs only those files (while working on them)
	# shellcheck disable=SC2086
	node --test --test-concurrency=1 --test-reporter=tap ${TESTS:-test/http/*.test.mjs test/browser/*.test.mjs test/fault/*.test.mjs} >"$out" 2>&1
	grep -E '^(not ok|# (tests|pass|fail|skipped))' "$out"
	grep -B2 -A25 '^not ok' "$out" | head -n 120
	add_node_counts "$out"
	echo "error lines in the portal log: $(grep -c " error " "$VARDIR/log/portal.log") (the fault tests stop PostgreSQL on purpose)"
else
	echo "stack did not come up:"; cat "$VARDIR/stack-up.log"; tail -n 20 "$VARDIR"/log/*.log 2>/dev/null
	failed=$((failed + 1))
fi

echo "== make test took $(( $(date +%s) - start ))s"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
