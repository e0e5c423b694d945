#!/usr/bin/env bash
# ready = notify: app-stub's READY=1 makes it running and its STATUS= text
# shows in status; a restart waits for a late READY=1; an app that never
# sends it fails after ready_timeout; messages from other processes are
# ignored.
. "$(dirname "$0")/lib.sh"

write_config
sed -i 's|^ready = .*|ready = notify|' "$T/pitstop.ini"
start_pitstopd
check "app-stub becomes running through READY=1" wait_for 20 is_state running
check "it serves" test "$(healthz_pid)" = "$(app_pid)"
has_status() { api GET /v1/status | jget status_text | grep -q .; }
check "its STATUS= text shows in status" wait_for 10 has_status

say "a restart waits for a late READY=1"
sed -i 's|^\[databases\]|[environment]\nAPP_STUB_READY_DELAY_MS = 1500\n\n[databases]|' "$T/pitstop.ini"
kill -HUP "$PITSTOPD_PID"
wait_for 10 grep -q "configuration reloaded" "$T/pitstopd.log"
body=$(api POST /v1/restart)
pid=$(echo "$body" | jget pid)
check "restart answers with the new pid" test -n "$pid"
check "the app answers as soon as restart returns" test "$(healthz_pid)" = "$pid"
check "downtime includes the delay before READY=1" \
	test "$(echo "$body" | jget downtime_ms)" -ge 1500

say "a message from another process is ignored"
sock=$(tr '\0' '\n' < /proc/"$pid"/environ | sed -n 's/^NOTIFY_SOCKET=//p')
check "the app got NOTIFY_SOCKET" test -n "$sock"
api POST '/v1/restart?wait=0' >/dev/null
wait_for 10 is_state starting
python3 - "$sock" <<'PY'
import socket, sys
a = sys.argv[1]
a = "\0" + a[1:] if a.startswith("@") else a
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"READY=1", a)
s.sendto(b"STATUS=" + b"x" * 10000, a)
PY
check "the stranger is logged and ignored" \
	wait_for 10 grep -q "ignored a message from pid" "$T/pitstopd.log"
check "an oversized datagram is dropped" \
	wait_for 10 grep -q "dropped an oversized message" "$T/pitstopd.log"
check "still starting: the stranger's READY=1 did not count" is_state starting
check "the app's own READY=1 comes later" wait_for 20 is_state running

say "an app that never sends READY=1 fails after ready_timeout"
cat > "$T/pitstop.ini" <<INI
[supervisor]
socket = ctl.sock
state_dir = state
log = pitstopd.log
[app]
command = sleep 1000
ready = notify
ready_timeout = 1s
restart = never
INI
kill -HUP "$PITSTOPD_PID"
wait_for 10 sh -c "[ \$(grep -c 'configuration reloaded' '$T/pitstopd.log') -ge 2 ]"
code=$(api_code POST /v1/restart)
check "the restart fails with 500" test "$code" = 500
check "the log says it was not ready in time" \
	grep -q "not ready after 1000 ms" "$T/pitstopd.log"
check "the app is stopped (restart = never)" wait_for 10 is_state stopped
check "no sleep 1000 is left" sh -c "! pgrep -f '^sleep 1000$' >/dev/null"
finish
