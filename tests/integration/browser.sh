#!/usr/bin/env bash
# app-stub's page (SPEC §9) in headless Chromium, through Playwright
# (tests/browser/load.mjs): under pitstopd, "Load all data" with no backup
# shows the 404 and unblocks; "Save all data" shows the backup id; then,
# with alice backed up and deleted, "Load all data" spins and blocks at
# once, sends one restore for a double click, and the page reloads by
# itself from a new app process, listing alice again. Skips (77) when
# Chromium, Node.js or playwright-core is missing and cannot be installed
# (tests/browser/setup.sh installs them as root). Screenshots are copied to
# $BROWSER_SHOTS when it is set.
. "$(dirname "$0")/lib.sh"

# The app's command runs in the config's directory: make the paths absolute.
for v in PITSTOPD PITSTOP APP_STUB; do
	case ${!v} in /*) ;; *) printf -v "$v" '%s' "$PWD/${!v}" ;; esac
done
BROWSER_DIR=${SRCDIR:-$(dirname "$0")/../..}/tests/browser

for tool in curl python3 node npm; do
	command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: no $tool"; exit 77; }
done
if ! bash "$BROWSER_DIR/setup.sh"; then
	echo "SKIP: Chromium or playwright-core is missing (see above)"
	exit 77
fi

write_config
sed -i "s|^command = .*|command = $APP_STUB|; s|^ready = .*|ready = notify|" "$T/pitstop.ini"
sed -i "s|^directory = .|directory = .\nlisten = 127.0.0.1:$PORT|" "$T/pitstop.ini"
sed -i 's|^main = main.db|main = data/main.db|; s|^keychain = keychain.db|keychain = data/keychain.db|' "$T/pitstop.ini"
mkdir -p "$T/data" "$T/shots"
URL=http://127.0.0.1:$PORT
names() { curl -s "$URL/profiles" | python3 -c 'import json,sys; print(" ".join(sorted(p["name"] for p in json.load(sys.stdin))))'; }
# browser PHASE: run load.mjs, passing its check lines through.
browser() {
	node "$BROWSER_DIR/load.mjs" "$URL" "$T/shots" "$1" > "$T/browser.out" 2>&1
	local rc=$?
	grep -v '^saved=' "$T/browser.out"
	[ "$rc" -eq 0 ] || fail "load.mjs $1 exited $rc"
}
restores() { grep -c 'restore requested' "$T/pitstopd.log"; }

start_pitstopd
check "app running" wait_for 20 is_state running
code=$(curl -s -o /dev/null -w '%{http_code}' -d name=alice "$URL/profiles")
check "alice is added ($code)" test "$code" = 201
code=$(curl -s -o "$T/page.html" -w '%{http_code} %{content_type}' "$URL/")
check "GET / is an HTML page ($code)" test "$code" = "200 text/html; charset=utf-8"
check "listing alice" grep -q '<span class="name">alice</span>' "$T/page.html"
check "with the serving pid" grep -q "<body data-pid=\"$(healthz_pid)\">" "$T/page.html"

say "the page: errors and Save all data"
browser errors
saved=$(sed -n 's/^saved=//p' "$T/browser.out")
check "the page's backup ($saved) is listed by pitstopd" \
	test -n "$saved" -a "$(api GET /v1/backups | jget 0.id)" = "$saved"
check "no restore was requested yet" test "$(restores)" = 0

say "the page: Load all data"
code=$(curl -s -o "$T/out" -w '%{http_code}' -X POST "$URL/explicit-backup")
check "a backup with alice ($code)" test "$code" = 201
alice=$(curl -s "$URL/profiles" | python3 -c 'import json,sys; print([p["id"] for p in json.load(sys.stdin) if p["name"]=="alice"][0])')
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$URL/profiles/$alice")
check "alice is deleted ($code)" test "$code" = 204 -a -z "$(names)"
old_pid=$(healthz_pid)
start=$(date +%s%N)
browser load
say "the load phase took $(( ($(date +%s%N) - start) / 1000000 )) ms"
check "a new app process serves" test "$(healthz_pid)" != "$old_pid"
check "which lists alice" test "$(names)" = alice
check "pitstopd logged exactly one restore ($(restores))" test "$(restores)" = 1
check "the old app stopped cleanly" \
	grep -q "app-stub\[$old_pid\]: stopped" "$T/pitstopd.log" "$T/pitstopd.stderr"
check "no sanitizer report from any app-stub" \
	sh -c "! grep -q 'Sanitizer' '$T/pitstopd.log' '$T/pitstopd.stderr'"
for f in "$T"/shots/*.png; do
	[ -e "$f" ] && say "screenshot: $(basename "$f")"
done
if [ -n "${BROWSER_SHOTS:-}" ]; then
	mkdir -p "$BROWSER_SHOTS" && cp "$T"/shots/*.png "$BROWSER_SHOTS"/ 2>/dev/null
fi
finish
