#!/usr/bin/env bash
# Install what the browser test needs: Debian's chromium (/usr/bin/chromium)
# and playwright-core from tests/browser/package-lock.json. Playwright's own
# browser download (`npx playwright install`) is not used: it drives the
# Debian build. As root, installs what is missing; otherwise prints what to
# install and exits 1 when something is missing. Exits 0 when all is there.
set -eu

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

# playwright-core needs Node.js 20 or later, newer than Debian 12's nodejs.
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if ! command -v npm >/dev/null 2>&1 || [ "$major" -lt 20 ]; then
	echo "the browser test needs Node.js 20 or later with npm" >&2
	exit 1
fi

need_apt=""
[ -x "$CHROMIUM" ] || need_apt="chromium"
need_npm=""
[ -d "$HERE/node_modules/playwright-core" ] || need_npm=yes

[ -z "$need_apt" ] && [ -z "$need_npm" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "the browser test needs:" >&2
	[ -n "$need_apt" ] &&
	    echo "  sudo apt-get install --no-install-recommends $need_apt" >&2
	[ -n "$need_npm" ] &&
	    echo "  (cd $HERE && npm ci --no-audit --no-fund)" >&2
	exit 1
fi

if [ -n "$need_apt" ]; then
	echo "installing: $need_apt" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $need_apt >&2
fi
if [ -n "$need_npm" ]; then
	echo "installing playwright-core in $HERE (npm ci)" >&2
	(cd "$HERE" && npm ci --no-audit --no-fund >&2)
fi
