#!/usr/bin/env bash
# Scheduled backups: one generation of kind "scheduled" every interval;
# retention keeps `keep` manual+scheduled generations and never deletes
# the newest of each kind, so the one manual backup survives.
. "$(dirname "$0")/lib.sh"

write_config
cat >> "$T/pitstop.ini" <<INI
keep = 2
interval = 1s
INI
start_pitstopd
check "app running" wait_for 20 is_state running
manual=$(api POST /v1/backup | jget id)
check "a manual backup" test -n "$manual"
taken() { [ "$(grep -c 'backup .* taken' "$T/pitstopd.log")" -ge "$1" ]; }
check "scheduled backups keep coming" wait_for 30 taken 5
count() { api GET /v1/backups | python3 -c "import json,sys; print(sum(1 for g in json.load(sys.stdin) if g['kind']=='$1'))"; }
check "scheduled generations are listed as such" test "$(count scheduled)" -ge 1
check "retention keeps keep = 2 scheduled ones" test "$(count scheduled)" -eq 2
check "the newest (only) manual generation is never deleted" \
	test "$(api GET /v1/backups | grep -c "$manual")" = 1
check "the log names them scheduled" grep -q "scheduled backup started" "$T/pitstopd.log"
finish
