#!/usr/bin/env bash
# Crash safety of a two-database restore (SPEC §6): pitstopd is killed
# (PITSTOP_FAILPOINT, _exit(70)) at every step of a restore, then started
# again without the failpoint. For each point, in its own project:
#
#   generation A = profiles a1,a2 and keychain k=A (a manual backup);
#   live state B = a1,a2,b1 and k=B when `pitstop restore A` is asked.
#
# After the crash the app must die with pitstopd, and after the restart:
# both live databases pass integrity_check and come from the same
# generation: B (rolled back) for a crash before the journal, A (rolled
# forward) from the journal on; the app serves what the files hold;
# generation A is still listed and intact; when rolled forward, B is kept
# as a generation of kind "safety"; no staged or safety file and no
# journal is left; and a second restore works.
#
# An extra case uses an app that refuses to start on generation A, so the
# restore rolls back, and kills pitstopd at rollback-stopped: recovery
# must finish the rollback (state B, no safety generation).
case $APP_STUB in /*) ;; *) APP_STUB=$PWD/$APP_STUB ;; esac
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null 2>&1 || { say "no sqlite3 CLI: skipped"; exit 77; }
# lib.sh reads JSON with python3, many times here: run the interpreter
# itself, not a version manager's shim in front of it.
PYTHON3=$(python3 -c 'import sys; print(sys.executable)') &&
    python3() { "$PYTHON3" "$@"; }

# Processes of the case in $1 (the app, or the wrapper before its exec):
# found by the database path in their environment (PITSTOP_DB_MAIN).
# Zombies have an empty environ and do not count.
case_procs() {
	local e p
	for e in /proc/[0-9]*/environ; do
		p=${e#/proc/}; p=${p%/environ}
		[ "$p" = $$ ] && continue
		grep -qzF "PITSTOP_DB_MAIN=$1/data/main.db" "$e" 2>/dev/null &&
		    echo "$p"
	done
	return 0
}
no_case_procs() { [ -z "$(case_procs "$1")" ]; }
kill_case_procs() {	# last resort for a failing case or at exit
	local p
	for p in $(case_procs "$1"); do kill -KILL "$p" 2>/dev/null; done
}
trap 'kill_case_procs "$T"; cleanup' EXIT

# A process that is gone or a zombie (not yet reaped).
gone() {
	local s
	s=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
	[ -z "$s" ] || [ "$s" = Z ]
}

P() { timeout 60 "$PITSTOP" -s "$SOCK" "$@"; }
quiet() { "$@" >/dev/null; }
app_get() { curl -sf --max-time 10 "http://127.0.0.1:$PORT$1"; }
add_profile() {
	curl -sf --max-time 10 -o /dev/null -d "name=$1" \
	    "http://127.0.0.1:$PORT/profiles"
}
set_key() {
	curl -sf --max-time 10 -o /dev/null -X PUT --data-binary "$2" \
	    "http://127.0.0.1:$PORT/keychain/$1"
}

# db_state MAIN KEYCHAIN: "a1,a2|A"-like: the profile names and k.
db_state() {
	local names k
	names=$(sqlite3 -readonly "$1" \
	    "SELECT group_concat(name, ',') FROM (SELECT name FROM profiles ORDER BY name)") || return 1
	k=$(sqlite3 -readonly "$2" "SELECT value FROM keychain WHERE key = 'k'") || return 1
	printf '%s|%s\n' "$names" "$k"
}
# app_state: the same, as the app serves it.
app_state() {
	local names k
	names=$(app_get /profiles | python3 -c 'import json,sys
print(",".join(sorted(p["name"] for p in json.load(sys.stdin))))') || return 1
	k=$(app_get /keychain/k | jget value) || return 1
	printf '%s|%s\n' "$names" "$k"
}
integrity_ok() { [ "$(sqlite3 -readonly "$1" 'PRAGMA integrity_check')" = ok ]; }
both_ok() { integrity_ok "$1" && integrity_ok "$2"; }

STATE_A="a1,a2|A"
STATE_B="a1,a2,b1|B"

# gen_ids KIND < backups JSON: the IDs of that kind, one a line.
gen_ids() {
	python3 -c 'import json,sys
for g in json.load(sys.stdin):
    if g.get("kind") == sys.argv[1]: print(g["id"])' "$1"
}

# write_case_config DIR [COMMAND]
write_case_config() {
	cat > "$1/pitstop.ini" <<INI
[supervisor]
socket = ctl.sock
state_dir = state
log = pitstopd.log

[app]
command = ${2:-$APP_STUB}
directory = .
listen = 127.0.0.1:$PORT
ready = notify
ready_timeout = 10s
stop_timeout = 5s
backoff = 100ms..1s

[databases]
main = data/main.db
keychain = data/keychain.db

[backup]
dir = backups
INI
}

# start_case_pitstopd [VAR=VALUE...]: start pitstopd for the case in $D
# and wait until it answers with its own pid and the app runs.
start_case_pitstopd() {
	env "$@" "$PITSTOPD" -c "$D/pitstop.ini" 2>>"$D/pitstopd.stderr" &
	DPID=$!
	PIDS="$PIDS $DPID"
	answers() { [ "$(api GET /v1/status | jget pitstopd.pid)" = "$DPID" ]; }
	wait_for 20 answers || return 1
	wait_for 20 is_state running
}

# stray_files: whatever a restore may leave behind, after recovery.
stray_files() {
	find "$D/data" "$D/state" \( -name '*.pitstop-staged*' -o \
	    -name '*.pitstop-safety*' -o -name 'restore.journal' \) -print
	find "$D/backups/default" -mindepth 1 -maxdepth 1 -name '.*' -print
	local g
	for g in "$D"/backups/default/*/; do
		[ -f "$g/manifest.json" ] || echo "$g (no manifest)"
	done
}

# run_case POINT EXPECTED (A or B) [poison]: one crash and its recovery.
# Returns 1 at the first failure that makes the rest meaningless.
run_case() {
	local point=$1 expect=$2 poison=${3:-} rc out ids sid gdir want
	D=$T/${point//:/-}
	SOCK=$D/ctl.sock
	PORT=$(free_port)
	mkdir -p "$D/data"
	if [ -n "$poison" ]; then
		# The app refuses to start on data with poison=1 in the keychain.
		cat > "$D/wrap.sh" <<SH
v=\$(sqlite3 -readonly "\$PITSTOP_DB_KEYCHAIN" "SELECT value FROM keychain WHERE key = 'poison'" 2>/dev/null)
[ "\$v" = 1 ] && { echo "wrap: poisoned data: not starting" >&2; exit 1; }
exec "$APP_STUB"
SH
		write_case_config "$D" "/bin/sh $D/wrap.sh"
	else
		write_case_config "$D"
	fi
	[ "$expect" = A ] && want=$STATE_A || want=$STATE_B

	start_case_pitstopd PITSTOP_FAILPOINT="$point" ||
	    { fail "$point: pitstopd does not start"; return 1; }
	add_profile a1 && add_profile a2 && set_key k A &&
	    { [ -z "$poison" ] || set_key poison 1; } ||
	    { fail "$point: cannot write generation A's data"; return 1; }
	A=$(P --json backup | jget id)
	[ -n "$A" ] || { fail "$point: backup A failed"; return 1; }
	add_profile b1 && set_key k B &&
	    { [ -z "$poison" ] || set_key poison 0; } ||
	    { fail "$point: cannot write state B"; return 1; }
	local app1; app1=$(app_pid)

	say "$point: restore $A, pitstopd dies at the failpoint"
	P restore "$A" >"$D/restore.out" 2>&1; rc=$?
	check "$point: the interrupted restore fails (exit $rc)" \
	    test "$rc" -eq 1 -o "$rc" -eq 3
	if ! wait_for 20 gone "$DPID"; then
		fail "$point: pitstopd did not die at the failpoint"
		kill -KILL "$DPID" 2>/dev/null
		return 1
	fi
	wait "$DPID"; rc=$?
	check "$point: pitstopd exited 70 (got $rc)" test "$rc" -eq 70
	check "$point: the log names the failpoint" \
	    grep -q "failpoint $point: exiting abruptly" "$D/pitstopd.log"
	check "$point: the app does not outlive pitstopd" \
	    wait_for 3 no_case_procs "$D"
	check "$point: the app of before the restore is gone" \
	    wait_for 3 gone "$app1"
	kill_case_procs "$D"

	say "$point: pitstopd starts again"
	start_case_pitstopd ||
	    { fail "$point: pitstopd does not recover and run the app"; return 1; }
	out=$(case_procs "$D")
	check "$point: exactly one app runs, the supervised one" \
	    test "$out" = "$(app_pid)"
	check "$point: the app serves generation $expect" \
	    test "$(app_state)" = "$want"
	check "$point: no staged or safety file, no journal, no partial generation" \
	    test -z "$(stray_files)"
	P --json backups >"$D/backups.json" ||
	    { fail "$point: cannot list the backups"; return 1; }
	check "$point: generation A is still listed" \
	    grep -qx "$A" <(gen_ids manual <"$D/backups.json")
	gdir=$D/backups/default/$A
	check "$point: generation A has its manifest" test -f "$gdir/manifest.json"
	check "$point: generation A's files pass integrity_check" \
	    both_ok "$gdir/main.db" "$gdir/keychain.db"
	check "$point: generation A still holds state A" \
	    test "$(db_state "$gdir/main.db" "$gdir/keychain.db")" = "$STATE_A"
	ids=$(gen_ids safety <"$D/backups.json")
	if [ "$expect" = A ]; then
		sid=$ids
		check "$point: exactly one safety generation ($sid)" \
		    test -n "$sid" -a "$(echo "$sid" | wc -l)" -eq 1
		check "$point: the log says the journal was found" \
		    grep -q "restore journal found .*: finishing the restore of $A" \
		    "$D/pitstopd.log"
		# At safety-generation it was made before the crash.
		[ "$point" = safety-generation ] ||
		check "$point: the log says recovery kept it" \
		    grep -q "pre-restore data kept as safety generation $sid" \
		    "$D/pitstopd.log"
		gdir=$D/backups/default/$sid
		check "$point: the safety generation has its manifest" \
		    test -n "$sid" -a -f "$gdir/manifest.json"
		check "$point: the safety generation's files pass integrity_check" \
		    both_ok "$gdir/main.db" "$gdir/keychain.db"
		check "$point: the safety generation holds the live state B" \
		    test "$(db_state "$gdir/main.db" "$gdir/keychain.db")" = "$STATE_B"
	else
		check "$point: rolled back: no safety generation" test -z "$ids"
		[ -z "$poison" ] ||
		check "$point: the log says recovery finished the rollback" \
		    grep -q "restore of $A rolled back" "$D/pitstopd.log"
	fi

	say "$point: the live files, with the app stopped"
	check "$point: stop" quiet P stop
	check "$point: main.db passes integrity_check" integrity_ok "$D/data/main.db"
	check "$point: keychain.db passes integrity_check" \
	    integrity_ok "$D/data/keychain.db"
	out=$(db_state "$D/data/main.db" "$D/data/keychain.db")
	check "$point: both databases are generation $expect (got '$out')" \
	    test "$out" = "$want"
	check "$point: start" quiet P start

	say "$point: a second restore"
	if [ -n "$poison" ]; then
		P --json restore "$A" >"$D/restore2.out" 2>"$D/restore2.err"; rc=$?
		check "$point: restoring the poisoned A again fails (exit $rc)" \
		    test "$rc" -eq 1
		check "$point: and is rolled back" \
		    test "$(jget rolled_back <"$D/restore2.out")" = True
		check "$point: the app runs on state B" \
		    wait_for 20 is_state running
		check "$point: and serves it" test "$(app_state)" = "$STATE_B"
	else
		P --json restore "$A" >"$D/restore2.out" 2>"$D/restore2.err"; rc=$?
		check "$point: restoring A again answers 200 (exit $rc)" \
		    test "$rc" -eq 0
		check "$point: it names A" \
		    test "$(jget restored <"$D/restore2.out")" = "$A"
		check "$point: the app serves state A" \
		    test "$(app_state)" = "$STATE_A"
	fi
	check "$point: nothing left behind by it" test -z "$(stray_files)"
	kill -TERM "$DPID"
	wait_for 20 gone "$DPID" || kill -KILL "$DPID"
	wait "$DPID"; rc=$?
	check "$point: pitstopd stops cleanly (exit $rc)" test "$rc" -eq 0
	check "$point: no sanitizer report" \
	    sh -c "! grep -E 'Sanitizer|runtime error' '$D/pitstopd.stderr'"
	return 0
}

# Crash points in restore order, with the generation recovery must leave:
# before the journal the restore is undone, from it on it is finished.
POINTS="verified:B staged:B journal:A stopped:A safety:1:A safety:2:A
swapped-one:1:A swapped-one:2:A committed:A started:A safety-generation:A"

ANYFAIL=0
SUMMARY=""
run_point() {	# run_point POINT EXPECTED [poison]
	local t0=$SECONDS res
	FAILED=0
	run_case "$@" || FAILED=1
	[ "$FAILED" -ne 0 ] && res=FAIL || res=ok
	if [ "$FAILED" -ne 0 ]; then
		ANYFAIL=1
		say "$1: pitstopd log:"
		sed 's/^/#   /' "$D/pitstopd.log" 2>/dev/null | tail -30
		kill -KILL "$DPID" 2>/dev/null
		kill_case_procs "$D"
	fi
	SUMMARY="$SUMMARY$(printf '%-18s -> %s: %s (%ds)' "$1" "$2" "$res" \
	    $((SECONDS - t0)))
"
}

for pe in $POINTS; do
	run_point "${pe%:*}" "${pe##*:}"
done
run_point rollback-stopped B poison

say "summary (point -> generation after recovery):"
printf '%s' "$SUMMARY" | sed 's/^/# /'
FAILED=$ANYFAIL
[ "$FAILED" -ne 0 ] && exit 1
exit 0
