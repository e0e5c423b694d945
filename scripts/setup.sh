# Sourced by scripts/run, scripts/test and scripts/bench: install what is
# missing from Debian (when root) and build into build/ (and build-san/).
# Prints what to install, and fails, when not root and something is missing.
set -eu

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$TOP"

# command:package pairs, and -dev packages found by pkg-config name.
PITSTOP_TOOLS="meson:meson ninja:ninja-build pkg-config:pkg-config cc:gcc \
curl:curl sqlite3:sqlite3 python3:python3 setpriv:util-linux pgrep:procps"
PITSTOP_LIBS="sqlite3:libsqlite3-dev libevent:libevent-dev inih:libinih-dev \
libxxhash:libxxhash-dev"

missing_packages() {
	local pair
	for pair in $PITSTOP_TOOLS; do
		command -v "${pair%%:*}" >/dev/null 2>&1 || printf '%s ' "${pair#*:}"
	done
	for pair in $PITSTOP_LIBS; do
		if ! command -v pkg-config >/dev/null 2>&1 ||
		    ! pkg-config --exists "${pair%%:*}"; then
			printf '%s ' "${pair#*:}"
		fi
	done
}

install_missing() {
	local pkgs
	pkgs=$(missing_packages)
	[ -z "$pkgs" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "pitstop needs these Debian packages: $pkgs" >&2
		echo "install them with: sudo apt-get install $pkgs" >&2
		exit 1
	fi
	echo "installing: $pkgs" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $pkgs >&2
}

# build DIR [meson options...]: configure once, then compile.
build() {
	local dir=$1; shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >&2
	fi
	meson compile -C "$dir" >&2
}
