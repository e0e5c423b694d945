#!/usr/bin/env bash
# pitstopd's own signals: SIGTERM stops the app and removes the socket;
# SIGKILL of pitstopd takes the app (and its process group) with it, and a
# new pitstopd never runs a second copy; SIGHUP keeps the old configuration
# when the new one is invalid.
. "$(dirname "$0")/lib.sh"

count_stubs() { pgrep -f -- "^$APP_STUB --listen 127.0.0.1:$PORT" | wc -l; }
no_stubs() { [ "$(count_stubs)" -eq 0 ]; }

write_config
start_pitstopd
check "app running" wait_for 20 is_state running
pid=$(app_pid)

say "SIGHUP with a broken file keeps the old configuration"
cp "$T/pitstop.ini" "$T/good.ini"
printf '[app]\nbogus = 1\n' >> "$T/pitstop.ini"
kill -HUP "$PITSTOPD_PID"
check "the error names the file, line and key" \
	wait_for 10 grep -q "pitstop.ini:[0-9]*:.*bogus" "$T/pitstopd.log"
check "the old configuration is kept" \
	wait_for 10 grep -q "keeping the previous configuration" "$T/pitstopd.log"
check "the app was not disturbed" test "$(app_pid)" = "$pid"
cp "$T/good.ini" "$T/pitstop.ini"

say "SIGTERM: clean exit, socket removed, app gone"
kill -TERM "$PITSTOPD_PID"
wait "$PITSTOPD_PID"; rc=$?
check "pitstopd exits 0 on SIGTERM" test "$rc" -eq 0
check "the socket is removed" test ! -e "$SOCK"
check "the app is gone" sh -c "! kill -0 $pid 2>/dev/null"
check "the app exited cleanly (SIGTERM handled)" \
	grep -q "app pid $pid stopped (exited with code 0)" "$T/pitstopd.log"

say "SIGKILL: the app does not outlive pitstopd"
start_pitstopd
check "app running again" wait_for 20 is_state running
pid=$(app_pid)
kill -KILL "$PITSTOPD_PID"; wait "$PITSTOPD_PID" 2>/dev/null
check "the app is gone soon after pitstopd" \
	wait_for 5 sh -c "! kill -0 $pid 2>/dev/null"

say "a grandchild left behind is killed by the next pitstopd"
sed -i "s|^command = .*|command = sh -c '$APP_STUB --listen 127.0.0.1:$PORT \& wait'|" "$T/pitstop.ini"
start_pitstopd
check "wrapped app running" wait_for 20 is_state running
check "one app-stub runs" test "$(count_stubs)" -eq 1
kill -KILL "$PITSTOPD_PID"; wait "$PITSTOPD_PID" 2>/dev/null
# The shell dies with pitstopd; the app-stub grandchild may linger.
start_pitstopd
check "new pitstopd gets the app running" wait_for 20 is_state running
check "exactly one app-stub runs" test "$(count_stubs)" -eq 1
check "the app-stub serving is the new pitstopd's" \
	test "$(pgrep -f -- "^$APP_STUB --listen 127.0.0.1:$PORT")" = "$(healthz_pid)"
kill -TERM "$PITSTOPD_PID"
wait "$PITSTOPD_PID"
check "no app-stub left after SIGTERM" wait_for 10 no_stubs
finish
