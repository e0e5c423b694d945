#!/usr/bin/env bash
# Developer restarts (SPEC §10): a burst of changes under [watch] paths,
# a new directory included, restarts the app exactly once and the log
# names the file; *.tmp files and the app's own database writes (the
# databases live inside the watched directory, so every start and every
# POST /profiles writes there) never restart it. "Nothing happened" is
# never waited for with a sleep: a watched change made afterwards must be
# the next restart, named in the log, with no other restart before it.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/src"
write_config "
[watch]
paths = src
debounce = 300ms
ignore = *.tmp"
sed -i -e 's|^main = main.db$|main = src/main.db|' \
    -e 's|^keychain = keychain.db$|keychain = src/keychain.db|' "$T/pitstop.ini"
grep -q '^main = src/main.db$' "$T/pitstop.ini" ||
	{ fail "cannot move the databases into src"; finish; }

start_pitstopd
check "app becomes running" wait_for 20 is_state running
check "the databases are inside the watched directory" \
	test -f "$T/src/main.db"
pid1=$(app_pid)

restarts() { grep -c 'restarting the app' "$T/pitstopd.log"; }
restarted_for() {	# restarted_for NAME: the log names src/NAME
	grep -q "restarting the app: .*src/$1 changed" "$T/pitstopd.log"
}
running_new() {	# running_new OLD_PID: a ready app with another pid
	local p; p=$(app_pid)
	[ -n "$p" ] && [ "$p" != "$1" ] && is_state running
}

say "a burst of 20 writes and a new directory with a file"
for i in $(seq 1 20); do
	echo "v$i" > "$T/src/file$i.txt"
done
mkdir "$T/src/sub"
echo new > "$T/src/sub/new.txt"
check "the restart is logged, naming the last file written" \
	wait_for 20 restarted_for sub/new.txt
check "the app runs with a new pid" wait_for 20 running_new "$pid1"
pid2=$(app_pid)
check "the new app serves" test "$(healthz_pid)" = "$pid2"

say "ignored: *.tmp files and the app's own database writes"
echo a > "$T/src/a.tmp"
echo b > "$T/src/sub/b.tmp"
check "the app writes its database" \
	test "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
	    -d name=alice "http://127.0.0.1:$PORT/profiles")" = 201
echo watched > "$T/src/after.txt"
# Right behind the watched change, in the same burst: were they counted,
# the restart would name them instead.
echo c > "$T/src/c.tmp"
curl -s -o /dev/null --max-time 10 -d name=bob "http://127.0.0.1:$PORT/profiles"
check "the next restart names the watched file" \
	wait_for 20 restarted_for after.txt
check "the app runs with a new pid" wait_for 20 running_new "$pid2"
pid3=$(app_pid)

say "the new directory is watched"
echo again > "$T/src/sub/again.txt"
check "a write in it restarts the app" wait_for 20 restarted_for sub/again.txt
check "the app runs with a new pid" wait_for 20 running_new "$pid3"

check "exactly three restarts, one per burst, none for ignored writes" \
	test "$(restarts)" = 3
check "in that order" test "$(grep -o 'restarting the app: .* changed' \
    "$T/pitstopd.log" | sed 's|.*/src/||; s| changed||' | tr '\n' ' ')" \
    = "sub/new.txt after.txt sub/again.txt "
check "status counts no crash restarts" \
	test "$(api GET /v1/status | jget restarts)" = 0

say "a change during another operation restarts the app after it"
sed -i 's|^\[databases\]|[environment]\nAPP_STUB_READY_DELAY_MS = 1500\n\n[databases]|' "$T/pitstop.ini"
n=$(grep -c 'configuration reloaded' "$T/pitstopd.log")
kill -HUP "$PITSTOPD_PID"
wait_for 10 sh -c "[ \$(grep -c 'configuration reloaded' '$T/pitstopd.log') -gt $n ]"
pid4=$(app_pid)
ready0=$(grep -c 'app ready' "$T/pitstopd.log")
check "a slow restart is under way" test "$(api_code POST '/v1/restart?wait=0')" = 202
echo during > "$T/src/during.txt"
check "the change is queued behind it" \
	wait_for 20 grep -q "during.txt changed while restart runs" "$T/pitstopd.log"
check "and then restarts the app" wait_for 30 restarted_for during.txt
queued_done() {
	[ "$(api GET /v1/status | jget last_operation.name)" = restart ] &&
	    [ -z "$(api GET /v1/status | jget operation)" ] &&
	    [ "$(grep -c 'app ready' "$T/pitstopd.log")" -ge "$1" ]
}
check "the app became ready twice: the restart, then the queued one" \
	wait_for 30 queued_done $((ready0 + 2))
check "on a new process" test "$(app_pid)" != "$pid4"
finish
