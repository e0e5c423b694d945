#!/usr/bin/env bash
# Environments: switching dev -> prod changes which database the app
# serves and its variables, survives a restart of pitstopd, keeps backups
# per environment, and a restore in prod never touches dev's files.
. "$(dirname "$0")/lib.sh"

write_config "[environment]
APP_MODE = development"
sed -i "s|^command = .*|command = $APP_STUB|; s|^ready = .*|ready = notify|" "$T/pitstop.ini"
sed -i "s|^directory = .|directory = .\nlisten = 127.0.0.1:$PORT|" "$T/pitstop.ini"
cat >> "$T/pitstop.ini" <<INI

[env.prod]
databases.main = prod.db
databases.keychain = prod-keychain.db
environment.APP_MODE = production
INI
P() { "$PITSTOP" -s "$SOCK" "$@"; }
URL=http://127.0.0.1:$PORT
names() { curl -s "$URL/profiles" | python3 -c 'import json,sys; print(" ".join(sorted(p["name"] for p in json.load(sys.stdin))))'; }
appenv() { tr '\0' '\n' < /proc/"$(app_pid)"/environ | sed -n "s/^$1=//p"; }

start_pitstopd
check "app running" wait_for 20 is_state running
out=$(api GET /v1/env)
check "GET /v1/env names the active env" test "$(echo "$out" | jget active)" = default
check "and lists every env" test "$(echo "$out" | jget environments.1)" = prod
check "pitstop env marks the active one" sh -c "'$PITSTOP' -s '$SOCK' env | grep -q '^\* default'"
curl -s -d name=dev-only "$URL/profiles" >/dev/null
check "the app has APP_MODE=development" test "$(appenv APP_MODE)" = development

say "switch to prod"
pid=$(app_pid)
out=$(P --json env prod); rc=$?
check "pitstop env prod exits 0" test "$rc" -eq 0
check "the answer says prod is active" test "$(echo "$out" | jget active)" = prod
check "a new app process runs" test "$(app_pid)" != "$pid"
check "it serves prod's (empty) database" test "$(names)" = ""
check "its PITSTOP_DB_MAIN is prod.db" test "$(appenv PITSTOP_DB_MAIN)" = "$T/prod.db"
check "its APP_MODE is production" test "$(appenv APP_MODE)" = production
check "its PITSTOP_ENV is prod" test "$(appenv PITSTOP_ENV)" = prod
check "status shows env prod" test "$(api GET /v1/status | jget env)" = prod

say "backups and restores stay per environment"
curl -s -d name=prod-one "$URL/profiles" >/dev/null
gen=$(api POST /v1/backup | jget id)
check "a prod backup lands under backups/prod" test -f "$T/backups/prod/$gen/manifest.json"
check "only prod's generations are listed" \
	test "$(api GET /v1/backups | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 1
before=$(sha256sum "$T/main.db" | cut -d' ' -f1)
curl -s -d name=prod-two "$URL/profiles" >/dev/null
check "restore in prod works" test "$(api_code POST "/v1/restore?id=$gen")" = 200
check "prod is back to its backup" test "$(names)" = prod-one
check "dev's database was not touched" test "$(sha256sum "$T/main.db" | cut -d' ' -f1)" = "$before"
check "no safety files beside dev's database" sh -c "! ls '$T' | grep -q '^main.db.pitstop'"

say "unknown env: 404 and nothing changes"
pid=$(app_pid)
check "an unknown env gets 404" test "$(api_code POST '/v1/env?name=staging')" = 404
check "the app was not restarted" test "$(app_pid)" = "$pid"
P env staging >/dev/null 2>&1; rc=$?
check "pitstop env staging exits 1" test "$rc" -eq 1

say "the active env survives a restart of pitstopd"
kill -TERM "$PITSTOPD_PID"; wait "$PITSTOPD_PID"
start_pitstopd
check "app running again" wait_for 20 is_state running
check "still prod" test "$(api GET /v1/status | jget env)" = prod
check "serving prod's data" test "$(names)" = prod-one

say "back to the plain configuration"
P env default >/dev/null
check "dev's data is served again" test "$(names)" = dev-only
check "APP_MODE is development again" test "$(appenv APP_MODE)" = development
check "a prod generation is not restorable from default (404)" \
	test "$(api_code POST "/v1/restore?id=$gen")" = 404
finish
