#!/usr/bin/env bash
# pitstopd --check: 0 for a valid file, 1 with a message naming file, line
# and key for an invalid one; pitstopd refuses to start on a bad file.
. "$(dirname "$0")/lib.sh"

check "the shipped conf/pitstop.ini is valid" \
	"$PITSTOPD" --check -c "$SRCDIR/conf/pitstop.ini"
write_config
check "a generated config is valid" "$PITSTOPD" --check -c "$T/pitstop.ini"

printf '[app]\ncommand = x\nstop_timeout = soon\n' > "$T/bad.ini"
"$PITSTOPD" --check -c "$T/bad.ini" 2>"$T/err"; rc=$?
check "a bad duration exits 1" test "$rc" -eq 1
check "the error names file, line and key" \
	grep -q "bad.ini:3:.*stop_timeout" "$T/err"

printf '[app]\ncommand = x\n[nonsense]\n' > "$T/bad2.ini"
"$PITSTOPD" --check -c "$T/bad2.ini" 2>"$T/err"; rc=$?
check "an unknown section exits 1" test "$rc" -eq 1
check "the error names the section's line" grep -q "bad2.ini:3:" "$T/err"

printf '[app]\ndirectory = .\n' > "$T/bad3.ini"
"$PITSTOPD" --check -c "$T/bad3.ini" 2>"$T/err"; rc=$?
check "a missing command exits 1" test "$rc" -eq 1
check "the error names [app] command" grep -q "command" "$T/err"

"$PITSTOPD" --check -c "$T/missing.ini" 2>"$T/err"; rc=$?
check "a missing file exits 1 and says so" \
	sh -c "[ $rc -eq 1 ] && grep -q 'missing.ini' '$T/err'"

"$PITSTOPD" -c "$T/bad.ini" 2>"$T/err"; rc=$?
check "pitstopd refuses to start on a bad file" test "$rc" -eq 1
check "and leaves no socket behind" test ! -e "$T/ctl.sock"
finish
