#!/usr/bin/env bash
# pitstopd's own sd_notify, as systemd would see it: READY=1 once the app
# was started, STATUS= on state changes, RELOADING=1 + MONOTONIC_USEC then
# READY=1 around SIGHUP, WATCHDOG=1 pings, STOPPING=1 at shutdown; and
# "<N>" priority prefixes on log lines when JOURNAL_STREAM is set.
. "$(dirname "$0")/lib.sh"

write_config
sed -i 's|^log = pitstopd.log|log = stderr|' "$T/pitstop.ini"
python3 - "$T/notify.sock" "$T/messages" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        msg = s.recv(4096).decode()
        out.write(msg.replace("\n", "|") + "\n")
        if "STOPPING=1" in msg:
            break
PY
PIDS="$PIDS $!"
wait_for 10 test -S "$T/notify.sock"
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=400000 JOURNAL_STREAM=8:1234 \
	"$PITSTOPD" -c "$T/pitstop.ini" 2>"$T/pitstopd.log" &
PITSTOPD_PID=$!
PIDS="$PIDS $PITSTOPD_PID"
got() { grep -q "$1" "$T/messages"; }
check "READY=1 arrives" wait_for 20 got '^READY=1$'
check "the app was running when READY=1 came" is_state running
check "STATUS= tells the app's state" got '^STATUS=app running (pid [0-9]*), env default'
first_ready=$(grep -n '^READY=1$' "$T/messages" | head -1 | cut -d: -f1)
first_running=$(grep -n '^STATUS=app running' "$T/messages" | head -1 | cut -d: -f1)
check "READY=1 came after the app was running" test "$first_ready" -gt "$first_running"
pings() { [ "$(grep -c '^WATCHDOG=1$' "$T/messages")" -ge "$1" ]; }
check "WATCHDOG=1 pings keep coming" wait_for 10 pings 4

kill -HUP "$PITSTOPD_PID"
check "SIGHUP sends RELOADING=1 with MONOTONIC_USEC" \
	wait_for 10 got '^RELOADING=1|MONOTONIC_USEC=[0-9]*$'
reloading=$(grep -n '^RELOADING=1' "$T/messages" | tail -1 | cut -d: -f1)
ready_after() { tail -n +"$reloading" "$T/messages" | grep -q '^READY=1$'; }
check "and READY=1 after the reload" wait_for 10 ready_after

printf '[app]\nbogus = 1\n' >> "$T/pitstop.ini"
kill -HUP "$PITSTOPD_PID"
check "a failed reload says so in STATUS=" wait_for 10 got '^STATUS=reload failed'

kill -TERM "$PITSTOPD_PID"
wait "$PITSTOPD_PID"
check "STOPPING=1 at shutdown" got '^STOPPING=1$'
check "log lines carry priority prefixes under journald" \
	grep -q '^<6>pitstopd 0' "$T/pitstopd.log"
check "warnings carry priority 4" grep -q '^<4>' "$T/pitstopd.log"
check "no timestamps under journald" sh -c "! grep -q '^20[0-9][0-9]-' '$T/pitstopd.log'"
finish
