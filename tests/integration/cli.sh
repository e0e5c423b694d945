#!/usr/bin/env bash
# The pitstop CLI against a real pitstopd: human output, --json, socket
# lookup (-s, -c, $PITSTOP_SOCKET) and the exit codes 0, 1, 2, 3.
. "$(dirname "$0")/lib.sh"

write_config
start_pitstopd
check "app running" wait_for 20 is_state running
P() { "$PITSTOP" -s "$SOCK" "$@"; }

out=$(P status); rc=$?
check "status exits 0" test "$rc" -eq 0
check "status shows the state and pid" \
	sh -c "echo '$out' | grep -q 'running (pid $(app_pid)'"
check "status --json is the API's JSON" \
	test "$(P --json status | jget state)" = running
out=$(P stop); rc=$?
check "stop exits 0 and says stopped" sh -c "[ $rc -eq 0 ] && echo '$out' | grep -q stopped"
check "the app is stopped" is_state stopped
out=$(P start); rc=$?
check "start exits 0 and names the pid" \
	sh -c "[ $rc -eq 0 ] && echo '$out' | grep -q 'started (pid [0-9]*)'"
old=$(app_pid)
out=$(P restart); rc=$?
check "restart exits 0 and reports downtime" \
	sh -c "[ $rc -eq 0 ] && echo '$out' | grep -q 'restarted (pid [0-9]*, downtime [0-9]* ms)'"
check "restart made a new process" test "$(app_pid)" != "$old"
json=$(P --json restart)
check "restart --json carries pid and downtime_ms" \
	test -n "$(echo "$json" | jget downtime_ms)" -a "$(echo "$json" | jget pid)" = "$(app_pid)"

say "socket lookup"
check "-c CONFIG finds the socket" "$PITSTOP" -c "$T/pitstop.ini" status
check "\$PITSTOP_SOCKET finds the socket" \
	env PITSTOP_SOCKET="$SOCK" sh -c "cd / && '$PITSTOP' status >/dev/null"
check "./pitstop.ini is the default config" \
	sh -c "cd '$T' && '$PITSTOP' status >/dev/null"

say "exit codes"
P frobnicate >/dev/null 2>&1; rc=$?
check "an unknown command exits 2" test "$rc" -eq 2
P status extra >/dev/null 2>&1; rc=$?
check "an extra argument exits 2" test "$rc" -eq 2
"$PITSTOP" --bogus status >/dev/null 2>&1; rc=$?
check "an unknown option exits 2" test "$rc" -eq 2
"$PITSTOP" -s "$T/nothing.sock" status >/dev/null 2>"$T/err"; rc=$?
check "an unreachable daemon exits 3" test "$rc" -eq 3
check "and says it cannot reach it" grep -q "cannot reach pitstopd" "$T/err"

say "a refused operation exits 1 with the API's message"
write_config "
[environment]
APP_STUB_READY_DELAY_MS = 2000"
kill -HUP "$PITSTOPD_PID"
wait_for 10 grep -q "configuration reloaded" "$T/pitstopd.log"
api POST '/v1/restart?wait=0' >/dev/null
P stop >/dev/null 2>"$T/err"; rc=$?
check "a busy daemon's 409 exits 1" test "$rc" -eq 1
check "the message is printed" grep -q "another operation is running" "$T/err"
out=$(P --json stop 2>/dev/null); rc=$?
check "--json exits 1 on a refusal" test "$rc" -eq 1
check "--json prints the error body too" test "$(echo "$out" | jget error)" = busy
finish
