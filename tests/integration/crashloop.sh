#!/usr/bin/env bash
# A crash loop ends in "failed" after the start limit, with backoff between
# attempts (no busy loop); `start` resets the count and tries again.
. "$(dirname "$0")/lib.sh"

cat > "$T/pitstop.ini" <<INI
[supervisor]
socket = ctl.sock
state_dir = state
log = pitstopd.log

[app]
command = sh -c 'echo started >> attempts; exit 3'
ready = none
restart = on-failure
backoff = 100ms..400ms
start_limit = 3/60s
INI
start_pitstopd
check "a crashing app ends in failed" wait_for 30 is_state failed
n=$(wc -l < "$T/attempts")
check "it was tried start_limit + 1 times, not more ($n)" test "$n" -eq 4
check "last exit code is recorded" \
	test "$(api GET /v1/status | jget last_exit.code)" = 3
check "the log says why it gave up" grep -q "giving up" "$T/pitstopd.log"
backoffs=$(grep -c "app restarts in" "$T/pitstopd.log")
check "each restart waited a backoff ($backoffs)" test "$backoffs" -eq 3

say "failed stays failed: no further attempts"
api GET /v1/status >/dev/null
check "still failed, still 4 attempts" \
	sh -c "[ \"\$(wc -l < $T/attempts)\" -eq 4 ]"

say "start resets the count"
code=$(api_code POST /v1/start)
check "start answers at once (ready = none: running once spawned)" \
	test "$code" = 200
check "it fails again after the limit" wait_for 30 is_state failed
check "four more attempts" sh -c "[ \"\$(wc -l < $T/attempts)\" -eq 8 ]"

say "restart = never: one attempt, then stopped"
sed -i 's/restart = on-failure/restart = never/' "$T/pitstop.ini"
kill -HUP "$PITSTOPD_PID"
wait_for 10 grep -q "configuration reloaded" "$T/pitstopd.log"
api POST /v1/start >/dev/null
check "restart=never leaves it stopped" wait_for 10 is_state stopped
check "exactly one more attempt" sh -c "[ \"\$(wc -l < $T/attempts)\" -eq 9 ]"
finish
