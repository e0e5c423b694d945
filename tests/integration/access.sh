#!/usr/bin/env bash
# Access to the control socket: created with exactly socket_mode, and a
# client of another uid that may connect still gets 403 (SO_PEERCRED).
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "# skip: needs root to act as another uid"; exit 77; }
command -v setpriv >/dev/null || { echo "# skip: setpriv missing"; exit 77; }

write_config
sed -i 's/^state_dir = state/state_dir = state\nsocket_mode = 0666/' "$T/pitstop.ini"
chmod 755 "$T"
start_pitstopd
check "app running" wait_for 20 is_state running
check "the socket has mode 0666 as configured" \
	test "$(stat -c %a "$SOCK")" = 666

as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
out=$(as_nobody curl -s -w "\n%{http_code}" --unix-socket "$SOCK" \
	http://localhost/v1/status)
check "another uid gets 403" test "$(echo "$out" | tail -1)" = 403
check "the 403 body is the JSON error" \
	test "$(echo "$out" | head -1 | jget error)" = forbidden
code=$(as_nobody curl -s -o /dev/null -w '%{http_code}' -X POST \
	--unix-socket "$SOCK" http://localhost/v1/stop)
check "another uid cannot stop the app" test "$code" = 403
check "the app still runs" is_state running
check "the refusal is logged" grep -q "refused control request.*uid 65534" \
	"$T/pitstopd.log"
out=$(as_nobody "$PITSTOP" -s "$SOCK" status 2>&1); rc=$?
check "pitstop as another uid exits 1 (refused)" test "$rc" -eq 1

say "the default mode 0600 keeps other users out entirely"
kill -TERM "$PITSTOPD_PID"; wait "$PITSTOPD_PID"
sed -i '/^socket_mode/d' "$T/pitstop.ini"
start_pitstopd
check "the socket has mode 0600" test "$(stat -c %a "$SOCK")" = 600
as_nobody "$PITSTOP" -s "$SOCK" status >/dev/null 2>&1; rc=$?
check "another uid cannot even connect: exit 3" test "$rc" -eq 3

say "socket_group: members may control"
groupadd -f pitstoptest 2>/dev/null
sed -i 's/^state_dir = state/state_dir = state\nsocket_mode = 0660\nsocket_group = pitstoptest/' "$T/pitstop.ini"
kill -TERM "$PITSTOPD_PID"; wait "$PITSTOPD_PID"
start_pitstopd
gid=$(getent group pitstoptest | cut -d: -f3)
check "the socket belongs to the group" test "$(stat -c %g "$SOCK")" = "$gid"
check "the socket has mode 0660" test "$(stat -c %a "$SOCK")" = 660
code=$(setpriv --reuid=65534 --regid=65534 --groups="$gid" curl -s -o /dev/null \
	-w '%{http_code}' --unix-socket "$SOCK" http://localhost/v1/status)
check "a member of socket_group gets 200" test "$code" = 200
finish
