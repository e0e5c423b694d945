#!/usr/bin/env bash
# The control socket under bad input: garbage, oversized headers and
# bodies, bad JSON, unknown paths and methods, idle connections. The
# daemon answers with the documented errors and keeps serving.
. "$(dirname "$0")/lib.sh"

write_config
start_pitstopd
check "app running" wait_for 20 is_state running

# raw BYTES: send bytes on the socket, print what comes back (5 s max).
raw() {
	python3 - "$SOCK" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(15)
s.connect(sys.argv[1])
try:
    s.sendall(sys.argv[2].encode().decode('unicode_escape').encode('latin-1'))
except OSError:
    pass
out = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
except (socket.timeout, OSError):
    pass
print(out.decode('latin-1').split("\r\n")[0])
PY
}

r=$(raw '\x00\x01\x02garbage\r\n\r\n')
check "garbage gets 400 or a closed connection ($r)" \
	sh -c "[ -z '$r' ] || echo '$r' | grep -q ' 400 '"
r=$(raw 'GET /v1/status HTTP/1.1\r\nHost: x\r\n'"$(printf 'X-Pad: %09000d\\r\\n' 0)"'\r\n')
check "a 9 KiB header gets 400/413 or a closed connection ($r)" \
	sh -c "[ -z '$r' ] || echo '$r' | grep -qE ' (400|413|431) '"
big=$(head -c 70000 /dev/zero | tr '\0' 'a')
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" \
	-X POST -H 'Content-Type: application/json' --data "{\"x\":\"$big\"}" \
	http://localhost/v1/restart)
check "a body over 64 KiB gets 413 ($code)" test "$code" = 413
code=$(curl -s -o "$T/out" -w '%{http_code}' --unix-socket "$SOCK" \
	-X POST --data '{"wait": ' http://localhost/v1/restart)
check "bad JSON gets 400" test "$code" = 400
check "with the error format" test "$(jget error < "$T/out")" = bad_request
code=$(curl -s -o "$T/out" -w '%{http_code}' --unix-socket "$SOCK" \
	http://localhost/v1/nothing)
check "an unknown path gets 404" test "$code" = 404
check "404 body names not_found" test "$(jget error < "$T/out")" = not_found
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" \
	-X DELETE http://localhost/v1/status)
check "a wrong method gets 405" test "$code" = 405
check "the daemon still serves" is_state running

say "idle connections are closed after 10 s"
python3 - "$SOCK" <<'PY' && r=closed || r=open
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(30)
s.connect(sys.argv[1])
sys.exit(0 if s.recv(1) == b"" else 1)
PY
check "an idle connection is closed by the daemon" test "$r" = closed

say "300 idle connections (half silent, half keep-alive) do not lock out a fresh request"
python3 - "$SOCK" 300 <<'PY' &
import socket, sys, time
conns = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    if len(conns) % 2:
        s.sendall(b"GET /v1/status HTTP/1.1\r\nHost: x\r\n\r\n")
        s.recv(65536)
    conns.append(s)
open(sys.argv[1] + ".hog", "w").close()
time.sleep(8)
PY
hog=$!
PIDS="$PIDS $hog"
nsock() { find /proc/$PITSTOPD_PID/fd -lname 'socket:*' 2>/dev/null | wc -l; }
check "300 clients connected" wait_for 20 test -e "$SOCK.hog"
n=$(nsock)
check "pitstopd holds at most 256 client connections (sockets: $n)" \
	test "$n" -le 264
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --unix-socket "$SOCK" \
	http://localhost/v1/status)
check "a fresh request is answered at once ($code)" test "$code" = 200
kill "$hog" 2>/dev/null; wait "$hog" 2>/dev/null
check "the daemon still serves" is_state running
finish
