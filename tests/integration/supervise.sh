#!/usr/bin/env bash
# Supervision end to end: the app is started and ready, a killed app comes
# back with a new pid after backoff, stop/start/restart do what they say,
# and a second operation during a running one gets 409 at once.
. "$(dirname "$0")/lib.sh"

write_config
start_pitstopd
check "app becomes running" wait_for 20 is_state running
pid1=$(app_pid)
check "app answers on its port with the supervised pid" \
	test "$(healthz_pid)" = "$pid1"
check "status names pitstopd's pid" \
	test "$(api GET /v1/status | jget pitstopd.pid)" = "$PITSTOPD_PID"

say "kill the app: it must come back with a new pid"
kill -KILL "$pid1"
new_pid() { p=$(app_pid); [ -n "$p" ] && [ "$p" != "$pid1" ] && is_state running; }
check "a killed app is restarted" wait_for 20 new_pid
pid2=$(app_pid)
check "the old pid is gone" wait_for 10 sh -c "! kill -0 $pid1"
check "restarts counted" test "$(api GET /v1/status | jget restarts)" = 1
check "last exit records SIGKILL" \
	test "$(api GET /v1/status | jget last_exit.signal)" = KILL
check "the new app serves" test "$(healthz_pid)" = "$pid2"

say "stop, start, restart"
check "stop answers 200" test "$(api_code POST /v1/stop)" = 200
check "state is stopped" is_state stopped
check "the app process is gone" wait_for 10 sh -c "! kill -0 $pid2"
check "nothing listens on the app port" \
	sh -c "! curl -s --max-time 2 http://127.0.0.1:$PORT/healthz"
check "stop again is fine" test "$(api_code POST /v1/stop)" = 200
body=$(api POST /v1/start)
check "start answers running" test "$(echo "$body" | jget state)" = running
pid3=$(echo "$body" | jget pid)
check "the started app serves" test "$(healthz_pid)" = "$pid3"
body=$(api POST /v1/restart)
pid4=$(echo "$body" | jget pid)
check "restart gives a new pid" test -n "$pid4" -a "$pid4" != "$pid3"
check "restart reports downtime_ms" \
	test -n "$(echo "$body" | jget downtime_ms)"
check "the restarted app serves at once" test "$(healthz_pid)" = "$pid4"

say "serialized operations"
write_config "
[environment]
APP_STUB_READY_DELAY_MS = 1500"
kill -HUP "$PITSTOPD_PID"
wait_for 10 grep -q "configuration reloaded" "$T/pitstopd.log"
code=$(api_code POST '/v1/restart?wait=0')
check "restart with wait=0 answers 202" test "$code" = 202
check "a second operation during it gets 409" \
	test "$(api_code POST /v1/stop)" = 409
check "status shows the running operation" \
	test "$(api GET /v1/status | jget operation.name)" = restart
op_done() {
	local st; st=$(api GET /v1/status)
	[ -z "$(echo "$st" | jget operation)" ] &&
	    [ "$(echo "$st" | jget last_operation.result)" = ok ]
}
check "the background restart finishes ok" wait_for 20 op_done
check "the app runs after it" is_state running
check "and serves" test "$(healthz_pid)" = "$(app_pid)"
finish
