# Shared helpers of the integration tests: a private temp directory, a
# generated configuration, starting pitstopd and waiting on events with
# generous timeouts (never a fixed sleep as a stand-in for an event), and
# a trap that kills everything the test started.
set -u

: "${PITSTOPD:?PITSTOPD must name the pitstopd binary}"
: "${PITSTOP:?PITSTOP must name the pitstop binary}"
: "${APP_STUB:?APP_STUB must name the app-stub binary}"

T=$(mktemp -d "${TMPDIR:-/tmp}/pit.XXXXXX")
SOCK=$T/ctl.sock
PIDS=""
FAILED=0

cleanup() {
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $PIDS; do
		for _ in $(seq 1 100); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL "$p" 2>/dev/null
	done
	# Whatever app-stub this test started (its DBs live in $T) must go too.
	pkill -KILL -f -- "$T/" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

say() { printf '# %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*"; FAILED=1; }
check() {	# check DESCRIPTION COMMAND...: one assertion
	local what=$1; shift
	if "$@"; then printf 'ok - %s\n' "$what"; else fail "$what"; fi
}
finish() {
	if [ "$FAILED" -ne 0 ]; then
		say "pitstopd log:"; sed 's/^/#   /' "$T/pitstopd.log" 2>/dev/null | tail -40
		exit 1
	fi
	exit 0
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_for SECONDS COMMAND...: poll COMMAND until it succeeds.
wait_for() {
	local secs=$1; shift
	local end=$(( $(date +%s) + secs ))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.05
	done
	return 0
}

# write_config [EXTRA_APP_LINES]: a config for app-stub on a free port.
write_config() {
	PORT=${PORT:-$(free_port)}
	cat > "$T/pitstop.ini" <<INI
[supervisor]
socket = ctl.sock
state_dir = state
log = pitstopd.log

[app]
command = $APP_STUB --listen 127.0.0.1:$PORT
directory = .
ready = http://127.0.0.1:$PORT/healthz
ready_timeout = 10s
stop_timeout = 5s
backoff = 100ms..1s
${1:-}

[databases]
main = main.db
keychain = keychain.db

[backup]
dir = backups
INI
}

start_pitstopd() {
	"$PITSTOPD" -c "$T/pitstop.ini" "$@" 2>>"$T/pitstopd.stderr" &
	PITSTOPD_PID=$!
	PIDS="$PIDS $PITSTOPD_PID"
	wait_for 20 test -S "$SOCK" || { fail "pitstopd did not create its socket"; finish; }
}

api() {	# api METHOD PATH [curl args...]: prints the body
	local m=$1 p=$2; shift 2
	curl -sS --max-time 60 --unix-socket "$SOCK" -X "$m" "$@" "http://localhost$p"
}
api_code() {	# api_code METHOD PATH: prints the HTTP status
	curl -s -o /dev/null -w '%{http_code}' --max-time 60 --unix-socket "$SOCK" -X "$1" "http://localhost$2"
}
jget() {	# jget KEY.PATH < json: prints a field (python3 reads it)
	python3 -c 'import json,sys
v=json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[int(k)] if isinstance(v, list) else v.get(k)
print("" if v is None else v)' "$1"
}
state() { api GET /v1/status | jget state; }
app_pid() { api GET /v1/status | jget pid; }
is_state() { [ "$(state)" = "$1" ]; }
healthz_pid() { curl -s --max-time 5 "http://127.0.0.1:$PORT/healthz" | jget pid; }
