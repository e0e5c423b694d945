#!/usr/bin/env bash
# Backups and restores as users hit them: a complete database catastrophe,
# selective recovery, the safety generation, refusals (422, 404, 409), two
# databases kept consistent, wait=0, rollback when the restored app does
# not come up, post_backup and retention.
. "$(dirname "$0")/lib.sh"

write_config
sed -i "s|^command = .*|command = $APP_STUB|; s|^ready = .*|ready = notify|" "$T/pitstop.ini"
sed -i "s|^directory = .|directory = .\nlisten = 127.0.0.1:$PORT|" "$T/pitstop.ini"
sed -i 's|^main = main.db|main = data/main.db|; s|^keychain = keychain.db|keychain = data/keychain.db|' "$T/pitstop.ini"
cat >> "$T/pitstop.ini" <<INI
keep = 3
keep_safety = 2
post_backup = sh -c 'echo "\$PITSTOP_BACKUP_ID \$PITSTOP_BACKUP_DIR" >> hook.out'
INI
mkdir -p "$T/data"
P() { "$PITSTOP" -s "$SOCK" "$@"; }
URL=http://127.0.0.1:$PORT
add() { curl -s -o /dev/null -w '%{http_code}' -d "name=$1" "$URL/profiles"; }
names() { curl -s "$URL/profiles" | python3 -c 'import json,sys; print(" ".join(sorted(p["name"] for p in json.load(sys.stdin))))'; }
kset() { curl -s -o /dev/null -X PUT --data "$2" "$URL/keychain/$1"; }
kget() { curl -s "$URL/keychain/$1" | jget value; }
backup_id() { P --json backup | jget id; }

start_pitstopd
check "app running" wait_for 20 is_state running

say "selective recovery"
add alice >/dev/null; add bob >/dev/null; kset token A
id1=$(backup_id)
check "a backup answers its id" test -n "$id1"
m=$(api GET /v1/backups)
check "the backup is listed with 3 records (2 profiles, 1 key)" \
	test "$(echo "$m" | jget 0.records)" = 3 -a "$(echo "$m" | jget 0.id)" = "$id1"
P backups > "$T/table"
check "pitstop backups prints a table" grep -q "^ID  *KIND  *AGE  *SIZE  *RECORDS$" "$T/table"
check "with human sizes and ages" grep -qE "^$id1  manual  (just now|[0-9]+s ago)  [0-9.]+ KiB  3$" "$T/table"
check "the generation has a manifest and both files" \
	test -f "$T/backups/default/$id1/manifest.json" -a -f "$T/backups/default/$id1/main.db" \
	-a -f "$T/backups/default/$id1/keychain.db"
check "post_backup ran with the id and directory" \
	wait_for 10 grep -q "^$id1 $T/backups/default/$id1\$" "$T/hook.out"
bob=$(curl -s "$URL/profiles" | python3 -c 'import json,sys; print([p["id"] for p in json.load(sys.stdin) if p["name"]=="bob"][0])')
curl -s -X DELETE "$URL/profiles/$bob" >/dev/null
kset token B
check "bob is deleted in the app" test "$(names)" = alice
old_pid=$(app_pid)
out=$(P --json restore "$id1"); rc=$?
check "restore exits 0" test "$rc" -eq 0
check "the answer names the restored generation" test "$(echo "$out" | jget restored)" = "$id1"
check "the answer counts the records" test "$(echo "$out" | jget records)" = 3
check "the answer has downtime_ms" test -n "$(echo "$out" | jget downtime_ms)"
new_pid=$(echo "$out" | jget pid)
check "a new app process serves" test "$new_pid" != "$old_pid" -a "$(healthz_pid)" = "$new_pid"
check "bob is back in the app's in-memory list" test "$(names)" = "alice bob"
check "the keychain is restored with it" test "$(kget token)" = A
check "EXPLICIT_RESTORE is logged" \
	grep -q "EXPLICIT_RESTORE: restored 3 records from $id1 in [0-9]* ms (pid $new_pid)" "$T/pitstopd.log"
safety=$(echo "$out" | jget safety_backup)
check "the pre-restore state is a safety generation" \
	test "$(api GET /v1/backups | jget 0.kind)" = safety -a "$(api GET /v1/backups | jget 0.id)" = "$safety"
check "no staged, safety or sidecar leftovers beside the databases" \
	sh -c "! ls '$T/data' | grep -q pitstop"
check "no journal left" test ! -e "$T/state/restore.journal"

say "restoring the safety generation brings back the pre-restore state"
P restore "$safety" >/dev/null
check "bob is gone again, as before the restore" test "$(names)" = alice
check "and the keychain says B" test "$(kget token)" = B

say "complete database catastrophe"
add carol >/dev/null
id2=$(backup_id)
kill -TERM "$PITSTOPD_PID"; wait "$PITSTOPD_PID"
rm -f "$T"/data/*
start_pitstopd
check "the app comes up empty" wait_for 20 sh -c "[ \"\$(curl -s $URL/profiles)\" = '[]' ]"
P restore >/dev/null; rc=$?
check "restore with no id restores the newest" test "$rc" -eq 0
check "every profile is back in memory" test "$(names)" = "alice carol"
check "the keychain is back" test "$(kget token)" = B

say "refusals leave the app and data alone"
pid=$(app_pid)
cp -r "$T/backups/default/$id2" "$T/saved"
python3 - "$T/backups/default/$id2/main.db" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(4096 + 100); b = f.read(1); f.seek(4096 + 100); f.write(bytes([b[0] ^ 0xff]))
PY
code=$(curl -s -o "$T/out" -w '%{http_code}' --unix-socket "$SOCK" -X POST \
	-d "{\"id\": \"$id2\"}" http://localhost/v1/restore)
check "a corrupted generation is refused with 422" test "$code" = 422
check "as invalid_backup" test "$(jget error < "$T/out")" = invalid_backup
jget message < "$T/out" > "$T/msg"
check "naming the file: $(cat "$T/msg")" grep -q "main.db" "$T/msg"
check "the app was not touched" test "$(app_pid)" = "$pid" -a "$(names)" = "alice carol"
check "nothing was staged" sh -c "! ls '$T/data' | grep -q pitstop"
rm -rf "$T/backups/default/$id2"; cp -r "$T/saved" "$T/backups/default/$id2"
code=$(api_code POST '/v1/restore?id=20990101T000000Z-0000')
check "an unknown id gets 404" test "$code" = 404
code=$(api_code POST '/v1/restore?id=../default')
check "a path as id gets 404" test "$code" = 404
P restore nonsense >/dev/null 2>&1; rc=$?
check "pitstop restore of an unknown id exits 1" test "$rc" -eq 1

say "operations are serialized"
sed -i 's|^\[databases\]|[environment]\nAPP_STUB_READY_DELAY_MS = 1500\n\n[databases]|' "$T/pitstop.ini"
kill -HUP "$PITSTOPD_PID"
wait_for 10 grep -q "configuration reloaded" "$T/pitstopd.log"
if command -v script >/dev/null; then
	script -qec "$PITSTOP -s $SOCK restore $id2" /dev/null > "$T/tty.out" 2>&1
	check "on a terminal, a restore over a second draws a progress bar" \
		grep -q '\] *[0-9]*% restore' "$T/tty.out"
	check "and ends with the result" grep -q "restored *$id2" "$T/tty.out"
fi
P restore "$id2" > "$T/plain.out" 2>&1
check "without a terminal there is no progress bar" \
	sh -c "! grep -q '%' '$T/plain.out'"
code=$(api_code POST "/v1/restore?id=$id2&wait=0")
check "restore with wait=0 answers 202" test "$code" = 202
check "a backup during it gets 409" test "$(api_code POST /v1/backup)" = 409
check "a restart during it gets 409" test "$(api_code POST /v1/restart)" = 409
done_ok() {
	local st; st=$(api GET /v1/status)
	[ -z "$(echo "$st" | jget operation)" ] &&
	    [ "$(echo "$st" | jget last_operation.name)" = restore ] &&
	    [ "$(echo "$st" | jget last_operation.result)" = ok ]
}
check "status shows the background restore finishing ok" wait_for 30 done_ok
check "the app serves the restored data" test "$(names)" = "alice carol"
say "a client that goes away does not cancel its restore"
pid=$(app_pid)
curl -s --max-time 0.3 --unix-socket "$SOCK" -X POST "http://localhost/v1/restore?id=$id2" >/dev/null
check "the restore still finishes ok" wait_for 30 done_ok
check "with a new app process" test "$(app_pid)" != "$pid"
check "that serves" test "$(healthz_pid)" = "$(app_pid)"
sed -i '/^\[environment\]$/d; /^APP_STUB_READY_DELAY_MS/d' "$T/pitstop.ini"

say "a restored app that does not come up is rolled back"
kill -TERM "$PITSTOPD_PID"; wait "$PITSTOPD_PID"
mv "$T/data/main.db" "$T/good.db"
sqlite3 "$T/data/main.db" "CREATE TABLE profiles(id INTEGER PRIMARY KEY, nom TEXT);"
start_pitstopd
check "the app cannot run on the incompatible database" wait_for 30 \
	sh -c "[ \"\$(curl -s --unix-socket $SOCK http://localhost/v1/status | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"state\"])')\" != running ]"
bad=$(backup_id)
check "the incompatible database is backed up anyway" test -n "$bad"
P stop >/dev/null
rm -f "$T/data/main.db"*; mv "$T/good.db" "$T/data/main.db"
P start >/dev/null
check "the app runs on the good database" wait_for 20 is_state running
pid=$(app_pid)
out=$(curl -s -w '\n%{http_code}' --unix-socket "$SOCK" -X POST "http://localhost/v1/restore?id=$bad")
check "the restore answers 500" test "$(echo "$out" | tail -1)" = 500
check "with rolled_back: true" test "$(echo "$out" | head -1 | jget rolled_back)" = True
check "the app runs again on the previous data" \
	wait_for 20 sh -c "[ \"\$(curl -s $URL/profiles | grep -c carol)\" = 1 ]"
check "nothing is left beside the databases" sh -c "! ls '$T/data' | grep -q pitstop"

say "a restore with ready = http://"
sed -i "s|^ready = notify|ready = http://127.0.0.1:$PORT/healthz|" "$T/pitstop.ini"
n=$(grep -c 'configuration reloaded' "$T/pitstopd.log")
kill -HUP "$PITSTOPD_PID"
check "the reload to ready = http is applied" \
	wait_for 10 sh -c "[ \$(grep -c 'configuration reloaded' '$T/pitstopd.log') -gt $n ]"
out=$(curl -s --max-time 60 -w '\n%{http_code}' --unix-socket "$SOCK" -X POST "http://localhost/v1/restore?id=$id2")
check "it answers 200 once the URL answers" test "$(echo "$out" | tail -1)" = 200
check "and the app serves the restored data" test "$(names)" = "alice carol"

say "retention"
for i in 1 2 3 4; do backup_id >/dev/null; done
kinds=$(api GET /v1/backups | python3 -c 'import json,sys; g=json.load(sys.stdin); print(sum(1 for x in g if x["kind"]=="manual"), sum(1 for x in g if x["kind"]=="safety"))')
check "keep = 3 manual and keep_safety = 2 safety generations ($kinds)" test "$kinds" = "3 2"
check "the original generation was retired" test ! -e "$T/backups/default/$id1"
finish
