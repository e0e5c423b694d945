#!/bin/bash
#
# app-stub on its own (SPEC §9): routes and errors, the stale cache on
# purpose, a clean SIGTERM, a VACUUM INTO (rollback journal) database,
# sockets handed over with LISTEN_FDS, sd_notify readiness on a path and
# an abstract NOTIFY_SOCKET, and the crash hook. Needs $APP_STUB, curl,
# python3 and sqlite3. Exit status: 0 pass, 1 fail, 77 skip.

set -u

if [ -z "${APP_STUB:-}" ] || [ ! -x "$APP_STUB" ]; then
	echo "SKIP: APP_STUB does not name an executable"
	exit 77
fi
for tool in curl python3 sqlite3; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool not installed"
		exit 77
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/stub.XXXXXX") || exit 1
pids=()
log="$tmp/stub.log"
: >"$log"

# Our children are in $pids; the stubs that hold.py forks are in its
# status file.
cleanup() {
	local p
	for p in "${pids[@]}" $(sed -n 's/^[0-9]* pid //p' \
	    "$tmp/hold.status" 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

fail() {
	echo "not ok - $*"
	echo "--- app-stub log"
	cat "$log"
	exit 1
}

pass() {
	echo "ok - $*"
}

free_port() {
	python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0))
print(s.getsockname()[1])'
}

# Expression over the JSON document `d` read from $body.
json() {
	printf '%s' "$body" |
	    python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

# req METHOD PATH [curl args...]: sets $code and $body.
req() {
	local method=$1 path=$2 out
	shift 2
	out=$(curl -sS --max-time 10 -X "$method" -w '\n%{http_code}' "$@" \
	    "http://127.0.0.1:$port$path") || fail "curl $method $path"
	code=${out##*$'\n'}
	body=${out%$'\n'*}
}

expect() {
	[ "$code" = "$1" ] || fail "$2: status $code, want $1 (body: $body)"
	pass "$2"
}

# Bounded polls: never a fixed sleep in place of a condition.
wait_healthy() {
	local pid=${1:-}
	for _ in $(seq 100); do
		if curl -fsS --max-time 1 -o /dev/null \
		    "http://127.0.0.1:$port/healthz" 2>/dev/null; then
			return 0
		fi
		if [ -n "$pid" ] && ! alive "$pid"; then
			fail "app-stub $pid died while starting"
		fi
		sleep 0.1
	done
	fail "no /healthz on port $port within 10 s"
}

# Polls every 10 ms: some steps race the stub's 1 s limit on a stalled
# request.
wait_file() {
	for _ in $(seq 1000); do
		[ -e "$1" ] && return 0
		sleep 0.01
	done
	fail "no file $1 within 10 s"
}

wait_file_line() {
	local file=$1 pattern=$2
	for _ in $(seq 1000); do
		[ -f "$file" ] && grep -qx -- "$pattern" "$file" && return 0
		sleep 0.01
	done
	fail "no line '$pattern' in $file within 10 s"
}

# An exited child stays a zombie until waited for, and kill -0 still
# succeeds on it: read its state instead.
alive() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# wait_exit PID: waits at most 10 s, sets $rc.
wait_exit() {
	for _ in $(seq 100); do
		alive "$1" || break
		sleep 0.1
	done
	alive "$1" && fail "app-stub $1 still running after 10 s"
	wait "$1"
	rc=$?
}

start_stub() {
	"$APP_STUB" --main-db "$tmp/main.db" --keychain-db "$tmp/keychain.db" \
	    --listen "127.0.0.1:$port" 2>>"$log" &
	stub=$!
	pids+=("$stub")
	wait_healthy "$stub"
}

stop_stub() {
	kill -TERM "$stub"
	wait_exit "$stub"
	[ "$rc" = 0 ] || fail "SIGTERM: exit status $rc, want 0"
}

names() {
	json '",".join(p["name"] for p in d)'
}

port=$(free_port)

# --- usage
env -u PITSTOP_DB_MAIN -u PITSTOP_DB_KEYCHAIN "$APP_STUB" \
    --listen "127.0.0.1:$port" 2>"$tmp/usage.err"
rc=$?
[ "$rc" = 2 ] || fail "no databases: exit status $rc, want 2"
grep -q PITSTOP_DB_MAIN "$tmp/usage.err" ||
    fail "no databases: the error does not name PITSTOP_DB_MAIN"
pass "missing database paths: exit 2 with a clear message"

# --- routes
start_stub
req GET /healthz
expect 200 "GET /healthz"
[ "$(json 'd["ok"] is True and d["pid"]')" = "$stub" ] ||
    fail "healthz: $body does not carry ok and pid $stub"
[ "$(json 'isinstance(d["started"], (int, float, str))')" = True ] ||
    fail "healthz: no started time in $body"

req POST /profiles -d name=alice
expect 201 "POST /profiles (form)"
[ "$(json 'd["name"]')" = alice ] || fail "POST form: body $body"

req POST /profiles -H 'Content-Type: application/json' \
    -d '{"other": [1, {"x": null}], "name": "bob"}'
expect 201 "POST /profiles (JSON)"
[ "$(json 'd["name"]')" = bob ] || fail "POST JSON: body $body"

# Quote, backslash, tab, newline and a control character must come back
# as valid JSON that decodes to the same bytes.
req POST /profiles --data-urlencode $'name=q"b\\t\tn\n\001'
expect 201 "POST /profiles with characters JSON must escape"
[ "$(json 'd["name"] == "q\"b\\t\tn\n\x01"')" = True ] ||
    fail "escaping: body $body"
odd=$(json 'd["id"]')

req GET /profiles
expect 200 "GET /profiles"
[ "$(json 'len(d)')" = 3 ] || fail "GET /profiles: $body"

req DELETE "/profiles/$odd"
expect 204 "DELETE /profiles/ID"
req DELETE "/profiles/$odd"
expect 404 "DELETE of a missing profile"
req DELETE /profiles/nope
expect 404 "DELETE /profiles/not-a-number"
req GET /profiles
[ "$(names)" = alice,bob ] || fail "after DELETE: $body"
pass "DELETE removed the profile from the list"

req POST /profiles -d name=
expect 400 "POST with an empty name"
[ "$(json 'd["error"]')" = bad_request ] || fail "400 body: $body"
req POST /profiles -d other=1
expect 400 "POST without a name"
req POST /profiles -d "name=$(printf 'x%.0s' $(seq 201))"
expect 400 "POST with a 201-byte name"
req POST /profiles -d "name=$(printf 'x%.0s' $(seq 200))"
expect 201 "POST with a 200-byte name"
req DELETE "/profiles/$(json 'd["id"]')"
expect 204 "DELETE the 200-byte name"
req POST /profiles -H 'Content-Type: application/json' -d '{"name": 5}'
expect 400 "POST JSON with a non-string name"
req POST /profiles -H 'Content-Type: application/json' -d '{"name": "x"'
expect 400 "POST with broken JSON"

req PUT /keychain/token --data-binary 'raw "secret"'
expect 200 "PUT /keychain/KEY (raw body)"
req GET /keychain/token
expect 200 "GET /keychain/KEY"
[ "$(json 'd["key"] + "=" + d["value"]')" = 'token=raw "secret"' ] ||
    fail "keychain raw: $body"
req PUT /keychain/a%2Fb -H 'Content-Type: application/json' \
    -d '{"value": "v\u00e9"}'
expect 200 "PUT /keychain/KEY (JSON)"
req GET /keychain/a%2Fb
[ "$(json 'd["key"] + "=" + d["value"]')" = 'a/b=vé' ] ||
    fail "keychain JSON: $body"
req GET /keychain/missing
expect 404 "GET of a missing key"
[ "$(json 'd["error"]')" = not_found ] || fail "404 body: $body"

req GET /nowhere
expect 404 "unknown path"
req PUT /profiles -d name=x
expect 405 "wrong method"
head -c 70000 /dev/zero | tr '\0' x >"$tmp/big"
req PUT /keychain/big --data-binary @"$tmp/big"
expect 413 "body over 64 KiB"
req GET /
expect 200 "GET /"
case $body in
*"<h1>app-stub</h1>"*alice*bob*) pass "GET / lists the profiles" ;;
*) fail "GET /: $body" ;;
esac

# --- the stale cache, on purpose
sqlite3 "$tmp/main.db" "INSERT INTO profiles(name) VALUES('carol')" ||
    fail "sqlite3 insert"
n=$(sqlite3 "$tmp/main.db" "SELECT count(*) FROM profiles WHERE name = 'carol'")
[ "$n" = 1 ] || fail "the row is not on disk"
req GET /profiles
[ "$(names)" = alice,bob ] ||
    fail "a row inserted behind the stub's back is visible: $body"
pass "GET /profiles serves the stale cache"

stop_stub
pass "SIGTERM: exit status 0"
for f in main.db-wal keychain.db-wal; do
	[ -e "$tmp/$f" ] && fail "$f left behind: the close was not clean"
done
pass "a clean close leaves no -wal"

start_stub
req GET /profiles
[ "$(names)" = alice,bob,carol ] || fail "after restart: $body"
pass "a new process sees the row"
req GET /keychain/token
expect 200 "the keychain survives a restart"

# --- SIGTERM with a request under way: the client has sent half a PUT on
# a kept-alive connection; the rest follows the signal and is answered.
cat >"$tmp/inflight.py" <<'PY'
import os, socket, sys, time

port, go, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
c = socket.create_connection(("127.0.0.1", port), timeout=10)
f = c.makefile("rb")

def response():
    status = f.readline().decode().split()[1]
    headers = {}
    while True:
        line = f.readline().decode().strip()
        if not line:
            break
        k, v = line.split(":", 1)
        headers[k.strip().lower()] = v.strip()
    f.read(int(headers.get("content-length", "0")))
    return status, headers

# A whole request first, so the connection is surely accepted.
c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
response()
c.sendall(b"PUT /keychain/late HTTP/1.1\r\nHost: x\r\n"
          b"Content-Length: 10\r\n\r\n12345")
open(out + ".sent", "w").close()
for _ in range(1000):
    if os.path.exists(go):
        break
    time.sleep(0.01)
try:
    c.sendall(b"67890")
    status, headers = response()
    result = "%s %s" % (status, headers.get("connection", "-"))
except Exception as e:
    result = "error %r" % e
with open(out + ".tmp", "w") as o:
    o.write(result + "\n")
os.rename(out + ".tmp", out)
PY
python3 "$tmp/inflight.py" "$port" "$tmp/inflight.go" "$tmp/inflight.out" \
    2>>"$log" &
pids+=("$!")
wait_file "$tmp/inflight.out.sent"
kill -TERM "$stub"
# The rest of the request goes out once the stub is surely stopping.
wait_file_line "$log" "app-stub\[$stub\]: .*: stopping"
: >"$tmp/inflight.go"
wait_file "$tmp/inflight.out"
[ "$(cat "$tmp/inflight.out")" = "200 close" ] ||
    fail "request under way at SIGTERM: got $(cat "$tmp/inflight.out")"
pass "a request under way at SIGTERM is answered, with Connection: close"
wait_exit "$stub"
[ "$rc" = 0 ] || fail "SIGTERM with a request under way: exit status $rc"
late=$(sqlite3 "$tmp/keychain.db" "SELECT value FROM keychain WHERE key='late'")
[ "$late" = 1234567890 ] || fail "the late PUT is not in the database: '$late'"
pass "SIGTERM with a request under way: exit 0, the write is kept"

# --- a VACUUM INTO copy is in rollback-journal mode; the stub runs it in WAL
sqlite3 "$tmp/main.db" "VACUUM INTO '$tmp/vacuum.db'" || fail "VACUUM INTO"
[ "$(sqlite3 "$tmp/vacuum.db" 'PRAGMA journal_mode')" = delete ] ||
    fail "VACUUM INTO did not write a rollback-journal file"
"$APP_STUB" --main-db "$tmp/vacuum.db" --keychain-db "$tmp/keychain.db" \
    --listen "127.0.0.1:$port" 2>>"$log" &
stub=$!
pids+=("$stub")
wait_healthy "$stub"
[ "$(sqlite3 "$tmp/vacuum.db" 'PRAGMA journal_mode')" = wal ] ||
    fail "the stub left a VACUUM INTO file out of WAL mode"
req GET /profiles
[ "$(names)" = alice,bob,carol ] || fail "VACUUM INTO copy: $body"
pass "a VACUUM INTO file is served in WAL mode"
stop_stub

# --- LISTEN_PID that is not ours: LISTEN_FDS is ignored, --listen is bound
LISTEN_FDS=1 LISTEN_PID=1 start_stub
pass "LISTEN_FDS for another pid is ignored"
stop_stub

# --- LISTEN_FDS handoff: a wrapper holds the socket, as pitstopd does, and
# runs the stub twice on it. The second run is slow to become ready, so a
# request made while no process accepts must wait in the backlog.
cat >"$tmp/hold.py" <<'EOF'
import os, socket, sys

portfile, statusfile, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
cmd = sys.argv[4:]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(1024)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(portfile + ".tmp", portfile)

def status(line):
    with open(statusfile, "a") as f:
        f.write(line + "\n")

for run in range(runs):
    pid = os.fork()
    if pid == 0:
        if s.fileno() != 3:
            os.dup2(s.fileno(), 3)
            os.close(s.fileno())
        os.set_inheritable(3, True)
        env = dict(os.environ)
        env.pop("LISTEN_FDNAMES", None)
        env["LISTEN_FDS"] = "1"
        env["LISTEN_PID"] = str(os.getpid())
        if run > 0:
            env["APP_STUB_READY_DELAY_MS"] = os.environ["LATER_DELAY_MS"]
        os.execve(cmd[0], cmd, env)
    status("%d pid %d" % (run, pid))
    _, st = os.waitpid(pid, 0)
    status("%d exit %d" % (run, os.waitstatus_to_exitcode(st)))
EOF
LATER_DELAY_MS=300 python3 "$tmp/hold.py" "$tmp/hold.port" "$tmp/hold.status" \
    2 "$APP_STUB" --main-db "$tmp/main.db" --keychain-db "$tmp/keychain.db" \
    --listen 127.0.0.1:1 2>>"$log" &
hold=$!
pids+=("$hold")
wait_file_line "$tmp/hold.port" '[0-9][0-9]*'
port=$(cat "$tmp/hold.port")
wait_file_line "$tmp/hold.status" '0 pid [0-9]*'
first=$(sed -n 's/^0 pid //p' "$tmp/hold.status")
wait_healthy
req GET /healthz
[ "$(json 'd["pid"]')" = "$first" ] ||
    fail "LISTEN_FDS: served by $body, not by the stub $first"
grep -q "app-stub\[$first\]: serving 3 profiles on 127.0.0.1:$port" "$log" ||
    fail "LISTEN_FDS: no 'serving 3 profiles on 127.0.0.1:$port' line"
pass "LISTEN_FDS: the stub serves on the inherited socket"

kill -TERM "$first"
wait_file_line "$tmp/hold.status" '0 exit 0'
pass "LISTEN_FDS: SIGTERM: exit status 0"
# The second stub is not accepting yet: this waits in the held backlog.
req GET /healthz
expect 200 "a request during the restart is answered"
wait_file_line "$tmp/hold.status" '1 pid [0-9]*'
second=$(sed -n 's/^1 pid //p' "$tmp/hold.status")
[ "$(json 'd["pid"]')" = "$second" ] ||
    fail "after the restart: served by $body, not by $second"
pass "the held socket survived the first stub's exit"
kill -TERM "$second"
wait_file_line "$tmp/hold.status" '1 exit 0'
wait_exit "$hold"

# --- NOTIFY_SOCKET: a datagram listener records what the stub says.
cat >"$tmp/notify.py" <<'EOF'
import socket, sys

addr, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
s.settimeout(30)
with open(out, "a") as f:
    f.write("BOUND\n")
    f.flush()
    while True:
        msg = s.recv(4096).decode()
        for line in msg.split("\n"):
            f.write(line + "\n")
        f.flush()
        if "STOPPING=1" in msg.split("\n"):
            break
EOF
port=$(free_port)
for addr in "$tmp/notify.sock" "@pitstop-stub-test-$$-$RANDOM"; do
	out="$tmp/notify.$RANDOM"
	python3 "$tmp/notify.py" "$addr" "$out" &
	listener=$!
	pids+=("$listener")
	wait_file_line "$out" BOUND
	NOTIFY_SOCKET=$addr APP_STUB_READY_DELAY_MS=200 "$APP_STUB" \
	    --main-db "$tmp/main.db" --keychain-db "$tmp/keychain.db" \
	    --listen "127.0.0.1:$port" 2>>"$log" &
	stub=$!
	pids+=("$stub")
	wait_file_line "$out" READY=1
	# READY=1 comes after the listener is enabled: no retry needed.
	req GET /healthz
	expect 200 "NOTIFY_SOCKET $addr: serving once READY=1 is sent"
	wait_file_line "$out" 'STATUS=serving 3 profiles'
	stop_stub
	wait_file_line "$out" STOPPING=1
	wait_exit "$listener"
	pass "NOTIFY_SOCKET $addr: READY=1, STATUS= and STOPPING=1"
done

# --- the crash hook
APP_STUB_EXIT_AFTER_MS=100 "$APP_STUB" --main-db "$tmp/main.db" \
    --keychain-db "$tmp/keychain.db" --listen "127.0.0.1:$port" 2>>"$log" &
stub=$!
pids+=("$stub")
wait_exit "$stub"
[ "$rc" = 3 ] || fail "APP_STUB_EXIT_AFTER_MS: exit status $rc, want 3"
pass "APP_STUB_EXIT_AFTER_MS exits with status 3"

grep -E 'ERROR|runtime error|Sanitizer' "$log" && fail "sanitizer reports"
echo "all app-stub tests passed"
exit 0
