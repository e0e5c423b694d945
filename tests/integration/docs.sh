#!/usr/bin/env bash
# The manual pages and the bash completion: each page renders without a
# warning, pitstop.1 documents every command of `pitstop --help`,
# pitstop.ini.5 every key of conf/pitstop.ini and of config_keys.c's key table,
# the daemon's and the client's long options appear in their pages, and
# the completion script, sourced in bash, completes commands, options,
# backup IDs and environment names, and stays quiet when pitstopd cannot be
# reached. Exit 0 pass, 1 fail, 77 skip.
set -u

: "${PITSTOP:?PITSTOP must name the pitstop binary}"
: "${PITSTOPD:?PITSTOPD must name the pitstopd binary}"
: "${SRCDIR:?SRCDIR must name the source tree}"

MAN=$SRCDIR/man
COMPLETION=$SRCDIR/completion/pitstop
PAGES="pitstop.1 pitstop.ini.5 pitstopd.8"
FAILED=0

T=$(mktemp -d "${TMPDIR:-/tmp}/pit-docs.XXXXXX")
trap 'rm -rf "$T"' EXIT

say() { printf '# %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*"; FAILED=1; }
ok() { printf 'ok - %s\n' "$*"; }
check() {	# check DESCRIPTION COMMAND...
	local what=$1; shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

for f in $PAGES; do
	[ -f "$MAN/$f" ] || { fail "man/$f exists"; }
done
[ -f "$COMPLETION" ] || fail "completion/pitstop exists"
[ "$FAILED" -eq 0 ] || exit 1

# --- 1. every page renders without warnings ---------------------------

# mandoc is the strictest checker; as root, install it when it is missing
# (set PITSTOP_NO_INSTALL=1 to never do that), else fall back to man-db
# or groff, which report warnings on stderr with exit status 0.
if ! command -v mandoc >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] &&
    [ -z "${PITSTOP_NO_INSTALL:-}" ] && command -v apt-get >/dev/null 2>&1; then
	say "installing mandoc for 'mandoc -T lint'"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mandoc \
	    >/dev/null 2>&1 || say "could not install mandoc; falling back"
fi

lint() {	# lint PAGE: prints the warnings, fails if there are any
	local page=$1 out rc
	case $LINTER in
	mandoc)
		# Warnings and worse; STYLE notes such as "referenced manual
		# not found" for pages not installed here are not warnings.
		out=$(mandoc -T lint -W warning "$page" 2>&1); rc=$?
		;;
	man)
		out=$(MANPAGER=cat MANWIDTH=80 LC_ALL=C.UTF-8 \
		    man --warnings -l "$page" 2>&1 >/dev/null); rc=$?
		;;
	groff)
		out=$(groff -mandoc -z -ww "$page" 2>&1); rc=$?
		;;
	esac
	[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/#   /'
	[ "$rc" -eq 0 ] && [ -z "$out" ]
}

LINTER=""
if command -v mandoc >/dev/null 2>&1; then
	LINTER=mandoc
elif command -v man >/dev/null 2>&1 && man --help 2>&1 | grep -q -- --warnings; then
	LINTER=man
elif command -v groff >/dev/null 2>&1; then
	LINTER=groff
fi
if [ -n "$LINTER" ]; then
	for f in $PAGES; do
		check "$f renders without warnings ($LINTER)" lint "$MAN/$f"
	done
else
	say "skip: no mandoc, man or groff to render the pages with"
fi

# --- 2. the pages document what the programs and the config offer ------

# Commands: the first word of each line under "commands:" in --help.
commands=$("$PITSTOP" --help | sed -n '/^commands:/,/^$/{/^  [a-z]/p}' |
    awk '{ print $1 }' | sort -u)
check "pitstop --help lists commands" test -n "$commands"
for c in $commands; do
	check "pitstop.1 documents the command '$c'" \
	    grep -Eq "^\.It Ic $c( |\$)" "$MAN/pitstop.1"
done

# Long options of both programs: "--name" in --help is ".Fl -name".
long_opts() { "$1" --help 2>&1 | grep -o -- '--[a-z][a-z-]*' | sort -u; }
for o in $(long_opts "$PITSTOP"); do
	check "pitstop.1 documents $o" grep -q "Fl -${o#--}" "$MAN/pitstop.1"
done
for o in $(long_opts "$PITSTOPD"); do
	check "pitstopd.8 documents $o" grep -q "Fl -${o#--}" "$MAN/pitstopd.8"
done
for o in c d V; do
	check "pitstopd.8 documents -$o" grep -Eq "^\.It Fl $o( |\$)" "$MAN/pitstopd.8"
done

# Keys: sections with fixed keys document each as ".It Ic KEY No = ...";
# [environment] and [databases] take names of the user's choosing, and
# [env.NAME] takes SECTION.KEY overrides of the other sections.
key_documented() {	# key_documented SECTION KEY
	local sect=$1 key=$2
	case $sect in
	environment|databases)
		grep -q "^\.Ss \[$sect\]" "$MAN/pitstop.ini.5" ;;
	env.*)
		grep -q '^\.Ss Environments' "$MAN/pitstop.ini.5" &&
		    key_documented "${key%%.*}" "${key#*.}" ;;
	*)
		grep -q "^\.Ss \[$sect\]" "$MAN/pitstop.ini.5" &&
		    grep -Eq "^\.It Ic $key No =" "$MAN/pitstop.ini.5" ;;
	esac
}

ini_keys() {	# SECTION KEY per line, from an ini file
	sed -n -e 's/^[[:space:]]*\[\([^]]*\)\].*/S \1/p' \
	    -e 's/^\([A-Za-z_][A-Za-z0-9_.]*\)[[:space:]]*=.*/K \1/p' "$1" |
	awk '$1 == "S" { s = $2; next } { print s, $2 }'
}
n=0
while read -r sect key; do
	n=$((n + 1))
	check "pitstop.ini.5 documents [$sect] $key (conf/pitstop.ini)" \
	    key_documented "$sect" "$key"
done < <(ini_keys "$SRCDIR/conf/pitstop.ini")
check "conf/pitstop.ini has keys" test "$n" -gt 10

# config_keys.c's table, { "section", "key", setter, ... }: every key that
# pitstopd accepts, including those conf/pitstop.ini leaves out.
n=0
while read -r sect key; do
	n=$((n + 1))
	check "pitstop.ini.5 documents [$sect] $key (config_keys.c)" \
	    key_documented "$sect" "$key"
done < <(sed -n 's/^[[:space:]]*{ "\([a-z_]*\)",[[:space:]]*"\([a-z_]*\)",.*/\1 \2/p' \
    "$SRCDIR/supervisor/config_keys.c")
check "config_keys.c's key table was found" test "$n" -gt 20

# --- 3. the bash completion -------------------------------------------

check "completion/pitstop is valid bash" bash -n "$COMPLETION"

# complete WORD...: the candidates for the last word, sorted, one line.
# Each call runs in a fresh bash so that nothing leaks between them.
complete_line() {
	bash -c '
		out=$(. "$1" 2>&1) ; [ -z "$out" ] || { echo "SOURCING PRINTED: $out"; exit 1; }
		. "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		_pitstop
		printf "%s\n" "${COMPREPLY[@]}" | LC_ALL=C sort | tr "\n" " " | sed "s/ *\$//"
	' complete_line "$COMPLETION" "$@" 2>"$T/complete.err"
}
has_word() {	# has_word WORD "LIST"
	tr ' ' '\n' <<<"$2" | grep -qx -- "$1"
}
expect() {	# expect "WANT" WORD...
	local want=$1 got; shift
	got=$(complete_line "$@")
	if [ "$got" = "$want" ] && [ ! -s "$T/complete.err" ]; then
		ok "complete '$*' -> '$want'"
	else
		fail "complete '$*': want '$want', got '$got'"
		sed 's/^/#   stderr: /' "$T/complete.err"
	fi
}

expect "restart restore" pitstop re
expect "--json" pitstop --j
expect "backup backups" pitstop back
expect "--socket" pitstop -c x.ini --so
all=$(complete_line pitstop "")
for c in $commands; do
	check "the completion offers the command '$c'" has_word "$c" "$all"
done
opts=$(complete_line pitstop -)
for o in $(long_opts "$PITSTOP") -s -c -h; do
	check "the completion offers the option $o" has_word "$o" "$opts"
done

# Files after -s, only *.ini (and directories) after -c.
mkdir -p "$T/files/sub"
: > "$T/files/a.ini"; : > "$T/files/b.sock"; : > "$T/files/c.txt"
expect "$T/files/a.ini $T/files/b.sock $T/files/c.txt $T/files/sub" \
    pitstop -s "$T/files/"
expect "$T/files/a.ini $T/files/sub" pitstop -c "$T/files/"
expect "$T/files/a.ini $T/files/sub" pitstop status --config "$T/files/"

# IDs and environment names come from the daemon: a stand-in pitstop
# answers as pitstopd would and records the options it was given.
cat > "$T/fake-pitstop" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >> "$T/fake.args"
for last; do :; done
case \$last in
backups) printf '%s' '[{"id":"20261128T093502Z-0001","kind":"manual","created":"2026-11-28T09:35:02Z","env":"default","bytes":24576,"records":3,"files":2},{"id": "20261127T101500Z-0000", "kind": "safety"}]' ;;
env) printf '%s' '{"active":"default","environments":["default","prod", "staging-2"],"pid":42}' ;;
*) exit 1 ;;
esac
EOF
chmod +x "$T/fake-pitstop"
FAKE=$T/fake-pitstop
expect "20261127T101500Z-0000 20261128T093502Z-0001" "$FAKE" restore ""
expect "20261128T093502Z-0001" "$FAKE" restore 20261128
expect "default prod staging-2" "$FAKE" env ""
expect "staging-2" "$FAKE" env st
expect "" "$FAKE" restore 20261128T093502Z-0001 ""
expect "" "$FAKE" env prod ""
expect "" "$FAKE" status ""

: > "$T/fake.args"
expect "20261127T101500Z-0000 20261128T093502Z-0001" "$FAKE" -s /run/x.sock restore ""
check "restore completion passes -s on" grep -qx -- "-s /run/x.sock --json backups" "$T/fake.args"
: > "$T/fake.args"
expect "default prod staging-2" "$FAKE" env --config=conf/p.ini ""
check "env completion passes --config on" grep -qx -- "--config conf/p.ini --json env" "$T/fake.args"

# The real client with no daemon behind the socket: nothing offered, and
# nothing printed on the terminal.
expect "" "$PITSTOP" -s "$T/no-such.sock" restore ""
expect "" "$PITSTOP" -s "$T/no-such.sock" env ""
expect "" "$PITSTOP" -c "$T/no-such.ini" restore ""

exit "$FAILED"
