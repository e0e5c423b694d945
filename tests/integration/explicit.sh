#!/usr/bin/env bash
# The app asks for its own backup and restore (SPEC §9): POST
# /explicit-backup answers pitstopd's 201 and manifest; POST
# /explicit-restore answers 202 at once, the app is replaced by one on the
# restored data, and pitstopd's errors (404) pass through. Then app-stub on
# its own: no PITSTOP_SOCKET or nobody listening is 503, and against a fake
# pitstopd: chunked answers, statuses passed through, the request it sends,
# a timeout (504), a hang-up (502), a client that goes away, a loop that
# keeps serving while it waits, and a stop while a call is under way (503).
. "$(dirname "$0")/lib.sh"

# The app's command runs in the config's directory: make the paths absolute.
for v in PITSTOPD PITSTOP APP_STUB; do
	case ${!v} in /*) ;; *) printf -v "$v" '%s' "$PWD/${!v}" ;; esac
done

for tool in curl python3; do
	command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: no $tool"; exit 77; }
done

write_config
sed -i "s|^command = .*|command = $APP_STUB|; s|^ready = .*|ready = notify|" "$T/pitstop.ini"
sed -i "s|^directory = .|directory = .\nlisten = 127.0.0.1:$PORT|" "$T/pitstop.ini"
sed -i 's|^main = main.db|main = data/main.db|; s|^keychain = keychain.db|keychain = data/keychain.db|' "$T/pitstop.ini"
grep -q '^\[backup\]' "$T/pitstop.ini" || printf '\n[backup]\ndir = backups\n' >> "$T/pitstop.ini"
mkdir -p "$T/data"
P() { "$PITSTOP" -s "$SOCK" "$@"; }
URL=http://127.0.0.1:$PORT
add() { curl -s -o /dev/null -w '%{http_code}' -d "name=$1" "$URL/profiles"; }
names() { curl -s "$URL/profiles" | python3 -c 'import json,sys; print(" ".join(sorted(p["name"] for p in json.load(sys.stdin))))'; }
# post PATH [curl args...]: body in $T/out, prints "CODE SECONDS"
post() {
	local p=$1; shift
	curl -s -o "$T/out" -w '%{http_code} %{time_total}' --max-time 60 \
	    -X POST "$@" "$URL$p"
}
restore_done_ok() {
	local st; st=$(api GET /v1/status)
	[ -z "$(echo "$st" | jget operation)" ] &&
	    [ "$(echo "$st" | jget last_operation.name)" = restore ] &&
	    [ "$(echo "$st" | jget last_operation.result)" = ok ]
}
new_pid_serves() { local p; p=$(healthz_pid); [ -n "$p" ] && [ "$p" != "$1" ]; }
fast() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)' "$1" "$2"; }

start_pitstopd
check "app running" wait_for 20 is_state running

say "explicit backup"
add alice >/dev/null; add bob >/dev/null
read -r code _ < <(post /explicit-backup)
check "POST /explicit-backup answers 201 ($code)" test "$code" = 201
id1=$(jget id < "$T/out")
check "with pitstopd's manifest ($id1)" test -n "$id1"
check "the manifest counts the 2 profiles" \
	test "$(jget records < "$T/out")" = 2 -a "$(jget kind < "$T/out")" = manual
check "the backup is listed by GET /v1/backups" \
	test "$(api GET /v1/backups | jget 0.id)" = "$id1" -a "$(api GET /v1/backups | jget 0.kind)" = manual
check "and by pitstop backups" sh -c "'$PITSTOP' -s '$SOCK' backups | grep -q '$id1'"
check "the generation is complete on disk" test -f "$T/backups/default/$id1/manifest.json"

say "explicit restore (the app asks for its own replacement)"
bob=$(curl -s "$URL/profiles" | python3 -c 'import json,sys; print([p["id"] for p in json.load(sys.stdin) if p["name"]=="bob"][0])')
curl -s -X DELETE "$URL/profiles/$bob" >/dev/null
check "bob is deleted in the app" test "$(names)" = alice
old_pid=$(healthz_pid)
read -r code secs < <(post /explicit-restore)
check "POST /explicit-restore answers 202 ($code)" test "$code" = 202
check "at once (${secs}s)" fast "$secs" 3
check "with pitstopd's {\"operation\": \"restore\"}" test "$(jget operation < "$T/out")" = restore
check "a new app process serves" wait_for 30 new_pid_serves "$old_pid"
check "status shows the restore finished ok" wait_for 30 restore_done_ok
check "bob is back in the new app's in-memory list" test "$(names)" = "alice bob"
check "the old app stopped cleanly" \
	grep -q "app-stub\[$old_pid\]: stopped" "$T/pitstopd.log" "$T/pitstopd.stderr"

say "explicit restore of a named generation, and refusals passed through"
curl -s -X DELETE "$URL/profiles/$bob" >/dev/null
pid=$(healthz_pid)
read -r code _ < <(post /explicit-restore -d "id=$id1")
check "an id as form field answers 202 ($code)" test "$code" = 202
check "a new app process serves" wait_for 30 new_pid_serves "$pid"
check "the restore finished ok" wait_for 30 restore_done_ok
check "bob is back again" test "$(names)" = "alice bob"
pid=$(healthz_pid)
read -r code _ < <(post '/explicit-restore?id=20990101T000000Z-0000')
check "an unknown id as query parameter gets pitstopd's 404 ($code)" test "$code" = 404
check "as not_found" test "$(jget error < "$T/out")" = not_found
check "with pitstopd's message naming it" grep -q 20990101T000000Z-0000 "$T/out"
read -r code _ < <(post /explicit-restore -H 'Content-Type: application/json' \
	-d '{"id": "20990101T000000Z-0001"}')
check "an unknown id as JSON member gets 404 ($code)" test "$code" = 404
read -r code _ < <(post /explicit-restore -H 'Content-Type: application/json' -d '{"id": 7}')
check "a JSON id that is not a string gets 400 ($code)" test "$code" = 400
read -r code _ < <(post /explicit-restore -d '{"id": "20990101T000000Z-0002"}')
check "a JSON body sent as a form gets 400, not a restore of the newest ($code)" test "$code" = 400
check "the app was not replaced" test "$(healthz_pid)" = "$pid"
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/explicit-backup")
check "GET /explicit-backup is 405 ($code)" test "$code" = 405

say "app-stub on its own"
kill -TERM "$PITSTOPD_PID"; wait "$PITSTOPD_PID"
PORT2=$(free_port)
URL=http://127.0.0.1:$PORT2
mkdir -p "$T/alone"
# stub [ENV=VALUE...]: start app-stub alone on $PORT2; its log is $T/alone.log
stub() {
	env -u PITSTOP_SOCKET -u NOTIFY_SOCKET -u LISTEN_FDS "$@" \
	    "$APP_STUB" --main-db "$T/alone/main.db" \
	    --keychain-db "$T/alone/keychain.db" --listen "127.0.0.1:$PORT2" \
	    2>>"$T/alone.log" &
	STUB_PID=$!
	PIDS="$PIDS $STUB_PID"
	wait_for 20 curl -sf "$URL/healthz" || fail "app-stub alone did not start"
}
stub_stop() {
	kill -TERM "$STUB_PID"; wait "$STUB_PID"
}

stub
read -r code _ < <(post /explicit-backup)
check "without PITSTOP_SOCKET: 503 ($code)" test "$code" = 503
check "as unavailable" test "$(jget error < "$T/out")" = unavailable
read -r code _ < <(post /explicit-restore)
check "and for a restore too ($code)" test "$code" = 503
stub_stop

stub PITSTOP_SOCKET="$T/nobody.sock"
read -r code _ < <(post /explicit-backup)
check "with PITSTOP_SOCKET pointing nowhere: 503 ($code)" test "$code" = 503
jget message < "$T/out" > "$T/msg"
check "saying so: $(cat "$T/msg")" grep -q "not reachable at $T/nobody.sock" "$T/msg"
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/nobody.sock"
read -r code _ < <(post /explicit-restore)
check "with a socket nobody listens on: 503 ($code)" test "$code" = 503
rm -f "$T/nobody.sock"
stub_stop

say "app-stub against a fake pitstopd"
# The fake answers each request as $T/fake.mode says and appends what it
# received to $T/fake.req.
cat > "$T/fake.py" <<'PY'
import os, socket, sys, threading, time
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(16)
def handle(c):
    data = b""
    while b"\r\n\r\n" not in data:
        d = c.recv(65536)
        if not d:
            return
        data += d
    head, _, body = data.partition(b"\r\n\r\n")
    n = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    while len(body) < n:
        body += c.recv(65536)
    with open(path + ".req", "ab") as f:
        f.write(head + b"\r\n\r\n" + body + b"\n--\n")
    mode = open(path + ".mode").read().split()
    if mode[0] == "hang":
        time.sleep(3600)
    elif mode[0] == "close":
        pass
    elif mode[0] == "chunked":
        c.sendall(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n"
                  b"6\r\n{\"id\":\r\n10;ext=1\r\n \"chunked-0001\"}\r\n0\r\n"
                  b"X-Trailer: 1\r\n\r\n")
    elif mode[0] == "busy":
        b = b'{"error": "busy", "message": "another operation is running: backup"}\n'
        c.sendall(b"HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(b) + b)
    elif mode[0] == "eof":
        c.sendall(b"HTTP/1.0 202 Accepted\r\nContent-Type: application/json\r\n\r\n"
                  b'{"operation": "restore"}\n')
    elif mode[0] == "garbage":
        c.sendall(b"SMTP ready\r\n\r\n")
    elif mode[0] == "slow":
        time.sleep(float(mode[1]))
        c.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}")
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
PY
FAKE=$T/fake.sock
mode() { echo "$*" > "$FAKE.mode"; }
mode busy
python3 "$T/fake.py" "$FAKE" &
PIDS="$PIDS $!"
wait_for 10 test -S "$FAKE" || fail "the fake pitstopd did not start"
stub PITSTOP_SOCKET="$FAKE" APP_STUB_CONTROL_TIMEOUT_MS=1500

read -r code _ < <(post /explicit-backup)
check "a 409 passes through ($code)" test "$code" = 409
check "with its body" test "$(jget error < "$T/out")" = busy
check "the request is a POST /v1/backup with Connection: close" \
	sh -c "head -1 '$FAKE.req' | grep -q '^POST /v1/backup HTTP/1.1' && grep -qi '^Connection: close' '$FAKE.req'"
: > "$FAKE.req"
read -r code _ < <(post /explicit-restore -H 'Content-Type: application/json' -d '{"id": "a\"b"}')
check "a restore asks POST /v1/restore" grep -q '^POST /v1/restore HTTP/1.1' "$FAKE.req"
check "with wait=0 and the id, escaped" grep -qF '{"wait": 0, "id": "a\"b"}' "$FAKE.req"
: > "$FAKE.req"
read -r code _ < <(post /explicit-restore)
check "without an id, only wait=0" grep -qxF '{"wait": 0}' "$FAKE.req"

mode chunked
read -r code _ < <(post /explicit-backup)
check "a chunked answer passes through ($code)" test "$code" = 201
check "decoded: $(cat "$T/out")" test "$(jget id < "$T/out")" = chunked-0001
mode eof
read -r code _ < <(post /explicit-restore)
check "an answer that runs to EOF passes through ($code)" test "$code" = 202 -a "$(jget operation < "$T/out")" = restore
mode garbage
read -r code _ < <(post /explicit-backup)
check "a garbled answer is 502 ($code)" test "$code" = 502
mode close
read -r code _ < <(post /explicit-backup)
check "a hang-up without an answer is 502 ($code)" test "$code" = 502

mode hang
curl -s -o "$T/hang" -w '%{http_code} %{time_total}' -X POST "$URL/explicit-backup" > "$T/hang.code" &
hang=$!
sleep 0.3
read -r code secs < <(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$URL/healthz")
check "the loop keeps serving while pitstopd is silent ($code in ${secs}s)" \
	sh -c "[ $code = 200 ] && python3 -c 'import sys; sys.exit(float(sys.argv[1]) >= 0.5)' $secs"
wait "$hang"
read -r code secs < "$T/hang.code"
check "no answer in time is 504 ($code after ${secs}s)" test "$code" = 504
check "as timeout" test "$(jget error < "$T/hang")" = timeout

mode slow 1
curl -s -o /dev/null --max-time 0.3 -X POST "$URL/explicit-backup"
sleep 1.5
check "a client that went away leaves app-stub serving" curl -sf -o /dev/null "$URL/healthz"
check "and alive" kill -0 "$STUB_PID"

stub_stop
stub PITSTOP_SOCKET="$FAKE" APP_STUB_CONTROL_TIMEOUT_MS=60000
mode hang
curl -s -o "$T/stopping" -w '%{http_code}' -X POST "$URL/explicit-backup" > "$T/stopping.code" &
hang=$!
sleep 0.3
kill -TERM "$STUB_PID"; wait "$STUB_PID"; rc=$?
check "a stop while asking pitstopd still exits 0 ($rc)" test "$rc" -eq 0
wait "$hang"
check "the waiting client is told 503 ($(cat "$T/stopping.code"))" test "$(cat "$T/stopping.code")" = 503
check "app-stub is stopping" grep -q "app-stub is stopping" "$T/stopping"
check "no sanitizer report from any app-stub" \
	sh -c "! grep -q 'Sanitizer' '$T/alone.log' '$T/pitstopd.log' '$T/pitstopd.stderr'"
[ "$FAILED" -ne 0 ] && { say "app-stub alone log:"; sed 's/^/#   /' "$T/alone.log" | tail -30; }
finish
