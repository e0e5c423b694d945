#!/usr/bin/env bash
# pitstopd as a real systemd service: conf/pitstop.service installed in a
# container whose PID 1 is systemd (SYSTEMD_BOX, default
# /work/shared/tools/systemd-box: systemd-nspawn on a Debian rootfs built
# once per machine). One container boot runs the whole scenario:
#   1. systemctl start returns once the app is ready; STATUS= in status
#   2. systemctl reload (RELOADING=1 .. READY=1) applies a new
#      configuration; a broken one keeps the old one, reason in the journal
#   3. WatchdogSec=2: pitstopd pings; a SIGSTOPped pitstopd is aborted and
#      restarted by systemd, and exactly one app runs afterwards
#   4. backup and restore through the CLI under the unit's hardening;
#      EXPLICIT_RESTORE is in the journal at PRIORITY=5
#   5. pitstopd dying mid-restore (failpoint) and kill -9: systemd restarts
#      it, the restore journal is honoured, exactly one app runs
#   6. systemctl stop: exit status 0, empty cgroup, no socket
# Skips (77) only when the container cannot be booted here. Everything the
# test installs in the rootfs is removed again before the container stops.
. "$(dirname "$0")/lib.sh"

# shared/ lies beside the project (CI clones the project next to a copy).
if [ -z "${SYSTEMD_BOX:-}" ]; then
	for BOX in "$SRCDIR/../shared/tools/systemd-box" /work/shared/tools/systemd-box; do
		[ -f "$BOX" ] && break
	done
else
	BOX=$SYSTEMD_BOX
fi
skip() { echo "# skip: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root to boot a systemd container (systemd-nspawn)"
[ -f "$BOX" ] || skip "no systemd-box at $BOX (set SYSTEMD_BOX)"
: "${SRCDIR:?SRCDIR must name the source tree}"

# One container at a time on the shared rootfs (the plain and the
# sanitizer build each run this test).
exec 9>/var/tmp/pitstop-systemd-box.lock
flock 9

# The stage is bound into the container at /project/build/systemd-test.
made_build=0
[ -d "$SRCDIR/build" ] || made_build=1
STAGE=$SRCDIR/build/systemd-test
rm -rf "$STAGE"
mkdir -p "$STAGE/lib"
trap 'rm -rf "$STAGE"; [ "$made_build" = 1 ] && rmdir "$SRCDIR/build" 2>/dev/null; cleanup' EXIT

cp "$PITSTOPD" "$STAGE/pitstopd"
cp "$PITSTOP" "$STAGE/pitstop"
cp "$APP_STUB" "$STAGE/app-stub"
# Every shared library the binaries load, for those the rootfs lacks
# (libasan, libubsan of the sanitizer build, say): installed on demand.
ldd "$PITSTOPD" "$PITSTOP" "$APP_STUB" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' |
	sort -u | while read -r l; do cp -L "$l" "$STAGE/lib/"; done

# The container shares the host's network: a port free here is free there.
PORT=$(free_port)
{
	echo "PORT=$PORT"
} > "$STAGE/env"
# The sanitizer options of scripts/test reach pitstopd and the app too.
if [ -n "${ASAN_OPTIONS:-}${UBSAN_OPTIONS:-}" ]; then
	{
		echo "[Service]"
		[ -n "${ASAN_OPTIONS:-}" ] && echo "Environment=\"ASAN_OPTIONS=$ASAN_OPTIONS\""
		[ -n "${UBSAN_OPTIONS:-}" ] && echo "Environment=\"UBSAN_OPTIONS=$UBSAN_OPTIONS\""
	} > "$STAGE/sanitizer.conf"
fi

cat > "$STAGE/inner.sh" <<'INNER'
#!/bin/bash
# Runs inside the container, as root, with systemd as PID 1.
set -u
S=/project/build/systemd-test
touch "$S/booted"
. "$S/env"
SOCK=/run/pitstop/pitstop.sock
URL=http://127.0.0.1:$PORT
INI=/etc/pitstop/pitstop.ini
DROPIN=/etc/systemd/system/pitstop.service.d
FAILED=0
export SYSTEMD_PAGER= SYSTEMD_COLORS=0

say() { printf '# %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*"; FAILED=1; }
check() {
	local what=$1; shift
	if "$@"; then printf 'ok - %s\n' "$what"; else fail "$what"; fi
}
wait_for() {
	local secs=$1; shift
	local end=$(( $(date +%s) + secs ))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
	return 0
}
jget() {
	python3 -c 'import json,sys
v=json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[int(k)] if isinstance(v, list) else v.get(k)
print("" if v is None else v)' "$1" 2>/dev/null
}
P() { pitstop -s "$SOCK" "$@"; }
prop() { systemctl show -p "$1" --value pitstop; }
main_pid() { prop MainPID; }
app_pid() { P --json status | jget pid; }
healthz_pid() { curl -s --max-time 5 "$URL/healthz" | jget pid; }
signal_main() {	# signal_main SIG PID: never signal pid 0 (our own group)
	[ "${2:-0}" -gt 1 ] && kill "-$1" "$2"
}
dump_journal() {
	say "journalctl -u pitstop (last 80 lines):"
	journalctl -b -u pitstop --no-pager -n 80 | sed 's/^/#   /'
}
bail() { fail "$*: giving up"; dump_journal; exit 1; }
names() { curl -s --max-time 5 "$URL/profiles" | python3 -c 'import json,sys; print(" ".join(sorted(p["name"] for p in json.load(sys.stdin))))' 2>/dev/null; }
add() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 -d "name=$1" "$URL/profiles"; }
del() {
	local id
	id=$(curl -s "$URL/profiles" | python3 -c 'import json,sys; print([p["id"] for p in json.load(sys.stdin) if p["name"]==sys.argv[1]][0])' "$1" 2>/dev/null)
	curl -s -o /dev/null -w '%{http_code}' -X DELETE "$URL/profiles/$id"
}
# Processes named app-stub in the container (no procps here: /proc).
app_stubs() {
	local n=0 c
	for c in /proc/[0-9]*/comm; do
		[ "$(cat "$c" 2>/dev/null)" = app-stub ] && n=$((n + 1))
	done
	echo "$n"
}
one_app() { [ "$(app_stubs)" = 1 ]; }
serving() { [ -n "$(healthz_pid)" ]; }
active() { [ "$(systemctl is-active pitstop)" = active ]; }
# The journal of this boot for the unit (pitstopd, the app, and PID 1
# about the unit); since a cursor with `jr_since CURSOR`.
jr() { journalctl -b -u pitstop --no-pager -o cat "$@"; }
cursor() { journalctl -b -n 1 --show-cursor --no-pager -o cat | sed -n 's/^-- cursor: //p'; }
jr_since() { local c=$1; shift; jr --after-cursor "$c" "$@"; }
jgrep() { jr | grep -q -- "$1"; }		# jgrep TEXT: in the unit's journal
jgrep_since() { jr_since "$1" | grep -q -- "$2"; }
environ_has() { tr '\0' '\n' < "/proc/$1/environ" | grep -qx -- "$2"; }
env_grep() { tr '\0' '\n' < "/proc/$1/environ" | grep -q -- "$2"; }
supervised() {	# the app that serves is the one pitstopd reports
	local h; h=$(healthz_pid)
	[ -n "$h" ] && [ "$h" = "$(app_pid)" ]
}
same_main() {	# same_main PID NRESTARTS: active, not restarted meanwhile
	active && [ "$(main_pid)" = "$1" ] && [ "$(prop NRestarts)" = "$2" ]
}
status_is_app() {	# STATUS= names the app serving now
	local pid; pid=$(healthz_pid)
	[ -n "$pid" ] && [ "$(prop StatusText)" = "app running (pid $pid), env default" ]
}
# The unit's cgroup directory, on a unified or a legacy hierarchy.
cgroup_procs() {
	local d
	for d in /sys/fs/cgroup/unified /sys/fs/cgroup/systemd /sys/fs/cgroup; do
		[ -f "$d$1/cgroup.procs" ] && { cat "$d$1/cgroup.procs"; return 0; }
	done
	return 1
}

uninstall() {
	systemctl stop pitstop >/dev/null 2>&1
	systemctl disable pitstop >/dev/null 2>&1
	systemctl reset-failed pitstop >/dev/null 2>&1
	rm -f /etc/systemd/system/multi-user.target.wants/pitstop.service
	rm -rf /etc/systemd/system/pitstop.service "$DROPIN" /etc/pitstop \
	    /usr/local/sbin/pitstopd /usr/local/bin/pitstop /usr/local/bin/app-stub \
	    /usr/local/lib/pitstop-test /etc/ld.so.conf.d/pitstop-test.conf \
	    /var/lib/pitstop /run/pitstop
	[ -f /usr/bin/kill.pitstop-test ] && rm -f /usr/bin/kill /usr/bin/kill.pitstop-test
	ldconfig
	systemctl daemon-reload
}
uninstall	# what an interrupted run may have left in the rootfs
trap uninstall EXIT

say "install"
install -D -m 755 "$S/pitstopd" /usr/local/sbin/pitstopd
install -D -m 755 "$S/pitstop" /usr/local/bin/pitstop
install -D -m 755 "$S/app-stub" /usr/local/bin/app-stub
mkdir -p /usr/local/lib/pitstop-test
echo /usr/local/lib/pitstop-test > /etc/ld.so.conf.d/pitstop-test.conf
for _ in 1 2 3 4; do
	missing=$(ldd /usr/local/sbin/pitstopd /usr/local/bin/pitstop /usr/local/bin/app-stub |
	    awk '/not found/ {print $1}' | sort -u)
	[ -z "$missing" ] && break
	for l in $missing; do
		say "the rootfs lacks $l: copied from the host"
		cp "$S/lib/$l" /usr/local/lib/pitstop-test/ 2>/dev/null
	done
	ldconfig
done
check "every shared library of the binaries resolves" \
	sh -c '! ldd /usr/local/sbin/pitstopd /usr/local/bin/pitstop /usr/local/bin/app-stub | grep -q "not found"'
if [ ! -e /bin/kill ]; then
	# ExecReload=/bin/kill needs procps, which this minimal rootfs lacks.
	say "NOTE: no /bin/kill (procps) in the rootfs: ExecReload=/bin/kill would fail; a sh shim stands in"
	printf '#!/bin/sh\nkill "$@"\n' > /usr/bin/kill
	chmod 755 /usr/bin/kill
	touch /usr/bin/kill.pitstop-test
fi
install -m 644 /project/conf/pitstop.service /etc/systemd/system/pitstop.service
mkdir -p "$DROPIN"
[ -f "$S/sanitizer.conf" ] && install -m 644 "$S/sanitizer.conf" "$DROPIN/sanitizer.conf"
mkdir -p /etc/pitstop
cat > "$INI" <<INI
[supervisor]
socket = /run/pitstop/pitstop.sock
state_dir = /var/lib/pitstop/state
log = stderr

[app]
command = /usr/local/bin/app-stub
directory = /var/lib/pitstop
listen = 127.0.0.1:$PORT
ready = notify
ready_timeout = 10s
stop_timeout = 5s

[environment]
TEST_MARK = before
APP_STUB_READY_DELAY_MS = 1000

[databases]
main = /var/lib/pitstop/main.db
keychain = /var/lib/pitstop/keychain.db

[backup]
dir = /var/lib/pitstop/backups
INI
systemctl daemon-reload
# Enabled, as the unit's header says; it also keeps the unit loaded after
# a stop, so that its exit status can be read.
check "systemctl enable pitstop" systemctl enable -q pitstop
check "pitstopd --check accepts $INI" pitstopd --check -c "$INI" >/dev/null

say "1. start: returns once the app is ready"
t0=$(date +%s%N)
systemctl start pitstop; rc=$?
t1=$(date +%s%N)
out=$(curl -s -w ' %{http_code} %{time_total}' --max-time 5 "$URL/healthz" | tr -d '\n')
check "systemctl start pitstop exits 0" test "$rc" -eq 0
check "and took the app's 1 s ready delay ($(( (t1 - t0) / 1000000 )) ms): it waited for READY=1" \
	test $(( (t1 - t0) / 1000000 )) -ge 1000
check "healthz answers 200 at once after start returned ($out)" \
	python3 -c 'import sys; b, c, t = sys.argv[1].rsplit(" ", 2); sys.exit(not (c == "200" and float(t) < 0.5))' "$out"
check "the unit is active" active
active || bail "pitstop did not start"
pid=$(healthz_pid)
check "systemctl show StatusText is pitstopd's STATUS= ($(prop StatusText))" status_is_app
systemctl status pitstop --no-pager -l -n 0 > /tmp/status.out 2>&1
sed 's/^/#   /' /tmp/status.out
check "systemctl status shows it" grep -qF "Status: \"app running (pid $pid), env default\"" /tmp/status.out
check "the app is pitstopd's child" \
	test "$(awk '{print $4}' "/proc/$pid/stat")" = "$(main_pid)"
cg=$(prop ControlGroup)
procs=$(cgroup_procs "$cg")
check "pitstopd and the app are in the unit's cgroup $cg" \
	sh -c "echo '$procs' | grep -qx $(main_pid) && echo '$procs' | grep -qx $pid"
check "pitstopd logs to the journal at PRIORITY=6, without <N> or timestamps" \
	sh -c "journalctl -b -u pitstop -o json --no-pager | python3 -c '
import json, sys
ok = [e for e in map(json.loads, sys.stdin)
      if e.get(\"SYSLOG_IDENTIFIER\") == \"pitstopd\" and
         str(e.get(\"MESSAGE\", \"\")).startswith(\"pitstopd \") and
         \"control socket\" in str(e.get(\"MESSAGE\"))]
sys.exit(not (ok and ok[-1][\"PRIORITY\"] == \"6\"))'"
check "the app runs with TEST_MARK=before" environ_has "$pid" TEST_MARK=before
if [ -f "$DROPIN/sanitizer.conf" ]; then
	san='^\(ASAN\|UBSAN\)_OPTIONS='
	check "the sanitizer options reach pitstopd" env_grep "$(main_pid)" "$san"
	check "and the app" env_grep "$pid" "$san"
fi

say "2. reload"
systemd-analyze log-level debug	# PID 1 logs each notification it gets
c=$(cursor)
sed -i 's/^TEST_MARK = before/TEST_MARK = after/; /^APP_STUB_READY_DELAY_MS/d' "$INI"
systemctl reload pitstop; rc=$?
check "systemctl reload pitstop exits 0" test "$rc" -eq 0
check "pitstopd logs the reload" wait_for 10 jgrep_since "$c" "configuration reloaded"
check "systemd got RELOADING=1, then READY=1" wait_for 10 sh -c "journalctl -b -u pitstop --no-pager -o cat --after-cursor '$c' |
	grep 'Got notification message' | grep -n 'RELOADING=1\|READY=1' | tr '\n' ' ' |
	grep -q 'RELOADING=1.*READY=1'"
systemd-analyze log-level info
check "the unit is active again after the reload" wait_for 10 active
check "the app was not restarted by the reload" test "$(healthz_pid)" = "$pid"
check "it still has the old environment" environ_has "$pid" TEST_MARK=before
P restart >/dev/null; rc=$?
check "pitstop restart exits 0" test "$rc" -eq 0
pid2=$(healthz_pid)
check "a new app process serves" test -n "$pid2" -a "$pid2" != "$pid"
check "it runs with the reloaded [environment]: TEST_MARK=after" \
	environ_has "$pid2" TEST_MARK=after
check "STATUS= follows the new pid" wait_for 5 status_is_app

say "2b. a broken configuration on reload"
cp "$INI" /etc/pitstop/good.ini
sed -i 's/^stop_timeout = 5s/stop_timeout = soon/' "$INI"
line=$(grep -n '^stop_timeout' "$INI" | cut -d: -f1)
main0=$(main_pid); nr0=$(prop NRestarts)
c=$(cursor)
systemctl reload pitstop; rc=$?
check "systemctl reload exits 0 (the old configuration stays)" test "$rc" -eq 0
check "the journal names the reason: $INI:$line: [app] stop_timeout" \
	wait_for 10 jgrep_since "$c" "$INI:$line: \[app\] stop_timeout"
check "and that the previous configuration is kept" wait_for 10 jgrep_since "$c" "keeping the previous configuration"
jr_since "$c" | grep -F "$INI" | sed 's/^/#   /'
check "the unit stays active, same pitstopd" same_main "$main0" "$nr0"
check "the app keeps serving, same pid" test "$(healthz_pid)" = "$pid2"
check "STATUS= says the reload failed ($(prop StatusText))" sh -c "systemctl show -p StatusText --value pitstop | grep -q '^reload failed'"
mv /etc/pitstop/good.ini "$INI"
systemctl reload pitstop
check "a good file reloads and STATUS= is the app's again" wait_for 10 status_is_app

say "3. watchdog"
cat > "$DROPIN/watchdog.conf" <<'EOF'
[Service]
WatchdogSec=2
EOF
systemctl daemon-reload
c=$(cursor)
systemctl restart pitstop; rc=$?
check "systemctl restart with the watchdog drop-in exits 0" test "$rc" -eq 0
check "WatchdogUSec is 2s" test "$(prop WatchdogUSec)" = 2s
check "pitstopd pings every second" wait_for 5 jgrep_since "$c" "watchdog ping every 1000 ms"
main0=$(main_pid); nr0=$(prop NRestarts)
sleep 5	# 2.5 watchdog periods
check "5 s later the same pitstopd runs: the pings arrive" same_main "$main0" "$nr0"
check "no watchdog timeout so far" sh -c "! journalctl -b -u pitstop -o cat --after-cursor '$c' | grep -q 'Watchdog timeout'"
app0=$(healthz_pid)
c=$(cursor)
signal_main STOP "$main0"
restarted() {
	local m; m=$(main_pid)
	[ "$m" != 0 ] && [ "$m" != "$main0" ] && active && serving
}
check "a stopped pitstopd is replaced by systemd" wait_for 30 restarted
check "the journal says: watchdog timeout" jgrep_since "$c" "Watchdog timeout"
check "pitstopd was killed with SIGABRT" jgrep_since "$c" "status=6/ABRT"
check "the failure result was 'watchdog'" jgrep_since "$c" "result 'watchdog'"
check "NRestarts went up by one" test "$(prop NRestarts)" = $((nr0 + 1))
check "the old app is gone" sh -c "! grep -qx app-stub /proc/$app0/comm 2>/dev/null"
wait_for 10 one_app
check "exactly one app-stub runs ($(app_stubs))" one_app
check "and it serves, as the app of the new pitstopd" supervised
# The watchdog stays on for the rest: backup and restore must not trip it.

say "4. backup and restore through the CLI, under the unit's hardening"
check "add a profile" test "$(add alice)" = 201
P backup > /tmp/backup.out 2>&1; rc=$?
head -1 /tmp/backup.out | sed 's/^/#   /'
check "pitstop backup exits 0" test "$rc" -eq 0
id=$(P --json backups | jget 0.id)
check "the generation $id is listed" test -n "$id"
check "it lies in /var/lib/pitstop/backups with a manifest" \
	test -f "/var/lib/pitstop/backups/default/$id/manifest.json"
check "delete the profile" test "$(del alice)" = 204
check "the app lists nothing" test -z "$(names)"
old=$(healthz_pid); main0=$(main_pid); nr0=$(prop NRestarts)
c=$(cursor)
P restore "$id" > /tmp/restore.out 2>&1; rc=$?
sed 's/^/#   /' /tmp/restore.out
check "pitstop restore exits 0" test "$rc" -eq 0
check "a new app process serves" test -n "$(healthz_pid)" -a "$(healthz_pid)" != "$old"
check "with the restored profile" test "$(names)" = alice
check "EXPLICIT_RESTORE is in the journal" wait_for 10 jgrep_since "$c" "EXPLICIT_RESTORE: restored .* from $id"
check "at PRIORITY=5 (notice), without a <5> prefix" \
	sh -c "journalctl -b -u pitstop -o json --no-pager --after-cursor '$c' | python3 -c '
import json, sys
m = [e for e in map(json.loads, sys.stdin) if \"EXPLICIT_RESTORE\" in str(e.get(\"MESSAGE\", \"\"))]
print(\"#   PRIORITY=%s MESSAGE=%s\" % (m[-1][\"PRIORITY\"], m[-1][\"MESSAGE\"]) if m else \"#   none\")
sys.exit(not (m and m[-1][\"PRIORITY\"] == \"5\" and m[-1][\"MESSAGE\"].startswith(\"EXPLICIT_RESTORE\")))'"
check "a safety generation was kept" test "$(P --json backups | jget 0.kind)" = safety
check "no restore journal left" test ! -e /var/lib/pitstop/state/restore.journal
check "no watchdog restart during backup and restore" same_main "$main0" "$nr0"

say "5. pitstopd dies in the middle of a restore"
check "add a second profile" test "$(add bob)" = 201
id2=$(P --json backup | jget id)
check "back it up ($id2)" test -n "$id2"
check "delete it" test "$(del bob)" = 204
cat > "$DROPIN/failpoint.conf" <<'EOF'
[Service]
Environment=PITSTOP_FAILPOINT=committed
EOF
systemctl daemon-reload
systemctl restart pitstop
check "pitstopd runs with the failpoint" wait_for 10 serving
main0=$(main_pid); nr0=$(prop NRestarts)
c=$(cursor)
P restore "$id2" >/dev/null 2>&1; rc=$?
rm -f "$DROPIN/failpoint.conf"
systemctl daemon-reload
check "the restore did not answer success ($rc): pitstopd died" test "$rc" -ne 0
check "at the committed failpoint" jgrep_since "$c" "failpoint committed: exiting abruptly"
check "systemd restarts pitstopd" wait_for 30 restarted
check "NRestarts went up by one" test "$(prop NRestarts)" = $((nr0 + 1))
check "the new pitstopd found the restore journal" jgrep_since "$c" "restore journal found"
check "and completed the restore" jgrep_since "$c" "restore of $id2 completed after a restart"
check "the restored data is served" test "$(names)" = "alice bob"
check "no restore journal left" test ! -e /var/lib/pitstop/state/restore.journal
check "no staged or safety files beside the databases" sh -c "! ls /var/lib/pitstop | grep -q pitstop-"
wait_for 10 one_app
check "exactly one app-stub runs ($(app_stubs))" one_app

say "5b. kill -9 of pitstopd"
main0=$(main_pid); app0=$(healthz_pid); nr0=$(prop NRestarts)
check "the failpoint is gone from the unit" sh -c "! systemctl show -p Environment --value pitstop | grep -q FAILPOINT"
c=$(cursor)
signal_main KILL "$main0"
check "systemd restarts pitstopd" wait_for 30 restarted
check "the journal says: killed by SIGKILL" jgrep_since "$c" "status=9/KILL"
check "NRestarts went up by one" test "$(prop NRestarts)" = $((nr0 + 1))
check "the old app died with its pitstopd" sh -c "! grep -qx app-stub /proc/$app0/comm 2>/dev/null"
wait_for 10 one_app
check "exactly one app-stub runs ($(app_stubs))" one_app
check "a new app serves the data" test "$(healthz_pid)" != "$app0" -a "$(names)" = "alice bob"
check "STATUS= names it" wait_for 5 status_is_app

say "6. stop"
cg=$(prop ControlGroup)
c=$(cursor)
systemctl stop pitstop; rc=$?
check "systemctl stop pitstop exits 0" test "$rc" -eq 0
show=$(systemctl show -p ExecMainCode,ExecMainStatus,Result,ActiveState pitstop | sort | tr '\n' ' ')
say "$show"
check "pitstopd exited 0 (ExecMainCode=1 ExecMainStatus=0)" \
	test "$show" = "ActiveState=inactive ExecMainCode=1 ExecMainStatus=0 Result=success "
check "it has an exit time" test -n "$(prop ExecMainExitTimestamp)"
check "pitstopd stopped the app itself" jgrep_since "$c" "stopping the app and exiting"
check "and exited" jgrep_since "$c" "pitstopd exits"
check "systemd: deactivated successfully" wait_for 5 jgrep_since "$c" "Deactivated successfully"
check "systemd killed nothing" sh -c "! journalctl -b -u pitstop -o cat --after-cursor '$c' | grep -qi 'killing\|timed out'"
procs=$(cgroup_procs "$cg")
check "the unit's cgroup $cg is empty or gone" test -z "$procs"
check "no app-stub is left" test "$(app_stubs)" = 0
check "the control socket is gone" test ! -e "$SOCK"

say "sanitizer reports in the journal"
check "none" sh -c "! journalctl -b -u pitstop -o cat | grep -E 'ERROR: (Address|Leak)Sanitizer|runtime error:'"

if [ "$FAILED" -ne 0 ]; then
	dump_journal
	exit 1
fi
exit 0
INNER
chmod 755 "$STAGE/inner.sh"

start=$(date +%s)
bash "$BOX" -p "$SRCDIR" -- timeout 480 bash /project/build/systemd-test/inner.sh 2>"$T/box.err"; rc=$?
if [ ! -e "$STAGE/booted" ]; then
	sed 's/^/# /' "$T/box.err"
	skip "the systemd container did not boot here (systemd-box exit $rc)"
fi
sed 's/^/# stderr: /' "$T/box.err"
say "container run: $(( $(date +%s) - start )) s"
case $rc in
0) exit 0 ;;
124) fail "the scenario did not finish within 480 s"; exit 1 ;;
*) exit 1 ;;
esac
