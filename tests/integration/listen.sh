#!/usr/bin/env bash
# Held listen sockets: pitstopd binds the app's address once and hands it
# to every app process as fd 3 with LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES;
# a client hammering the app through it during restarts sees no failure.
. "$(dirname "$0")/lib.sh"

write_config
sed -i "s|^command = .*|command = $APP_STUB|; s|^ready = .*|ready = notify|" "$T/pitstop.ini"
sed -i "s|^directory = .|directory = .\nlisten = 127.0.0.1:$PORT unix:app.sock|" "$T/pitstop.ini"
start_pitstopd
check "app running on the held sockets" wait_for 20 is_state running
pid=$(app_pid)
check "it serves on the TCP address" test "$(healthz_pid)" = "$pid"
check "it serves on the unix socket" test "$(curl -s --unix-socket "$T/app.sock" \
	http://localhost/healthz | jget pid)" = "$pid"
env_of() { tr '\0' '\n' < /proc/"$1"/environ; }
check "LISTEN_PID is the app's own pid" \
	test "$(env_of "$pid" | sed -n 's/^LISTEN_PID=//p')" = "$pid"
check "LISTEN_FDS counts both sockets" \
	test "$(env_of "$pid" | sed -n 's/^LISTEN_FDS=//p')" = 2
check "LISTEN_FDNAMES names them" \
	test "$(env_of "$pid" | sed -n 's/^LISTEN_FDNAMES=//p')" = "listen0:listen1"
check "pitstopd itself holds the listening socket" \
	sh -c "ss -ltnp 2>/dev/null | grep ':$PORT ' | grep -q 'pid=$PITSTOPD_PID,' || \
	       ! command -v ss >/dev/null"

if python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	say "IPv6: a held [::1] socket"
	kill -TERM "$PITSTOPD_PID"; wait "$PITSTOPD_PID"
	sed -i "s|^listen = .*|listen = 127.0.0.1:$PORT [::1]:$PORT unix:app.sock|" "$T/pitstop.ini"
	start_pitstopd
	check "app running on three held sockets" wait_for 20 is_state running
	check "it serves on [::1]" test "$(curl -s -g "http://[::1]:$PORT/healthz" | jget pid)" = "$(app_pid)"
	check "LISTEN_FDS counts three" \
		test "$(env_of "$(app_pid)" | sed -n 's/^LISTEN_FDS=//p')" = 3
	pid=$(app_pid)
fi

say "50 restarts and 20 restores under load fail no request"
curl -s -d name=first "http://127.0.0.1:$PORT/profiles" >/dev/null
gen=$(api POST /v1/backup | jget id)
check "a generation to restore" test -n "$gen"
python3 - "$PORT" "$T/stop" "$T/load.out" <<'PY' &
import http.client, os, sys, threading
port, stop, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ok = fail = 0
errors = {}
lock = threading.Lock()
def worker():
    global ok, fail
    while not os.path.exists(stop):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("GET", "/healthz")
            r = c.getresponse(); r.read(); c.close()
            good = r.status == 200
            kind = "status %d" % r.status
        except Exception as e:
            good, kind = False, type(e).__name__
        with lock:
            if good: ok += 1
            else:
                fail += 1; errors[kind] = errors.get(kind, 0) + 1
threads = [threading.Thread(target=worker) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
open(out, "w").write("%d %d %s\n" % (ok, fail, errors))
PY
load=$!
PIDS="$PIDS $load"
restarts=0 restores=0
for i in $(seq 1 70); do
	if [ $((i % 7)) -eq 0 ] || [ $((i % 7)) -eq 3 ]; then
		code=$(api_code POST "/v1/restore?id=$gen")
		[ "$code" = 200 ] || fail "restore $i answered $code"
		restores=$((restores + 1))
	else
		code=$(api_code POST /v1/restart)
		[ "$code" = 200 ] || fail "restart $i answered $code"
		restarts=$((restarts + 1))
	fi
done
say "$restarts restarts, $restores restores"
touch "$T/stop"
wait "$load"
read -r nok nfail rest < "$T/load.out"
say "requests: $nok ok, $nfail failed $rest"
check "the load client made requests ($nok)" test "$nok" -gt 100
check "no request failed during $restarts restarts and $restores restores ($nfail)" \
	test "$nfail" -eq 0
check "the app runs a new process" test "$(app_pid)" != "$pid"
finish
