#!/usr/bin/env bash
# conf/pitstop.service parses: systemd-analyze verify, with ExecStart
# pointing at the built pitstopd.
. "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null ||
	{ echo "# skip: systemd-analyze not installed"; exit 77; }
sed "s|/usr/local/sbin/pitstopd|$PITSTOPD|" "$SRCDIR/conf/pitstop.service" \
	> "$T/pitstop.service"
systemd-analyze verify "$T/pitstop.service" >"$T/out" 2>&1; rc=$?
sed 's/^/# /' "$T/out"
check "systemd-analyze verify accepts conf/pitstop.service" test "$rc" -eq 0
check "it is a notify service" grep -q '^Type=notify' "$T/pitstop.service"
check "reload sends SIGHUP" grep -q "^ExecReload=/bin/sh -c 'kill -HUP \\\$MAINPID'" "$T/pitstop.service"
finish
